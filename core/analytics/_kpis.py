"""KPIs per post, creator, platform and campaign, from what the posts did and what they cost.

Every figure says what it is over. Counts are summed only where every post summarised has them: a sum over the
posts that happen to report views, divided into the cost of all of them, would be a CPM that is wrong and looks
right. What cannot be computed is named in ``missing`` with its reason instead. Rates are recomputed from the
sums (total engagements ÷ total views), never averaged from per-post rates, and each is labelled with its
denominator; completion and 6-second view rates are weighted by each post's views, which is what the totals of
full and 6-second plays over all plays would give. Costs stay the two integers they come from
(:class:`~creatorkit.entities.CostPer`) until shown.

The formulas are the market's (see the analytics section of ``docs/analytics.md``): engagement rate by views
(TikTok), by reach (Instagram) and by followers; CPM = cost ÷ views × 1000 (by reach where a platform has no
views); CPE = cost ÷ engagements; CPV = cost ÷ views; cost per result = cost ÷ clicks or conversions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from ..entities import (
    CostDenominator,
    CostMetric,
    CostPer,
    Count,
    Denominator,
    Kpi,
    KpiAttainment,
    KpiMetric,
    KpiScope,
    KpiSummary,
    MetricSource,
    PostMetrics,
    Rate,
    Window,
)
from ..errors import Problem, ValidationError
from ..money import Money

__all__ = ["FollowerChange", "PostResult", "attain", "post_kpis", "summarise"]

#: The interactions an engagement counts, in the order they are named.
INTERACTIONS = ("likes", "comments", "shares", "saves")
#: From the least to the most trusted: a sum is as trustworthy as the least trusted figure in it.
_TRUST = (MetricSource.ESTIMATED, MetricSource.REPORTED, MetricSource.PLATFORM)


@attrs.frozen(kw_only=True)
class PostResult:
    """One published post of a campaign: what it did, what it cost, who made it.

    ``cost`` is what the brand paid for it (its deal's price, or its share of it); ``followers`` the creator's
    followers on the platform when it was posted (for engagement by followers); ``results`` the clicks or
    conversions the brief counts, where they are known.
    """

    post_id: str
    creator_id: str
    metrics: PostMetrics
    cost: Money | None = None
    followers: int | None = None
    results: int | None = None

    @property
    def platform(self) -> str:
        return self.metrics.platform


@attrs.frozen(kw_only=True)
class FollowerChange:
    """A creator's followers on a platform at the start and at the end of the campaign."""

    creator_id: str
    platform: str
    start: Count
    end: Count


def post_kpis(result: PostResult, kpis: Sequence[Kpi] = ()) -> KpiSummary:
    """The KPIs of one post, judged against ``kpis`` (a brief's targets)."""
    return summarise([result], KpiScope.POST, result.post_id, kpis)


def summarise(
    results: Sequence[PostResult],
    scope: KpiScope,
    key: str,
    kpis: Sequence[Kpi] = (),
    followers: Iterable[FollowerChange] = (),
) -> KpiSummary:
    """The KPIs of ``results`` summed as one ``scope`` named ``key`` (a creator id, a platform, a campaign id).

    :raises ValidationError: no posts, a post twice, or costs in more than one currency (they cannot be added).
    """
    _check(results)
    as_of = min(r.metrics.as_of for r in results)
    source = _weakest(source for r in results for source in _sources(r.metrics))
    window = Window.lifetime()
    platforms = {r.platform for r in results}
    missing: list[str] = []

    def count(value: int | None) -> Count | None:
        return None if value is None else Count(value=value, window=window, source=source, as_of=as_of)

    views = _total(results, lambda r: _value(r.metrics.views), "views", missing)
    reach = _total(results, lambda r: _value(r.metrics.reach), "reach", missing)
    counted = [name for name in INTERACTIONS if all(getattr(r.metrics, name) is not None for r in results)]
    engagements = sum(sum(_value(getattr(r.metrics, n)) or 0 for n in counted) for r in results) if counted else None
    if not counted:
        missing.append("engagements: no interaction (likes, comments, shares, saves) is reported for every post")
    cost = _cost(results, missing)
    results_total = _total(results, lambda r: r.results, "results", missing, quiet=True)
    rate = _RateMaker(window, source, as_of)
    summary = KpiSummary(
        scope=scope,
        key=key,
        posts=len(results),
        as_of=as_of,
        source=source,
        platform=next(iter(platforms)) if len(platforms) == 1 else None,
        cost=cost,
        views=count(views),
        reach=count(reach),
        engagements=count(engagements),
        engagement_counts=tuple(counted),
        engagement_rates=_engagement_rates(results, engagements, views, reach, rate, missing),
        completion_rate=_weighted(results, "completion_rate", views, rate, missing),
        six_second_view_rate=_weighted(results, "six_second_view_rate", views, rate, missing),
        results=count(results_total),
        cpm=_cost_per(CostMetric.CPM, cost, *_cpm_base(results, views, reach), 1000, source, as_of),
        cpe=_cost_per(CostMetric.CPE, cost, CostDenominator.ENGAGEMENTS, engagements, 1, source, as_of),
        cpv=_cost_per(CostMetric.CPV, cost, CostDenominator.VIEWS, views, 1, source, as_of),
        cost_per_result=_cost_per(
            CostMetric.COST_PER_RESULT, cost, CostDenominator.RESULTS, results_total, 1, source, as_of
        ),
        missing=tuple(missing),
    )
    summary = _with_followers(summary, results, list(followers), rate)
    return attrs.evolve(summary, attainment=tuple(attain(kpi, summary) for kpi in kpis))


def attain(kpi: Kpi, summary: KpiSummary) -> KpiAttainment:
    """How ``summary`` meets ``kpi``: counts and rates as actual ÷ target, costs as target ÷ actual.

    An engagement-rate target is judged on the rate by views where the posts have views, else by reach, else
    by followers (the attainment names the rate it used).
    """
    metric = kpi.metric
    if kpi.target_count is not None:
        figure = _count_for(metric, summary)
        if figure is None:
            return KpiAttainment(kpi=kpi, reason=f"no {metric} figure for every post")
        met = figure.value >= kpi.target_count
        return KpiAttainment(kpi=kpi, count=figure, attainment_bp=_ratio_bp(figure.value, kpi.target_count), met=met)
    if kpi.target_rate is not None:
        rate = _rate_for(metric, summary)
        if rate is None:
            return KpiAttainment(kpi=kpi, reason=f"no {metric} figure for every post")
        met = rate.value >= kpi.target_rate
        return KpiAttainment(kpi=kpi, rate=rate, attainment_bp=_ratio_bp(rate.value, kpi.target_rate), met=met)
    assert kpi.target_cost is not None
    cost = {KpiMetric.CPM: summary.cpm, KpiMetric.CPE: summary.cpe, KpiMetric.CPV: summary.cpv}.get(metric)
    if cost is None:
        return KpiAttainment(kpi=kpi, reason=f"no {metric}: the cost or its denominator is missing")
    if cost.cost.currency != kpi.target_cost.currency:
        return KpiAttainment(
            kpi=kpi, cost=cost, reason=f"the target is in {kpi.target_cost.currency}, the cost in {cost.cost.currency}"
        )
    actual = cost.minor_units
    return KpiAttainment(
        kpi=kpi,
        cost=cost,
        attainment_bp=_ratio_bp(kpi.target_cost.amount, actual) if actual else None,
        met=actual <= kpi.target_cost.amount,
    )


# --- the parts -------------------------------------------------------------------------------------------------


def _check(results: Sequence[PostResult]) -> None:
    if not results:
        raise ValidationError([Problem("results", "no posts to summarise")], "KPIs")
    seen: set[str] = set()
    for index, result in enumerate(results):
        if result.post_id in seen:
            raise ValidationError([Problem(f"results[{index}].post_id", f"{result.post_id!r} is listed twice")], "KPIs")
        seen.add(result.post_id)
    currencies = {r.cost.currency for r in results if r.cost is not None}
    if len(currencies) > 1:
        problem = Problem("results", f"costs in {', '.join(sorted(currencies))} cannot be added: convert them first")
        raise ValidationError([problem], "KPIs")


def _value(figure: Count | None) -> int | None:
    return None if figure is None else figure.value


def _sources(metrics: PostMetrics) -> list[MetricSource]:
    figures = (metrics.views, metrics.reach, metrics.likes, metrics.comments, metrics.shares, metrics.saves)
    found = [figure.source for figure in figures if figure is not None]
    return found or [MetricSource.PLATFORM]


def _weakest(sources: Iterable[MetricSource]) -> MetricSource:
    return min(sources, key=_TRUST.index)


def _total(
    results: Sequence[PostResult],
    read: Callable[[PostResult], int | None],
    name: str,
    missing: list[str],
    *,
    quiet: bool = False,
) -> int | None:
    """The sum of ``read`` over every post, or None (noted in ``missing``) when a post lacks it; ``quiet``: a
    figure no post has (results, where the brief counts none) is not noted."""
    values = [read(r) for r in results]
    lacking = [r.post_id for r, value in zip(results, values, strict=True) if value is None]
    if lacking:
        if not quiet or len(lacking) < len(results):
            missing.append(f"{name}: {len(lacking)} of {len(results)} posts have no figure ({', '.join(lacking[:5])})")
        return None
    return sum(value for value in values if value is not None)


def _cost(results: Sequence[PostResult], missing: list[str]) -> Money | None:
    lacking = [r.post_id for r in results if r.cost is None]
    if lacking:
        missing.append(f"cost: {len(lacking)} of {len(results)} posts have no cost ({', '.join(lacking[:5])})")
        return None
    currency = results[0].cost.currency  # type: ignore[union-attr]
    return sum((r.cost for r in results if r.cost is not None), Money.zero(currency))


class _RateMaker:
    """Rates of one summary: the same window, source and time."""

    def __init__(self, window: Window, source: MetricSource, as_of: datetime) -> None:
        self.window, self.source, self.as_of = window, source, as_of

    def __call__(self, numerator: float, denominator: int, over: Denominator) -> Rate:
        return Rate(
            value=numerator / denominator,
            denominator=over,
            window=self.window,
            source=self.source,
            as_of=self.as_of,
            denominator_value=denominator,
        )


def _engagement_rates(
    results: Sequence[PostResult],
    engagements: int | None,
    views: int | None,
    reach: int | None,
    rate: _RateMaker,
    missing: list[str],
) -> tuple[Rate, ...]:
    if engagements is None:
        return ()
    rates = []
    for total, over in ((views, Denominator.VIEWS), (reach, Denominator.REACH)):
        if total:
            rates.append(rate(engagements, total, over))
    followers = [r.followers for r in results]
    if all(f for f in followers):
        rates.append(rate(engagements, sum(f for f in followers if f), Denominator.FOLLOWERS))
    elif any(followers):
        missing.append("engagement rate by followers: not every post has its creator's followers")
    return tuple(rates)


def _weighted(
    results: Sequence[PostResult], name: str, views: int | None, rate: _RateMaker, missing: list[str]
) -> Rate | None:
    rates: list[Rate | None] = [getattr(r.metrics, name) for r in results]
    if all(r is None for r in rates):
        return None
    if views is None or not views or any(r is None for r in rates):
        missing.append(f"{name}: not every post has it (and its views)")
        return None
    played = sum(r.value * (_value(result.metrics.views) or 0) for r, result in zip(rates, results, strict=True) if r)
    combined = rate(played, views, Denominator.VIEWS)
    # The posts' own rates are over plays (or views): the sum keeps their denominator, weighted by views, and says
    # how many views it weighed only when that is what it is over.
    over = {r.denominator for r in rates if r is not None}
    if over != {Denominator.VIEWS} and len(over) == 1:
        return attrs.evolve(combined, denominator=over.pop(), denominator_value=None)
    return combined


def _cpm_base(
    results: Sequence[PostResult], views: int | None, reach: int | None
) -> tuple[CostDenominator, int | None]:
    # Instagram counts reach, not views, for what a thousand people saw; elsewhere views.
    if views:
        return CostDenominator.VIEWS, views
    return CostDenominator.REACH, reach


def _cost_per(
    metric: CostMetric,
    cost: Money | None,
    denominator: CostDenominator,
    units: int | None,
    per: int,
    source: MetricSource,
    as_of: datetime,
) -> CostPer | None:
    if cost is None or not units:
        return None
    return CostPer(metric=metric, cost=cost, denominator=denominator, units=units, per=per, source=source, as_of=as_of)


def _with_followers(
    summary: KpiSummary, results: Sequence[PostResult], changes: list[FollowerChange], rate: _RateMaker
) -> KpiSummary:
    """The follower change of the creators (and platforms) in ``results``, when every one of them has it."""
    pairs = {(r.creator_id, r.platform) for r in results}
    known = {(c.creator_id, c.platform): c for c in changes if (c.creator_id, c.platform) in pairs}
    if not changes:
        return summary
    if len(known) < len(pairs):
        note = f"follower growth: {len(pairs) - len(known)} of {len(pairs)} creator accounts have no start and end"
        return attrs.evolve(summary, missing=(*summary.missing, note))
    start = sum(c.start.value for c in known.values())
    change = sum(c.end.value - c.start.value for c in known.values())
    growth = rate(change, start, Denominator.FOLLOWERS) if start else None
    return attrs.evolve(summary, follower_change=change, follower_growth_rate=growth)


def _count_for(metric: KpiMetric, summary: KpiSummary) -> Count | None:
    return {
        KpiMetric.VIEWS: summary.views,
        KpiMetric.REACH: summary.reach,
        KpiMetric.ENGAGEMENTS: summary.engagements,
        KpiMetric.CLICKS: summary.results,
        KpiMetric.CONVERSIONS: summary.results,
    }.get(metric)


def _rate_for(metric: KpiMetric, summary: KpiSummary) -> Rate | None:
    if metric is KpiMetric.COMPLETION_RATE:
        return summary.completion_rate
    for denominator in ("views", "reach", "followers"):
        found = summary.engagement_rate(denominator)
        if found is not None:
            return found
    return None


def _ratio_bp(actual: float | Fraction, target: float | Fraction) -> int | None:
    if not target:
        return None
    return max(0, round(10_000 * actual / target))
