"""A campaign's report: its KPIs per post, creator, platform and campaign, attainment against the brief's targets,
cost per result by creator, each creator's views over time and audience match against the target.

:func:`build_report` is pure: it takes what the store holds about one campaign (:class:`CampaignData`, gathered by
``kit.reports``) and computes everything from it with :func:`~creatorkit.analytics.summarise`, so a report's
figures are the KPI functions' figures. The result is plain data; its JSON (``creatorkit.converter.unstructure``)
holds every number the report's charts draw (:mod:`._report_html` draws them from these fields only).

Choices where a brief does not say:

* a post counts from its latest snapshot read by ``as_of`` (``fetched_at``: what was known then); a deal without
  a post, or a post without a snapshot yet, is listed in ``unmeasured`` with the reason, and costs nothing in the
  KPIs (its price would divide into views it has not had);
* count targets (views, reach, engagements) are campaign totals: they are judged for the campaign and each
  platform; rate and cost targets are judged for every creator too;
* "cost per result" is the brief's first cost target (CPM, CPE or CPV), else cost per click/conversion where every
  creator has them, else cost per engagement — ``result_metric`` says which;
* follower growth runs from the creator's last account snapshot at or before their first post of the campaign
  (else their first one) to their last one read by ``as_of``; a post's engagement rate by followers uses the
  followers at its publication (the same snapshot);
* audience match is the share of the creator's audience (followers' breakdown first) in the target's buckets; the
  campaign's is each creator's share weighted by the views their posts had (an estimate, and labelled so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from ..entities import (
    AudienceDimension,
    AudienceKind,
    AudienceProfile,
    AudienceTarget,
    CampaignBrief,
    CostMetric,
    CostPer,
    CreatorMetrics,
    Deal,
    Kpi,
    KpiMetric,
    KpiScope,
    KpiSummary,
    MetricSource,
    PostSnapshot,
    PublishedPost,
)
from ..money import Money
from ._kpis import FollowerChange, PostResult, summarise
from ._scoring import counted

__all__ = [
    "AudienceMatch",
    "CampaignData",
    "CampaignPost",
    "CampaignReport",
    "CreatorReport",
    "PostReport",
    "ViewsPoint",
    "ViewsSeries",
    "build_report",
]

_COUNT_TARGETS = {KpiMetric.VIEWS, KpiMetric.REACH, KpiMetric.ENGAGEMENTS, KpiMetric.CLICKS, KpiMetric.CONVERSIONS}
_COST_TARGETS = {KpiMetric.CPM: CostMetric.CPM, KpiMetric.CPE: CostMetric.CPE, KpiMetric.CPV: CostMetric.CPV}


# --- what the store holds about a campaign ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CampaignPost:
    """One published post of the campaign with its deal, its caption and its snapshots (oldest slot first);
    ``followers`` is the creator's latest follower count on the post's platform, when known."""

    post: PublishedPost
    deal: Deal
    caption: str = ""
    snapshots: tuple[PostSnapshot, ...] = ()
    followers: int | None = None


@attrs.frozen(kw_only=True)
class CampaignData:
    """Everything a report is computed from: the brief, its deals, their posts, and the creators' names, latest
    audiences and account metrics snapshots, oldest first (each by creator id, then platform)."""

    brief: CampaignBrief
    deals: tuple[Deal, ...]
    posts: tuple[CampaignPost, ...]
    creator_names: Mapping[str, str] = attrs.field(factory=dict)
    audiences: Mapping[str, Mapping[str, AudienceProfile]] = attrs.field(factory=dict)
    account_metrics: Mapping[str, Mapping[str, tuple[CreatorMetrics, ...]]] = attrs.field(factory=dict)


# --- the report ------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ViewsPoint:
    """The views of a creator's posts as the sync round of ``slot`` read them (``as_of``: the oldest figure)."""

    slot: datetime
    views: int
    as_of: datetime


