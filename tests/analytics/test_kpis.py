"""KPIs per post and summed over posts: every figure with its denominator, rates from sums, costs exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from creatorkit import Money
from creatorkit.analytics import FollowerChange, PostResult, post_kpis, summarise
from creatorkit.entities import (
    Count,
    Denominator,
    Kpi,
    KpiMetric,
    KpiScope,
    MetricSource,
    PostMetrics,
    Rate,
    Window,
)
from creatorkit.errors import ValidationError

AS_OF = datetime(2026, 4, 2, tzinfo=UTC)
LIFETIME = Window.lifetime()


def count(value: int, source: MetricSource = MetricSource.PLATFORM, as_of: datetime = AS_OF) -> Count:
    return Count(value=value, window=LIFETIME, source=source, as_of=as_of)


def rate(value: float) -> Rate:
    return Rate(value=value, denominator=Denominator.PLAYS, window=LIFETIME, source=MetricSource.PLATFORM, as_of=AS_OF)


def post(
    post_id: str,
    *,
    platform: str = "tiktok",
    views: int | None = 100_000,
    reach: int | None = None,
    likes: int = 5_000,
    comments: int = 300,
    shares: int | None = 200,
    completion: float | None = None,
    cost: int | None = 50_000,
    followers: int | None = None,
    source: MetricSource = MetricSource.PLATFORM,
    as_of: datetime = AS_OF,
    creator: str = "creator_maya",
) -> PostResult:
    metrics = PostMetrics(
        platform=platform,
        platform_post_id=post_id,
        as_of=as_of,
        views=None if views is None else count(views, source, as_of),
        reach=None if reach is None else count(reach, source, as_of),
        likes=count(likes, source, as_of),
        comments=count(comments, source, as_of),
        shares=None if shares is None else count(shares, source, as_of),
        completion_rate=None if completion is None else rate(completion),
    )
    return PostResult(
        post_id=post_id,
        creator_id=creator,
        metrics=metrics,
        cost=None if cost is None else Money(cost, "USD"),
        followers=followers,
    )


def test_one_post_has_every_figure_with_its_denominator() -> None:
    summary = post_kpis(post("p1", followers=250_000))
    assert summary.engagements is not None and summary.engagements.value == 5_500
    assert summary.engagement_counts == ("likes", "comments", "shares")
    by_views = summary.engagement_rate("views")
    assert by_views is not None and by_views.value == 5_500 / 100_000 and by_views.denominator_value == 100_000
    by_followers = summary.engagement_rate("followers")
    assert by_followers is not None and by_followers.value == 5_500 / 250_000
    assert summary.engagement_rate("reach") is None, "no reach: no rate by reach, rather than a guess"
    assert summary.cpm is not None and summary.cpm.minor_units == Fraction(50_000 * 1000, 100_000)
    assert summary.cpm.amount() == Decimal("5.0000"), "USD 500 for 100,000 views: USD 5 per thousand"
    assert summary.cpv is not None and summary.cpv.amount() == Decimal("0.0050")
    assert summary.cpe is not None and summary.cpe.minor_units == Fraction(50_000, 5_500)
    assert (summary.scope, summary.key, summary.posts, summary.platform) == (KpiScope.POST, "p1", 1, "tiktok")


def test_rates_are_recomputed_from_the_sums_not_averaged() -> None:
    small = post("p1", views=1_000, likes=500, comments=0, shares=0, completion=0.9)
    large = post("p2", views=99_000, likes=990, comments=0, shares=0, completion=0.1)
    summary = summarise([small, large], KpiScope.CREATOR, "creator_maya")
    by_views = summary.engagement_rate("views")
    assert by_views is not None and by_views.value == pytest.approx(1_490 / 100_000)
    assert by_views.value != pytest.approx((0.5 + 0.01) / 2), "not the mean of the posts' rates"
    assert summary.completion_rate is not None
    assert summary.completion_rate.value == pytest.approx((0.9 * 1_000 + 0.1 * 99_000) / 100_000)
    assert summary.completion_rate.denominator is Denominator.PLAYS, "the posts' rates are over plays: so is the sum"
    assert summary.cost == Money(100_000, "USD") and summary.views == count(100_000)


def test_a_figure_some_posts_lack_is_missing_and_named_not_summed_partially() -> None:
    summary = summarise([post("p1"), post("p2", views=None, reach=80_000)], KpiScope.CAMPAIGN, "brief_1")
    assert summary.views is None and summary.cpv is None
    assert any(note.startswith("views: 1 of 2 posts have no figure (p2)") for note in summary.missing)
    assert summary.engagement_rate("views") is None
    assert summary.engagements is not None and summary.engagements.value == 11_000, "both posts have the interactions"


def test_cpm_is_by_reach_where_the_posts_have_no_views() -> None:
    summary = post_kpis(post("ig1", platform="instagram", views=None, reach=40_000))
    assert summary.cpm is not None and str(summary.cpm.denominator) == "reach"
    assert summary.cpm.minor_units == Fraction(50_000 * 1000, 40_000)


def test_kpi_targets_are_judged_counts_up_and_costs_down() -> None:
    kpis = (
        Kpi(metric=KpiMetric.VIEWS, target_count=200_000),
        Kpi(metric=KpiMetric.CPM, target_cost=Money(600, "USD")),
        Kpi(metric=KpiMetric.ENGAGEMENT_RATE, target_rate=0.05),
        Kpi(metric=KpiMetric.COMPLETION_RATE, target_rate=0.3),
    )
    views, cpm, engagement, completion = post_kpis(post("p1"), kpis).attainment
    assert (views.attainment_bp, views.met) == (5_000, False), "100,000 of 200,000 views"
    assert cpm.cost is not None and (cpm.attainment_bp, cpm.met) == (12_000, True), "USD 5 against a USD 6 target"
    assert engagement.rate is not None and engagement.rate.denominator is Denominator.VIEWS
    assert (engagement.attainment_bp, engagement.met) == (11_000, True)
    assert completion.met is None and completion.reason == "no completion_rate figure for every post"


def test_a_cost_target_in_another_currency_is_not_judged() -> None:
    (cpm,) = post_kpis(post("p1"), (Kpi(metric=KpiMetric.CPM, target_cost=Money(600, "EUR")),)).attainment
    assert cpm.met is None and cpm.reason == "the target is in EUR, the cost in USD"


def test_follower_growth_over_the_campaign() -> None:
    changes = [
        FollowerChange(creator_id="creator_maya", platform="tiktok", start=count(200_000), end=count(210_000)),
        FollowerChange(creator_id="creator_bo", platform="tiktok", start=count(50_000), end=count(49_000)),
    ]
    results = [post("p1"), post("p2", creator="creator_bo")]
    summary = summarise(results, KpiScope.CAMPAIGN, "brief_1", followers=changes)
    assert summary.follower_change == 9_000
    assert summary.follower_growth_rate is not None and summary.follower_growth_rate.value == 9_000 / 250_000
    partial = summarise(results, KpiScope.CAMPAIGN, "brief_1", followers=changes[:1])
    assert partial.follower_change is None
    assert any(note.startswith("follower growth: 1 of 2") for note in partial.missing)


def test_a_sum_is_as_trusted_as_its_least_trusted_figure_and_as_fresh_as_its_oldest() -> None:
    older = datetime(2026, 4, 1, tzinfo=UTC)
    summary = summarise(
        [post("p1"), post("p2", source=MetricSource.ESTIMATED, as_of=older)], KpiScope.PLATFORM, "tiktok"
    )
    assert summary.source is MetricSource.ESTIMATED and summary.as_of == older
    assert summary.views is not None and summary.views.source is MetricSource.ESTIMATED


def test_what_cannot_be_summed_is_refused_naming_where() -> None:
    with pytest.raises(ValidationError) as twice:
        summarise([post("p1"), post("p1")], KpiScope.CAMPAIGN, "brief_1")
    assert [p.path for p in twice.value.problems] == ["results[1].post_id"]
    euro = post("p2")
    euro = PostResult(post_id="p2", creator_id="creator_bo", metrics=euro.metrics, cost=Money(100, "EUR"))
    with pytest.raises(ValidationError, match="EUR, USD cannot be added"):
        summarise([post("p1"), euro], KpiScope.CAMPAIGN, "brief_1")
    with pytest.raises(ValidationError, match="no posts"):
        summarise([], KpiScope.CAMPAIGN, "brief_1")
