"""A brief's filters and score over the catalog's columns: :mod:`._scoring`'s formulas, for every row at once.

Each formula here is the row-wise one of :mod:`._scoring` written over arrays, and a test holds the two to the
same numbers. The filters run over every row (one boolean column each, counted for ``Ranking.excluded``); the
score only over the rows that passed them, gathered once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..entities import AudienceDimension, CampaignBrief, Category
from ._scoring import CATEGORY_BITS, MatchWeights, covers, price_cap

if TYPE_CHECKING:
    from ._catalog import Bools, Catalog, Floats, Ints

__all__ = ["eligible_rows", "scores"]

#: Below one row in this many left, the filters after read the rows left rather than whole columns.
_SPARSE = 4
#: Up to how many wanted values a column is compared with, one by one, rather than looked up in a table.
_COMPARED = 4


def _among(vocabulary: tuple[str, ...], wanted: tuple[str, ...]) -> Callable[[np.ndarray], Bools]:
    """Whether each code of a column is one of the ``wanted`` values (one the catalog never saw matches no row).

    A few values are compared for; more are looked up in a table indexed by code (its last place standing for
    −1, unknown), one gather where ``np.isin`` would sort the column.
    """
    codes = [vocabulary.index(value) for value in dict.fromkeys(wanted) if value in vocabulary]
    if len(codes) <= _COMPARED:

        def compared(column: np.ndarray) -> Bools:
            found = np.zeros(len(column), dtype=np.bool_)
            for code in codes:
                found |= column == code
            return found

        return compared
    table = np.zeros(len(vocabulary) + 1, dtype=np.bool_)
    table[codes] = True
    return lambda column: table[column]


def _category_bits(brief: CampaignBrief) -> np.uint64:
    bits = 0
    for name in brief.requirements.categories:
        bits |= int(CATEGORY_BITS[Category(name)])
    return np.uint64(bits)


def _overlap(catalog: Catalog, brief: CampaignBrief, rows: Ints) -> Floats:
    """Seconds of the publishing window each row is available in: negative for none, NaN where unknown."""
    start = np.maximum(catalog.columns.available_from[rows], brief.timeline.publish_from.timestamp())
    end = np.minimum(catalog.columns.available_until[rows], brief.timeline.publish_until.timestamp())
    return end - start


def _filters(
    catalog: Catalog, brief: CampaignBrief, weights: MatchWeights
) -> list[tuple[str, Callable[[Ints | slice], Bools]]]:
    """Each hard filter the brief sets, then the quality gate: which of the given rows pass it, by name.

    In the order of :func:`~._scoring.rejections`, which is also about the order in which they cut most.
    Why this is long: one line pair per filter.
    """
    c, wanted, tests = catalog.columns, brief.requirements, []
    if wanted.platforms:
        platforms = _among(c.platforms, wanted.platforms)
        tests.append(("platform", lambda rows: platforms(c.platform[rows])))
    if wanted.categories:
        bits = _category_bits(brief)
        tests.append(("category", lambda rows: (c.categories[rows] & bits) != 0))
    if wanted.countries:
        countries = _among(c.countries, wanted.countries)
        tests.append(("country", lambda rows: countries(c.country[rows])))
    if wanted.languages:
        languages = _among(c.languages, wanted.languages)
        tests.append(("language", lambda rows: languages(c.language[rows])))
    if (low := wanted.min_followers) is not None:
        tests.append(("min_followers", lambda rows: c.followers[rows] >= low))
    if (high := wanted.max_followers) is not None:
        tests.append(("max_followers", lambda rows: c.followers[rows] <= high))
    if (floor := wanted.min_engagement_rate) is not None:
        tests.append(("min_engagement_rate", lambda rows: c.engagement_rate[rows] >= floor))
    cap = price_cap(brief)
    code = c.currencies.index(cap.currency) if cap.currency in c.currencies else -2
    tests.append(("price_currency", lambda rows: (c.currency[rows] == code) | (c.price_minor[rows] < 0)))
    tests.append(("price", lambda rows: c.price_minor[rows] <= cap.amount))  # an unknown price (−1) is under any cap
    start, end = brief.timeline.publish_from.timestamp(), brief.timeline.publish_until.timestamp()
    # NaN (unknown) compares false both ways: negating "ends before it starts" lets the unknown pass.
    tests.append(
        (
            "availability",
            lambda rows: ~(np.minimum(c.available_until[rows], end) < np.maximum(c.available_from[rows], start)),
        )
    )
    tests.append(("quality_gate", lambda rows: ~(c.credibility[rows] < weights.min_credibility)))  # NaN passes
    return tests


def eligible_rows(
    catalog: Catalog, brief: CampaignBrief, weights: MatchWeights
) -> tuple[Ints, dict[str, int], tuple[str, ...]]:
    """The rows that pass every filter and the quality gate (ascending), how many each turned away, warnings.

    A funnel: each filter's count is the rows it turned away of those the filters before it left (the counts
    add up to all the rows not eligible). While many rows are left a filter runs over whole columns, whose
    views cost nothing to read, and its rows are and-ed in; once few are left, it reads only theirs.
    """
    left, mask = catalog.size, np.ones(catalog.size, dtype=np.bool_)
    rows: Ints | None = None
    excluded: dict[str, int] = {}
    for name, test in _filters(catalog, brief, weights):
        if rows is None:
            mask &= test(slice(None))
            now = int(np.count_nonzero(mask))
            if now * _SPARSE < catalog.size:
                rows = np.flatnonzero(mask)
        else:
            passed = test(rows)
            rows = rows[passed]
            now = len(rows)
        if left - now:
            excluded[name] = left - now
        left = now
    if rows is None:
        rows = np.flatnonzero(mask)
    warnings = list(_unseen(catalog, brief))
    if excluded.get("price_currency"):
        warnings.append(
            f"{excluded['price_currency']} creators priced in another currency than the budget's "
            f"{price_cap(brief).currency} were left out"
        )
    return rows, excluded, tuple(warnings)


def _unseen(catalog: Catalog, brief: CampaignBrief) -> Iterator[str]:
    """The values a filter asks for that no creator in the catalog has: said, so that an empty result is explained."""
    c, wanted = catalog.columns, brief.requirements
    for what, asked, vocabulary in (
        ("platform", wanted.platforms, c.platforms),
        ("country", wanted.countries, c.countries),
        ("language", wanted.languages, c.languages),
    ):
        if unseen := [value for value in asked if value not in vocabulary]:
            yield f"no creator in the catalog has the {what} {', '.join(unseen)}"


def _audience(
    catalog: Catalog, brief: CampaignBrief, rows: Ints, weight: float, totals: tuple[Floats, Floats]
) -> list[str]:
    """Add each audience target's fit to ``totals`` (weighted sum, weights); warn of targets the catalog lacks."""
    numerator, denominator = totals
    share_weight, warnings = weight / max(1, len(brief.target_audience)), []
    for target in brief.target_audience:
        known_rows = catalog.known_audience.get(target.dimension)
        if known_rows is None:
            warnings.append(f"no creator in the catalog has {target.dimension} figures: that target was not scored")
            continue
        counted = _bucket_rows(catalog, target.dimension, target.keys)
        if not counted:
            keys = ", ".join(target.keys)
            warnings.append(f"no {target.dimension} bucket of the catalog counts for {keys}: every creator fits 0")
        known = known_rows[rows]
        share = np.zeros(len(rows), dtype=np.float64)
        for index in counted:
            share += catalog.columns.audience[index, rows]
        fit = np.minimum(share, target.min_share) / target.min_share if target.min_share > 0 else share
        numerator += np.where(known, share_weight * np.clip(fit, 0.0, 1.0), 0.0)
        denominator += np.where(known, share_weight, 0.0)
    return warnings


