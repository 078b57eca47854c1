"""A brief as one discovery query: its filters in the SDK's own terms, which each platform's plugin translates.

What a brief asks that no discovery filter carries is said here, once, as a warning of the result (its tags; a
dimension with several audience targets, or a joint gender-and-age one, which are scored but not filtered on),
never dropped in silence. A brief whose filters contradict each other is refused before any platform is asked.
"""

from __future__ import annotations

from collections import defaultdict

from ..analytics._scoring import check_brief, price_cap
from ..config import AnalyticsSettings
from ..entities import (
    AudienceDimension,
    AudienceFilter,
    CampaignBrief,
    Category,
    CountRange,
    Denominator,
    DiscoveryQuery,
    PriceRange,
    RateRange,
)
from ..errors import Problem, ValidationError

__all__ = ["brief_query", "check_match_brief"]


def check_match_brief(brief: CampaignBrief) -> None:
    """Refuse a brief no creator can answer: :func:`~creatorkit.analytics._scoring.check_brief`'s contradictions
    (minimum followers above the maximum, an unknown category, a target naming no bucket), targets on one
    dimension whose floors over different buckets add up to more than the whole audience, and audience keys that
    are not the core's buckets.

    :raises ValidationError: naming every field at fault.
    """
    check_brief(brief)
    problems: list[Problem] = []
    floors: dict[AudienceDimension, list[tuple[int, frozenset[str], float]]] = defaultdict(list)
    for index, target in enumerate(brief.target_audience):
        floors[target.dimension].append((index, frozenset(target.keys), target.min_share))
        if target.min_share > 0 and target.dimension is not AudienceDimension.GENDER_AGE:
            try:
                AudienceFilter(dimension=target.dimension, keys=target.keys, min_share=target.min_share)
            except ValueError as exc:
                problems.append(Problem(f"target_audience[{index}].keys", str(exc)))
    for dimension, targets in floors.items():
        disjoint = all(not (a & b) for i, (_, a, _s) in enumerate(targets) for _, b, _t in targets[i + 1 :])
        total = sum(share for _, _, share in targets)
        if len(targets) > 1 and disjoint and total > 1:
            last = targets[-1][0]
            problems.append(
                Problem(
                    f"target_audience[{last}].min_share",
                    f"the {dimension} targets ask for {total:.0%} of one audience over different buckets",
                )
            )
    if problems:
        raise ValidationError(problems, "brief")


def brief_query(brief: CampaignBrief, settings: AnalyticsSettings) -> tuple[DiscoveryQuery, tuple[str, ...]]:
    """The discovery query for ``brief`` (its first page), and what of the brief no discovery filter carries."""
    wanted, warnings = brief.requirements, []
    followers = None
    if wanted.min_followers is not None or wanted.max_followers is not None:
        followers = CountRange(min=wanted.min_followers, max=wanted.max_followers)
    cap = price_cap(brief)
    types = {deliverable.type for deliverable in brief.deliverables}
    price = None
    if cap.amount > 0:
        price = PriceRange(max=cap, deliverable=next(iter(types)) if len(types) == 1 else None)
    engagement = None
    if wanted.min_engagement_rate is not None:
        denominator = Denominator(settings.engagement_denominator)
        engagement = RateRange(min=wanted.min_engagement_rate, denominator=denominator)
    if wanted.tags:
        warnings.append(f"tags ({', '.join(wanted.tags)}) are not a discovery filter: no platform was asked for them")
    query = DiscoveryQuery(
        categories=tuple(Category(name) for name in wanted.categories),
        countries=wanted.countries,
        languages=wanted.languages,
        followers=followers,
        price=price,
        engagement_rate=engagement,
        audience=_audience_filters(brief, warnings),
        limit=settings.page_size,
    )
    return query, tuple(warnings)


def _audience_filters(brief: CampaignBrief, warnings: list[str]) -> tuple[AudienceFilter, ...]:
    """One filter per dimension with exactly one target that sets a floor; the other targets are only scored."""
    by_dimension: dict[AudienceDimension, list[int]] = defaultdict(list)
    for index, target in enumerate(brief.target_audience):
        if target.min_share > 0:
            by_dimension[target.dimension].append(index)
    filters = []
    for dimension, indexes in by_dimension.items():
        if dimension is AudienceDimension.GENDER_AGE:
            warnings.append("the gender_age target is scored, not filtered on: discovery filters gender and age apart")
        elif len(indexes) > 1:
            warnings.append(f"the {len(indexes)} {dimension} targets are scored, not filtered on: one filter each")
        else:
            target = brief.target_audience[indexes[0]]
            filters.append(AudienceFilter(dimension=dimension, keys=target.keys, min_share=target.min_share))
    return tuple(filters)
