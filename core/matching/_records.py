"""What discovery found, as the records the scorer reads: one :class:`CatalogRecord` per platform account.

Each figure comes from the candidate as its platform gave it, never guessed. Followers are the metrics' count,
else the account's. The engagement rate keeps its denominator; a candidate without one gets NaN (which fails
no filter) and its ``engagement`` component is replaced by a "not scored" one (:func:`unknown_figures`). The
price is the rate card's for the brief's deliverable type, else its cheapest tier in the budget's currency,
else its first. The audience is each dimension's breakdown (followers' first) as canonical shares. The
availability is the creator's window that overlaps the publishing window most. No entity carries a
real-follower share yet, so the quality gate passes every discovered account and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from ..analytics import CatalogRecord
from ..analytics._scoring import combined, price_cap
from ..entities import (
    AudienceDimension,
    AvailabilityWindow,
    CampaignBrief,
    Category,
    Count,
    CreatorCandidate,
    CreatorMetrics,
    Denominator,
    Match,
    PlatformAccount,
    ScoreComponent,
    Statistic,
)
from ..money import Money

__all__ = ["account_of", "candidate_record", "typical_views", "unknown_figures"]

_CATEGORIES = {category.value for category in Category}


def account_of(candidate: CreatorCandidate) -> PlatformAccount | None:
    return candidate.profile.account_on(candidate.platform)


def candidate_record(brief: CampaignBrief, candidate: CreatorCandidate, creator_id: str) -> CatalogRecord | None:
    """The record of ``candidate`` as ``creator_id``; None when its platform gave no follower count."""
    profile, metrics = candidate.profile, candidate.metrics
    account = account_of(candidate)
    figure = metrics.followers if metrics is not None and metrics.followers is not None else None
    if figure is None and account is not None:
        figure = account.followers
    if figure is None:
        return None
    rate = metrics.engagement_rate if metrics is not None else None
    audience: dict[AudienceDimension, dict[str, float]] = {}
    if candidate.audience is not None:
        for dimension in AudienceDimension:
            breakdown = candidate.audience.breakdown(dimension)
            if breakdown is not None and breakdown.shares:
                audience[dimension] = {share.key: share.share for share in breakdown.shares}
    start, end = _window(brief, profile.availability)
    return CatalogRecord(
        creator_id=creator_id,
        platform=candidate.platform,
        followers=figure.value,
        engagement_rate=math.nan if rate is None else rate.value,
        engagement_denominator=Denominator.VIEWS if rate is None else rate.denominator,
        price=_price(brief, candidate),
        audience=audience,
        categories=tuple(Category(name) for name in profile.categories if name in _CATEGORIES),
        country=profile.country,
        language=_language(brief, profile.languages),
        available_from=start,
        available_until=end,
        typical_views=typical_views(metrics),
    )


def typical_views(metrics: CreatorMetrics | None) -> Count | None:
    """One post's views as the platform states them: its sponsored posts' mean or median (what a deal's post is
    like), else the median of all its posts, else their mean; None when it gives no per-post figure."""
    if metrics is None:
        return None
    sponsored = metrics.sponsored.views if metrics.sponsored is not None else None
    for figure in (sponsored, metrics.median_views, metrics.average_views):
        if figure is not None and figure.statistic in (Statistic.MEAN, Statistic.MEDIAN):
            return figure
    return None


def _price(brief: CampaignBrief, candidate: CreatorCandidate) -> Money | None:
    card = candidate.profile.rate_card
    if card is None or not card.tiers:
        return None
    types = {deliverable.type for deliverable in brief.deliverables}
    if len(types) == 1 and (price := card.price_for(next(iter(types)))) is not None:
        return price
    currency = price_cap(brief).currency
    same = [tier.price for tier in card.tiers if tier.price.currency == currency]
    return min(same, key=lambda money: money.amount) if same else card.tiers[0].price


def _language(brief: CampaignBrief, spoken: Sequence[str]) -> str | None:
    wanted = [language for language in spoken if language in brief.requirements.languages]
    chosen = wanted or list(spoken)
    return chosen[0] if chosen else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _window(brief: CampaignBrief, windows: Sequence[AvailabilityWindow]) -> tuple[datetime | None, datetime | None]:
    """The window (as instants, its last day included) overlapping the publishing window most; else the first."""
    if not windows:
        return None, None
    last = timedelta(days=1) - timedelta(microseconds=1)
    spans = [(_day_start(w.starts), _day_start(w.ends) + last) for w in windows]

    def overlap(span: tuple[datetime, datetime]) -> float:
        start = max(span[0], brief.timeline.publish_from)
        end = min(span[1], brief.timeline.publish_until)
        return (end - start).total_seconds()

    return max(spans, key=overlap)


def unknown_figures(record: CatalogRecord, match: Match) -> Match:
    """``match`` saying what it could not judge: its engagement not scored when the record has no engagement rate
    (NaN), and brand safety not checked (no veto, weight 0) when no recent caption is known to check."""
    replaced: dict[str, ScoreComponent] = {}
    if math.isnan(record.engagement_rate):
        why = f"not scored: {record.platform} gave no engagement rate"
        replaced["engagement"] = ScoreComponent(name="engagement", score=0.0, weight=0.0, explanation=why)
    safety = next((c for c in match.components if c.name == "brand_safety"), None)
    if safety is not None and not record.recent_captions and safety.explanation.startswith("no banned word in 0"):
        why = "not checked: no recent caption of this account is known"
        replaced["brand_safety"] = ScoreComponent(name="brand_safety", score=1.0, weight=0.0, explanation=why)
    if not replaced:
        return match
    components = tuple(replaced.get(c.name, c) for c in match.components)
    return Match(
        brief_id=match.brief_id,
        creator_id=match.creator_id,
        platform=match.platform,
        score=combined(components),
        components=components,
        as_of=match.as_of,
    )
