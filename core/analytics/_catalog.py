"""The local catalog: creators the workspace knows, held column-wise, ranked for a brief in milliseconds.

Each figure of every creator is one NumPy array (followers, engagement rate and its denominator, price in minor
units and its currency, one share column per audience bucket, categories as a 64-bit set, country, language,
credibility, availability, results with earlier brands), so a brief's filters are a handful of comparisons over
whole columns and its score the same formulas as :func:`~creatorkit.analytics.score_candidate`, computed for
every creator that passed the filters at once. Only the top creators get a :class:`~creatorkit.entities.Match`:
each is scored again, row-wise, from its own columns, which writes the explanation — and which a test holds to
the same score. Brand safety reads captions, which no column can, so it is checked from the best down until the
top is full of creators that pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import attrs
import numpy as np
import numpy.typing as npt

from ..entities import AudienceDimension, CampaignBrief, Category, Denominator, Match
from ..errors import Problem, ValidationError
from ..money import Money
from ._scoring import (
    CATEGORY_BITS,
    DEFAULT_WEIGHTS,
    ER_BENCHMARKS,
    TIERS,
    BrandSafetyCheck,
    CatalogRecord,
    MatchWeights,
    Scorer,
    check_brief,
    score_candidate,
)
from ._vectorised import eligible_rows, scores

__all__ = ["Catalog", "CatalogColumns", "Ranking"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
#: How many more candidates than ``top`` are taken at a time for the brand-safety check, which vetoes some.
_SAFETY_MARGIN = 2


@attrs.frozen(kw_only=True, eq=False)
class CatalogColumns:
    """The catalog's columns, one row per creator account; codes index the vocabulary beside them (−1: unknown).

    ``audience`` is one row per bucket of ``buckets`` (so each bucket's shares are contiguous), its shares in
    [0, 1]; ``audience_known`` says per dimension which creators have figures for it (default: any share above
    0). Times are POSIX seconds, NaN where unknown; ``price_minor`` is −1 where there is no price;
    ``brand_results`` maps a brand id to the rows that worked with it (ascending) and the share of KPI targets
    they met.
    """

    creator_ids: Sequence[str] | npt.NDArray[np.str_]  # a NumPy array of strings is not traced by the collector
    platform: npt.NDArray[np.int8]
    platforms: tuple[str, ...]
    followers: Ints
    engagement_rate: Floats
    denominator: npt.NDArray[np.int8]
    denominators: tuple[Denominator, ...]
    price_minor: Ints
    currency: npt.NDArray[np.int16]
    currencies: tuple[str, ...]
    audience: npt.NDArray[np.float32]
    buckets: tuple[tuple[AudienceDimension, str], ...]
    categories: npt.NDArray[np.uint64]
    country: npt.NDArray[np.int16]
    countries: tuple[str, ...]
    language: npt.NDArray[np.int16]
    languages: tuple[str, ...]
    credibility: Floats
    available_from: Floats
    available_until: Floats
    brand_results: Mapping[str, tuple[Ints, Floats]] = attrs.field(factory=dict)
    audience_known: Mapping[AudienceDimension, Bools] | None = None
    captions: Sequence[tuple[str, ...]] | None = None


@attrs.frozen(kw_only=True)
class Ranking:
    """A brief's ranked matches, and what happened to everyone else.

    ``considered`` creators were in the catalog; ``eligible`` passed every filter and the quality gate, less those
    brand safety vetoed; ``excluded`` counts, per filter, the creators it turned away of those the filters before
    it left (a funnel: the counts and ``eligible`` add up to ``considered``). Brand safety reads captions, so it
    checks only the best, down to a full top: its count is the vetoes it made on the way. ``warnings`` say what
    the brief asked that the catalog could not answer.
    """

    matches: tuple[Match, ...]
    considered: int
    eligible: int
    excluded: Mapping[str, int]
    warnings: tuple[str, ...] = ()


def _codes(values: Iterable[str | None]) -> tuple[npt.NDArray[np.int16], tuple[str, ...]]:
    vocabulary: dict[str, int] = {}
    codes = [-1 if value is None else vocabulary.setdefault(value, len(vocabulary)) for value in values]
    return np.asarray(codes, dtype=np.int16), tuple(vocabulary)


def _seconds(moment: datetime | None) -> float:
    return float("nan") if moment is None else moment.timestamp()


def _bucket_index(records: Sequence[CatalogRecord]) -> dict[tuple[AudienceDimension, str], int]:
    seen = {(dimension, key) for r in records for dimension, shares in r.audience.items() for key in shares}
    return {bucket: index for index, bucket in enumerate(sorted(seen))}


def _audience_columns(
    records: Sequence[CatalogRecord], buckets: Mapping[tuple[AudienceDimension, str], int]
) -> tuple[npt.NDArray[np.float32], dict[AudienceDimension, Bools]]:
    shares = np.zeros((len(buckets), len(records)), dtype=np.float32)
    known = {dimension: np.zeros(len(records), dtype=np.bool_) for dimension, _ in buckets}
    for row, record in enumerate(records):
        for dimension, values in record.audience.items():
            known[dimension][row] = bool(values)
            for key, share in values.items():
                shares[buckets[(dimension, key)], row] = share
    return shares, known


def _brand_columns(records: Sequence[CatalogRecord]) -> dict[str, tuple[Ints, Floats]]:
    by_brand: dict[str, tuple[list[int], list[float]]] = {}
    for row, record in enumerate(records):
        for brand, met in record.brand_results.items():
            rows, values = by_brand.setdefault(brand, ([], []))
            rows.append(row)
            values.append(met)
    return {b: (np.asarray(r, dtype=np.int64), np.asarray(v, dtype=np.float64)) for b, (r, v) in by_brand.items()}


def columns_of(records: Sequence[CatalogRecord]) -> CatalogColumns:
    """The columns of ``records``, in their order. Why this is long: one column per figure, each built here."""
    buckets = _bucket_index(records)
    audience, known = _audience_columns(records, buckets)
    platform, platforms = _codes(r.platform for r in records)
    denominator, denominators = _codes(r.engagement_denominator for r in records)
    currency, currencies = _codes(None if r.price is None else r.price.currency for r in records)
    country, countries = _codes(r.country for r in records)
    language, languages = _codes(r.language for r in records)
    bits = [sum((CATEGORY_BITS[Category(c)] for c in set(r.categories)), 0) for r in records]
    return CatalogColumns(
        creator_ids=[r.creator_id for r in records],
        platform=platform.astype(np.int8),
        platforms=platforms,
        followers=np.asarray([r.followers for r in records], dtype=np.int64),
        engagement_rate=np.asarray([r.engagement_rate for r in records], dtype=np.float64),
        denominator=denominator.astype(np.int8),
        denominators=tuple(Denominator(d) for d in denominators),
        price_minor=np.asarray([-1 if r.price is None else r.price.amount for r in records], dtype=np.int64),
        currency=currency,
        currencies=currencies,
        audience=audience,
        buckets=tuple(buckets),
        categories=np.asarray(bits, dtype=np.uint64),
        country=country,
        countries=countries,
        language=language,
        languages=languages,
        credibility=np.asarray([np.nan if r.credibility is None else r.credibility for r in records]),
        available_from=np.asarray([_seconds(r.available_from) for r in records], dtype=np.float64),
        available_until=np.asarray([_seconds(r.available_until) for r in records], dtype=np.float64),
        brand_results=_brand_columns(records),
        audience_known=known,
        captions=[r.recent_captions for r in records],
    )


def _check_lengths(columns: CatalogColumns) -> int:
    rows = len(columns.creator_ids)
    per_row = (  # every column with one value per creator
        *("platform", "followers", "engagement_rate", "denominator", "price_minor", "currency", "categories"),
        *("country", "language", "credibility", "available_from", "available_until"),
    )
    problems = [
        Problem(f"catalog.{name}", f"has {len(getattr(columns, name))} rows, creator_ids has {rows}")
        for name in per_row
        if len(getattr(columns, name)) != rows
    ]
    if columns.audience.shape != (len(columns.buckets), rows):
        problems.append(
            Problem("catalog.audience", f"is {columns.audience.shape}, expected ({len(columns.buckets)}, {rows})")
        )
    if columns.captions is not None and len(columns.captions) != rows:
        problems.append(Problem("catalog.captions", f"has {len(columns.captions)} rows, creator_ids has {rows}"))
    if problems:
        raise ValidationError(problems, "catalog")
    return rows


def _benchmark_column(columns: CatalogColumns) -> Floats:
    """Each row's tier median engagement rate on its platform over its denominator; NaN where none is known."""
    benchmark = np.full(len(columns.followers), np.nan)
    lowest = np.asarray([low for _, low in TIERS], dtype=np.int64)
    tier_of = np.searchsorted(lowest, columns.followers, side="right") - 1
    for (platform, denominator), table in ER_BENCHMARKS.items():
        if platform not in columns.platforms or denominator not in columns.denominators:
            continue
        rows = (columns.platform == columns.platforms.index(platform)) & (
            columns.denominator == columns.denominators.index(denominator)
        )
        medians = np.asarray([table[name] for name, _ in TIERS])
        benchmark[rows] = medians[tier_of[rows]]
    return benchmark


class Catalog:
    """Creators held column-wise: ``Catalog.from_records(records).rank(brief, top=100)``."""

    def __init__(self, columns: CatalogColumns) -> None:
        self.columns = columns
        self.size = _check_lengths(columns)
        self.benchmark = _benchmark_column(columns)
        self.known_audience = dict(columns.audience_known or {})
        for dimension in {dimension for dimension, _ in columns.buckets} - set(self.known_audience):
            rows = [i for i, (d, _) in enumerate(columns.buckets) if d == dimension]
            self.known_audience[dimension] = columns.audience[rows].sum(axis=0) > 0

    @classmethod
    def from_records(cls, records: Iterable[CatalogRecord]) -> Catalog:
        return cls(columns_of(list(records)))

    def record(self, row: int) -> CatalogRecord:
        """One row as the record the row-wise scorer reads (its audience as the catalog holds it)."""
        c = self.columns
        audience: dict[AudienceDimension, dict[str, float]] = {}
        known = {dimension: bool(rows[row]) for dimension, rows in self.known_audience.items()}
        for (dimension, key), share in zip(c.buckets, c.audience[:, row].tolist(), strict=True):
            if known[dimension]:
                audience.setdefault(dimension, {})[key] = share
        bits = int(c.categories[row])
        price = None if c.price_minor[row] < 0 else Money(int(c.price_minor[row]), c.currencies[c.currency[row]])
        results = {}
        for brand, (rows, values) in c.brand_results.items():
            place = int(np.searchsorted(rows, row))  # rows are ascending
            if place < len(rows) and rows[place] == row:
                results[brand] = float(values[place])
        return CatalogRecord(
            creator_id=str(c.creator_ids[row]),
            platform=c.platforms[c.platform[row]],
            followers=int(c.followers[row]),
            engagement_rate=float(c.engagement_rate[row]),
            engagement_denominator=c.denominators[c.denominator[row]],
            price=price,
            audience=audience,
            categories=tuple(category for category, bit in CATEGORY_BITS.items() if bits & bit),
            country=None if c.country[row] < 0 else c.countries[c.country[row]],
            language=None if c.language[row] < 0 else c.languages[c.language[row]],
            credibility=None if np.isnan(c.credibility[row]) else float(c.credibility[row]),
            available_from=_moment(c.available_from[row]),
            available_until=_moment(c.available_until[row]),
            brand_results=results,
            recent_captions=() if c.captions is None else tuple(c.captions[row]),
        )

    def rank(
        self,
        brief: CampaignBrief,
        *,
        as_of: datetime,
        top: int = 100,
        weights: MatchWeights = DEFAULT_WEIGHTS,
        safety: BrandSafetyCheck | None = None,
        scorer: Scorer | None = None,
    ) -> Ranking:
        """The ``top`` creators for ``brief``, best first, each with its explained score.

        ``safety`` finds the brief's banned words in captions (the content-rule matcher); ``scorer`` replaces the
        default scoring (a ranking plugin): the filters still run column-wise, the scorer sees only who passed.

        :raises ValidationError: for a brief whose filters contradict each other, or a ``top`` below 1.
        """
        check_brief(brief)
        if top < 1:
            raise ValidationError([Problem("top", f"must be at least 1, got {top}")], "ranking")
        rows, excluded, warnings = eligible_rows(self, brief, weights)
        if scorer is not None:
            scored = sorted(
                (scorer.score(brief, self.record(int(row)), as_of=as_of) for row in rows),
                key=lambda match: -match.score,
            )
            return Ranking(
                matches=tuple(scored[:top]),
                considered=self.size,
                eligible=len(rows),
                excluded=excluded,
                warnings=warnings,
            )
        values, more = scores(self, brief, rows, weights)
        matches, vetoed = self._top(brief, rows, values, top=top, as_of=as_of, weights=weights, safety=safety)
        if vetoed:
            excluded = {**excluded, "brand_safety": vetoed}
        return Ranking(
            matches=matches,
            considered=self.size,
            eligible=len(rows) - vetoed,
            excluded=excluded,
            warnings=(*warnings, *more),
        )

    def shortlist(
        self, brief: CampaignBrief, *, count: int, weights: MatchWeights = DEFAULT_WEIGHTS
    ) -> list[CatalogRecord]:
        """The ``count`` rows that pass the brief's filters with the best default scores, as records.

        For a caller that ranks the catalog beside other sources with its own (row-wise) scorer: the filters and
        a first cut run column-wise, so only ``count`` records are built however large the catalog is.
        """
        check_brief(brief)
        if count < 1:
            raise ValidationError([Problem("count", f"must be at least 1, got {count}")], "shortlist")
        rows, _, _ = eligible_rows(self, brief, weights)
        if len(rows) == 0:
            return []
        values, _ = scores(self, brief, rows, weights)
        return [self.record(int(row)) for row in rows[_best(values, count)]]

    def _top(
        self,
        brief: CampaignBrief,
        rows: Ints,
        values: Floats,
        *,
        top: int,
        as_of: datetime,
        weights: MatchWeights,
        safety: BrandSafetyCheck | None,
    ) -> tuple[tuple[Match, ...], int]:
        """The best ``top`` rows as matches, passing over those brand safety vetoes; and how many it vetoed."""
        checks_captions = bool(brief.content_rules.banned_words) and safety is not None
        taken = min(len(rows), top * _SAFETY_MARGIN if checks_captions else top)
        matches: list[Match] = []
        vetoed, start = 0, 0
        while len(matches) < top and start < len(rows):
            order = _best(values, taken)
            for position in order[start:]:
                match = score_candidate(
                    brief, self.record(int(rows[position])), as_of=as_of, weights=weights, safety=safety
                )
                if match.score == 0 and any(c.veto for c in match.components):
                    vetoed += 1
                    continue
                matches.append(match)
                if len(matches) == top:
                    break
            start, taken = len(order), min(len(rows), taken * 2)
        return tuple(matches), vetoed


def _best(values: Floats, count: int) -> Ints:
    """The positions of the ``count`` highest values, highest first; ties in row order."""
    chosen = np.argpartition(-values, count - 1)[:count] if count < len(values) else np.arange(len(values))
    return chosen[np.lexsort((chosen, -values[chosen]))].astype(np.int64)


def _moment(seconds: float) -> datetime | None:
    return None if np.isnan(seconds) else datetime.fromtimestamp(float(seconds), UTC)