@attrs.frozen(kw_only=True)
class ViewsSeries:
    """A creator's views over time: at each slot, the sum over their posts of each one's latest snapshot then.

    Lifetime counts of views (a post's views since it was published), not views gained per slot.
    """

    creator_id: str
    creator_name: str
    source: MetricSource
    points: tuple[ViewsPoint, ...]


@attrs.frozen(kw_only=True)
class PostReport:
    post_id: str
    deal_id: str
    creator_id: str
    platform: str
    url: str
    caption: str
    published_at: datetime
    snapshots: int
    kpis: KpiSummary


@attrs.frozen(kw_only=True)
class CreatorReport:
    """A creator's KPIs over their measured posts in the campaign, and what one result cost
    (``result_cost``, the report's ``result_metric``; ``result_cost_amount`` is it in major units, as charted)."""

    creator_id: str
    creator_name: str
    platforms: tuple[str, ...]
    deal_ids: tuple[str, ...]
    kpis: KpiSummary
    result_cost: CostPer | None = None
    result_cost_amount: str | None = None


@attrs.frozen(kw_only=True)
class AudienceMatch:
    """How much of an audience is in one of the brief's targets: ``share`` of it in ``target_keys`` against the
    target's ``min_share``. ``creator_id`` ``None``: the campaign's, weighted by each creator's views.

    ``truncated``: the platform reported only its top buckets, so the share is at least this; ``reason`` says why
    ``share`` is missing when it is.
    """

    creator_id: str | None
    creator_name: str
    platform: str | None
    dimension: AudienceDimension
    target_keys: tuple[str, ...]
    min_share: float
    share: float | None
    met: bool | None
    source: MetricSource | None
    as_of: datetime | None
    audience_kind: AudienceKind | None = None
    denominator: str = "followers"
    truncated: bool = False
    reason: str | None = None


@attrs.frozen(kw_only=True)
class CampaignReport:
    """A campaign's report at ``as_of``; every figure states its denominator, source and time."""

    brief_id: str
    brief_name: str
    brand_id: str
    as_of: datetime
    currency: str
    result_metric: CostMetric
    campaign: KpiSummary | None
    platforms: tuple[KpiSummary, ...]
    creators: tuple[CreatorReport, ...]
    posts: tuple[PostReport, ...]
    views_over_time: tuple[ViewsSeries, ...]
    audience_match: tuple[AudienceMatch, ...]
    unmeasured: tuple[str, ...] = ()


def build_report(data: CampaignData, as_of: datetime) -> CampaignReport:
    """The report of ``data`` as it stood at ``as_of``: snapshots read after it are left out."""
    brief = data.brief
    names = dict(data.creator_names)
    measured, unmeasured = _measured(data, as_of)
    results = [result for _, result in measured]
    growth = _follower_changes(data, measured, as_of)
    rate_and_cost = tuple(kpi for kpi in brief.kpis if kpi.metric not in _COUNT_TARGETS)
    by_creator = _group(results, lambda r: r.creator_id)
    creators = tuple(
        _creator(key, names.get(key, key), group, data, rate_and_cost, growth) for key, group in by_creator.items()
    )
    metric = _result_metric(brief, creators)
    creators = tuple(_with_result_cost(c, metric) for c in creators)
    views_by_creator = {c.creator_id: (c.kpis.views.value if c.kpis.views else 0) for c in creators}
    return CampaignReport(
        brief_id=brief.id,
        brief_name=brief.name,
        brand_id=brief.brand_id,
        as_of=as_of,
        currency=brief.budget.total.currency,
        result_metric=metric,
        campaign=summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis, growth) if results else None,
        platforms=tuple(
            summarise(group, KpiScope.PLATFORM, key, brief.kpis, growth)
            for key, group in _group(results, lambda r: r.platform).items()
        ),
        creators=creators,
        posts=tuple(_post(item, result, rate_and_cost) for item, result in measured),
        views_over_time=_views_over_time(measured, names, as_of),
        audience_match=_audience_match(data, names, views_by_creator, {c.creator_id: c.platforms for c in creators}),
        unmeasured=tuple(unmeasured),
    )