def _bucket_rows(catalog: Catalog, dimension: AudienceDimension, keys: tuple[str, ...]) -> list[int]:
    buckets = catalog.columns.buckets
    return [i for i, (d, key) in enumerate(buckets) if d == dimension and covers(d, keys, key)]


def _add(totals: tuple[Floats, Floats], weight: float, score: Floats, known: Bools) -> None:
    numerator, denominator = totals
    numerator += np.where(known, weight * np.clip(score, 0.0, 1.0), 0.0)
    denominator += np.where(known, weight, 0.0)


def scores(catalog: Catalog, brief: CampaignBrief, rows: Ints, weights: MatchWeights) -> tuple[Floats, tuple[str, ...]]:
    """Each row's score, ``Σ wᵢ·sᵢ ÷ Σ wᵢ`` over its scored components, and the warnings scoring raised."""
    c = catalog.columns
    totals = (np.zeros(len(rows)), np.zeros(len(rows)))
    warnings = _audience(catalog, brief, rows, weights.audience, totals)
    benchmark = catalog.benchmark[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        _add(totals, weights.engagement, c.engagement_rate[rows] / (2 * benchmark), ~np.isnan(benchmark))
        cap, price = price_cap(brief), c.price_minor[rows]
        price_score = np.ones(len(rows)) if cap.amount == 0 else 1 - price / (2 * cap.amount)
        _add(totals, weights.price, price_score, price >= 0)
        wanted = tuple(dict.fromkeys(brief.requirements.categories))
        if wanted:
            shared = np.bitwise_count(c.categories[rows] & _category_bits(brief))
            _add(totals, weights.category, shared / len(wanted), np.ones(len(rows), dtype=np.bool_))
        overlap = _overlap(catalog, brief, rows)
        window = brief.timeline.publish_until.timestamp() - brief.timeline.publish_from.timestamp()
        available = np.ones(len(rows)) if window == 0 else np.maximum(overlap, 1e-9) / window
        _add(totals, weights.availability, available, ~np.isnan(overlap))
    _past_results(catalog, brief, rows, weights.past_results, totals)
    numerator, denominator = totals
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = np.where(denominator > 0, numerator / denominator, 0.0)
    return np.clip(combined, 0.0, 1.0), tuple(warnings)


def _past_results(
    catalog: Catalog, brief: CampaignBrief, rows: Ints, weight: float, totals: tuple[Floats, Floats]
) -> None:
    results = catalog.columns.brand_results.get(brief.brand_id)
    if results is None or not len(results[0]):
        return
    worked, met = results
    place = np.minimum(np.searchsorted(worked, rows), len(worked) - 1)
    _add(totals, weight, met[place], worked[place] == rows)
