"""A brief's filters and score over the catalog's columns: :mod:`._scoring`'s formulas, for every row at once.

Each formula here is the row-wise one of :mod:`._scoring` written over arrays, and a test holds the two to the
same numbers. The filters run over every row (one boolean column each, counted for ``Ranking.excluded``); the
score only over the rows that passed them, gathered once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..entities import AudienceDimension, CampaignBrief, Category
from ._scoring import CATEGORY_BITS, MatchWeights, covers, price_cap

if TYPE_CHECKING:
    from ._catalog import Bools, Catalog, Floats, Ints

__all__ = ["eligible_rows", "scores"]


def _within(codes: np.ndarray, vocabulary: tuple[str, ...], wanted: tuple[str, ...]) -> Bools:
    """Rows whose code is one of the ``wanted`` values (a value the catalog never saw matches no row)."""
    known = [vocabulary.index(value) for value in wanted if value in vocabulary]
    return np.isin(codes, np.asarray(known, dtype=codes.dtype))


def _category_bits(brief: CampaignBrief) -> np.uint64:
    bits = 0
    for name in brief.requirements.categories:
        bits |= int(CATEGORY_BITS[Category(name)])
    return np.uint64(bits)


def _overlap(catalog: Catalog, brief: CampaignBrief, rows: Ints | slice) -> Floats:
    """Seconds of the publishing window each row is available in: negative for none, NaN where unknown."""
    start = np.maximum(catalog.columns.available_from[rows], brief.timeline.publish_from.timestamp())
    end = np.minimum(catalog.columns.available_until[rows], brief.timeline.publish_until.timestamp())
    return end - start


def _filters(catalog: Catalog, brief: CampaignBrief) -> dict[str, Bools]:
    """Each hard filter the brief sets, as the rows that pass it. Why this is long: one line pair per filter."""
    c, wanted, passing = catalog.columns, brief.requirements, {}
    if wanted.platforms:
        passing["platform"] = _within(c.platform, c.platforms, wanted.platforms)
    if wanted.categories:
        passing["category"] = (c.categories & _category_bits(brief)) != 0
    if wanted.countries:
        passing["country"] = _within(c.country, c.countries, wanted.countries)
    if wanted.languages:
        passing["language"] = _within(c.language, c.languages, wanted.languages)
    if wanted.min_followers is not None:
        passing["min_followers"] = c.followers >= wanted.min_followers
    if wanted.max_followers is not None:
        passing["max_followers"] = c.followers <= wanted.max_followers
    if wanted.min_engagement_rate is not None:
        passing["min_engagement_rate"] = c.engagement_rate >= wanted.min_engagement_rate
    cap, priced = price_cap(brief), c.price_minor >= 0
    same = c.currency == (c.currencies.index(cap.currency) if cap.currency in c.currencies else -2)
    passing["price_currency"] = ~priced | same
    passing["price"] = ~priced | ~same | (c.price_minor <= cap.amount)
    passing["availability"] = ~(_overlap(catalog, brief, slice(None)) < 0)  # NaN (unknown) passes
    return passing


def eligible_rows(
    catalog: Catalog, brief: CampaignBrief, weights: MatchWeights
) -> tuple[Ints, dict[str, int], tuple[str, ...]]:
    """The rows that pass every filter and the quality gate (ascending), the count each turned away, warnings."""
    passing = _filters(catalog, brief)
    gate = ~(catalog.columns.credibility < weights.min_credibility)  # NaN (unknown) is not gated
    passing["quality_gate"] = gate
    every = np.ones(catalog.size, dtype=np.bool_)
    for column in passing.values():
        every &= column
    excluded = {name: int(catalog.size - np.count_nonzero(column)) for name, column in passing.items()}
    warnings = []
    if excluded["price_currency"]:
        warnings.append(
            f"{excluded['price_currency']} creators priced in another currency than the budget's "
            f"{price_cap(brief).currency} were left out"
        )
    return np.flatnonzero(every), {name: n for name, n in excluded.items() if n}, tuple(warnings)


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
        known = known_rows[rows]
        share = np.zeros(len(rows), dtype=np.float64)
        for index in _bucket_rows(catalog, target.dimension, target.keys):
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