# --- the parts -------------------------------------------------------------------------------------------------


def _measured(data: CampaignData, as_of: datetime) -> tuple[list[tuple[CampaignPost, PostResult]], list[str]]:
    """Each post with a snapshot by ``as_of``, as a :class:`PostResult`; and what could not be measured, why."""
    with_post = {item.deal.id for item in data.posts}
    unmeasured = [
        f"deal {d.id} ({d.creator_id}): no published post ({d.state})" for d in data.deals if d.id not in with_post
    ]
    measured = []
    shares = _price_shares(data)
    for item in sorted(data.posts, key=lambda p: (p.post.published_at, p.post.id)):
        latest = _latest(_known(item.snapshots, as_of))
        if latest is None:
            unmeasured.append(f"post {item.post.id} ({item.deal.creator_id}): no snapshot by {as_of.isoformat()}")
            continue
        result = PostResult(
            post_id=item.post.id,
            creator_id=item.deal.creator_id,
            metrics=latest.metrics,
            cost=shares.get(item.post.id),
            followers=_followers_at(data, item) or item.followers,
        )
        measured.append((item, result))
    return measured, unmeasured


def _price_shares(data: CampaignData) -> dict[str, Money]:
    """Each post's share of its deal's price: a deal of several posts is paid once, so its price is split
    across them exactly (the allocator's largest remainder), in the order they were published."""
    by_deal: dict[str, list[CampaignPost]] = {}
    for item in sorted(data.posts, key=lambda p: (p.post.published_at, p.post.id)):
        by_deal.setdefault(item.deal.id, []).append(item)
    shares: dict[str, Money] = {}
    for items in by_deal.values():
        price = items[0].deal.price
        if price is not None:
            for item, share in zip(items, price.allocate([1] * len(items)), strict=True):
                shares[item.post.id] = share
    return shares


def _account_snapshots(data: CampaignData, creator_id: str, platform: str) -> tuple[CreatorMetrics, ...]:
    return tuple(m for m in data.account_metrics.get(creator_id, {}).get(platform, ()) if m.followers is not None)


def _at_or_before(snapshots: Sequence[CreatorMetrics], moment: datetime) -> CreatorMetrics | None:
    """The last snapshot at or before ``moment``, else the first one after it."""
    before = [m for m in snapshots if m.as_of <= moment]
    return before[-1] if before else (snapshots[0] if snapshots else None)


def _followers_at(data: CampaignData, item: CampaignPost) -> int | None:
    found = _at_or_before(_account_snapshots(data, item.deal.creator_id, item.post.platform), item.post.published_at)
    return (
        found.followers.value if found is not None and found.followers is not None and found.followers.value else None
    )


def _follower_changes(
    data: CampaignData, measured: Sequence[tuple[CampaignPost, PostResult]], as_of: datetime
) -> tuple[FollowerChange, ...]:
    """Each measured creator account's followers from its first post of the campaign to ``as_of``, where the
    account was read at two different times."""
    first: dict[tuple[str, str], datetime] = {}
    for item, _ in measured:
        key = (item.deal.creator_id, item.post.platform)
        first[key] = min(first.get(key, item.post.published_at), item.post.published_at)
    changes = []
    for (creator_id, platform), started in sorted(first.items()):
        snapshots = [m for m in _account_snapshots(data, creator_id, platform) if m.as_of <= as_of]
        start = _at_or_before(snapshots, started)
        end = snapshots[-1] if snapshots else None
        if start is None or end is None or start.as_of >= end.as_of or start.followers is None or end.followers is None:
            continue
        changes.append(
            FollowerChange(creator_id=creator_id, platform=platform, start=start.followers, end=end.followers)
        )
    return tuple(changes)


def _known(snapshots: Sequence[PostSnapshot], as_of: datetime) -> list[PostSnapshot]:
    """The snapshots read by ``as_of``."""
    return [s for s in snapshots if s.fetched_at <= as_of]


def _latest(snapshots: Sequence[PostSnapshot], slot: datetime | None = None) -> PostSnapshot | None:
    """The snapshot of the latest slot (up to ``slot``)."""
    kept = [s for s in snapshots if slot is None or s.slot <= slot]
    return max(kept, key=lambda s: s.slot) if kept else None


def _group(results: Sequence[PostResult], key: Callable[[PostResult], str]) -> dict[str, list[PostResult]]:
    grouped: dict[str, list[PostResult]] = {}
    for result in results:
        grouped.setdefault(key(result), []).append(result)
    return dict(sorted(grouped.items()))


def _creator(
    creator_id: str,
    name: str,
    results: list[PostResult],
    data: CampaignData,
    kpis: tuple[Kpi, ...],
    growth: Sequence[FollowerChange],
) -> CreatorReport:
    deals = sorted({item.deal.id for item in data.posts if item.post.id in {r.post_id for r in results}})
    return CreatorReport(
        creator_id=creator_id,
        creator_name=name,
        platforms=tuple(sorted({r.platform for r in results})),
        deal_ids=tuple(deals),
        kpis=summarise(results, KpiScope.CREATOR, creator_id, kpis, growth),
    )


def _cost_of(summary: KpiSummary, metric: CostMetric) -> CostPer | None:
    return {
        CostMetric.CPM: summary.cpm,
        CostMetric.CPE: summary.cpe,
        CostMetric.CPV: summary.cpv,
        CostMetric.COST_PER_RESULT: summary.cost_per_result,
    }[metric]


def _result_metric(brief: CampaignBrief, creators: Sequence[CreatorReport]) -> CostMetric:
    for kpi in brief.kpis:
        if kpi.metric in _COST_TARGETS:
            return _COST_TARGETS[kpi.metric]
    if creators and all(c.kpis.cost_per_result is not None for c in creators):
        return CostMetric.COST_PER_RESULT
    return CostMetric.CPE


def _with_result_cost(creator: CreatorReport, metric: CostMetric) -> CreatorReport:
    cost = _cost_of(creator.kpis, metric)
    amount = None if cost is None else str(cost.amount())
    return attrs.evolve(creator, result_cost=cost, result_cost_amount=amount)


def _post(item: CampaignPost, result: PostResult, kpis: tuple[Kpi, ...]) -> PostReport:
    return PostReport(
        post_id=item.post.id,
        deal_id=item.deal.id,
        creator_id=item.deal.creator_id,
        platform=item.post.platform,
        url=item.post.url,
        caption=item.caption,
        published_at=item.post.published_at,
        snapshots=len(item.snapshots),
        kpis=summarise([result], KpiScope.POST, result.post_id, kpis),
    )


def _views_over_time(
    measured: Sequence[tuple[CampaignPost, PostResult]], names: Mapping[str, str], as_of: datetime
) -> tuple[ViewsSeries, ...]:
    """Each creator's views at every slot any of their posts was read in, up to ``as_of``."""
    by_creator: dict[str, list[CampaignPost]] = {}
    for item, _ in measured:
        by_creator.setdefault(item.deal.creator_id, []).append(item)
    series = []
    for creator_id, items in sorted(by_creator.items()):
        kept = [[s for s in _known(item.snapshots, as_of) if s.metrics.views is not None] for item in items]
        slots = sorted({s.slot for snapshots in kept for s in snapshots})
        points: list[ViewsPoint] = []
        sources: set[MetricSource] = set()
        for slot in slots:
            current = [latest for snapshots in kept if (latest := _latest(snapshots, slot)) is not None]
            views = [s.metrics.views for s in current if s.metrics.views is not None]
            sources.update(v.source for v in views)
            points.append(
                ViewsPoint(slot=slot, views=sum(v.value for v in views), as_of=min(s.metrics.as_of for s in current))
            )
        source = min(sources, key=_TRUST.index) if sources else MetricSource.PLATFORM
        series.append(
            ViewsSeries(
                creator_id=creator_id,
                creator_name=names.get(creator_id, creator_id),
                source=source,
                points=tuple(points),
            )
        )
    return tuple(series)


_TRUST = (MetricSource.ESTIMATED, MetricSource.REPORTED, MetricSource.PLATFORM)


def _audience_match(
    data: CampaignData,
    names: Mapping[str, str],
    views_by_creator: Mapping[str, int],
    platforms: Mapping[str, Sequence[str]],
) -> tuple[AudienceMatch, ...]:
    """Per creator, platform posted on and target: the share of that audience in it; then the campaign's."""
    brief, found = data.brief, []
    for creator_id in sorted(views_by_creator):
        known = data.audiences.get(creator_id, {})
        for platform in platforms.get(creator_id, ()):
            profile = known.get(platform)
            if profile is None:
                for target in brief.target_audience:
                    name = names.get(creator_id, creator_id)
                    found.append(_target_row(creator_id, name, platform, target, f"no {platform} audience is kept"))
                continue
            for target in brief.target_audience:
                found.append(_match(creator_id, names.get(creator_id, creator_id), platform, profile, target))
    campaign = []
    for target in brief.target_audience:
        mine = [m for m in found if m.dimension is target.dimension and m.target_keys == tuple(target.keys)]
        campaign.append(_campaign_match(target, mine, views_by_creator))
    return (*found, *campaign)


def _target_row(
    creator_id: str | None, name: str, platform: str | None, target: AudienceTarget, reason: str
) -> AudienceMatch:
    """The row of one target before its share is known (``reason`` says why it is not, until it is)."""
    return AudienceMatch(
        creator_id=creator_id,
        creator_name=name,
        platform=platform,
        dimension=target.dimension,
        target_keys=tuple(target.keys),
        min_share=target.min_share,
        share=None,
        met=None,
        source=None,
        as_of=None,
        reason=reason,
    )


def _match(
    creator_id: str, name: str, platform: str, profile: AudienceProfile, target: AudienceTarget
) -> AudienceMatch:
    breakdown = profile.breakdown(target.dimension)
    row = _target_row(creator_id, name, platform, target, f"{platform} gives no {target.dimension} breakdown")
    if breakdown is None:
        return row
    shares = {s.key: s.share for s in breakdown.shares}
    share = min(1.0, sum(shares[key] for key in counted(target.dimension, row.target_keys, tuple(shares))))
    return attrs.evolve(
        row,
        share=share,
        met=share >= target.min_share,
        source=breakdown.source,
        as_of=breakdown.as_of,
        audience_kind=breakdown.kind,
        denominator=str(breakdown.kind),
        truncated=breakdown.truncated,
        reason=None,
    )


def _campaign_match(
    target: AudienceTarget, matches: Sequence[AudienceMatch], views: Mapping[str, int]
) -> AudienceMatch:
    known = [(m, views.get(m.creator_id or "", 0)) for m in matches if m.share is not None]
    known = [(m, weight) for m, weight in known if weight]
    row = attrs.evolve(
        _target_row(None, "campaign", None, target, "no creator with views has this breakdown"), denominator="views"
    )
    if not known:
        return row
    total = sum(weight for _, weight in known)
    share = sum((m.share or 0.0) * weight for m, weight in known) / total
    missing = sorted({m.creator_id for m in matches if m.share is None and m.creator_id})
    return attrs.evolve(
        row,
        share=share,
        met=share >= target.min_share,
        source=MetricSource.ESTIMATED,
        as_of=min(m.as_of for m, _ in known if m.as_of is not None),
        truncated=any(m.truncated for m, _ in known),
        reason=f"without {', '.join(missing)}: no breakdown" if missing else None,
    )
