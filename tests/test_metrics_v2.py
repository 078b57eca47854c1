"""Metrics v2: windowed account figures, post figures in batches with one result or one typed error per post, and
missing data as None, never 0."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

import creatorkit_echo
from creatorkit import (
    AuthExpired,
    InvalidRequest,
    NotFound,
    NotSupported,
    PlatformError,
    PlatformPermissionDenied,
    PluginContractError,
    PluginHost,
    RateLimited,
    Transient,
    ValidationError,
    hookimpl,
)
from creatorkit.converter import structure, unstructure
from creatorkit.entities import (
    Capability,
    Count,
    CreatorMetrics,
    DailyFigures,
    Denominator,
    ErrorKind,
    ItemError,
    MetricSource,
    Period,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
    PostMetrics,
    PostMetricsBatch,
    PostMetricsRequest,
    PostMetricsResult,
    PublishedPost,
    Rate,
    Window,
)
from creatorkit.entities._common import FieldValueError

NOW = datetime(2026, 11, 1, tzinfo=UTC)
WEEK = Period(start=NOW - timedelta(days=7), end=NOW)


def post(post_id: str, platform: str = "echo") -> PublishedPost:
    return PublishedPost(
        id=f"post_{post_id}",
        deal_id="deal_1",
        submission_id="sub_1",
        platform=platform,
        platform_post_id=post_id,
        url=f"https://example.invalid/{post_id}",
        published_at=NOW - timedelta(days=10),
    )


# -- the entities --------------------------------------------------------------------------------------------


class TestFigures:
    def test_a_period_runs_forward_and_names_its_days(self) -> None:
        with pytest.raises(FieldValueError, match="must be after start") as caught:
            Period(start=NOW, end=NOW)
        assert caught.value.field == "end"
        assert WEEK.days() == [date(2026, 10, 25) + timedelta(days=n) for n in range(7)]
        assert WEEK.covers(NOW - timedelta(seconds=1)) and not WEEK.covers(NOW)

    def test_a_rate_over_nothing_is_missing_not_zero(self) -> None:
        with pytest.raises(FieldValueError, match="must be >= 1") as caught:
            Rate(
                value=0.0,
                denominator=Denominator.VIEWS,
                window=Window.lifetime(),
                source=MetricSource.PLATFORM,
                as_of=NOW,
                denominator_value=0,
            )
        assert caught.value.field == "denominator_value"

    def test_rounded_figures_say_so(self) -> None:
        shown = Count(
            value=1_200_000, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=NOW, rounded_to=100_000
        )
        assert structure(unstructure(shown), Count) == shown
        with pytest.raises(FieldValueError):
            Count(value=1, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=NOW, rounded_to=0)

    def test_a_daily_series_is_in_order_and_inside_its_period(self) -> None:
        day = WEEK.days()[0]
        metrics = CreatorMetrics(
            platform="echo", account_id="a", as_of=NOW, period=WEEK, daily=(DailyFigures(day=day),)
        )
        assert metrics.daily[0].views is None  # a figure the platform does not give is None
        with pytest.raises(FieldValueError, match="in order, each once"):
            attrs.evolve(metrics, daily=(DailyFigures(day=day), DailyFigures(day=day)))
        with pytest.raises(FieldValueError, match="outside the period"):
            attrs.evolve(metrics, daily=(DailyFigures(day=NOW.date()),))

    def test_extensions_are_named_for_their_platform_and_numbers(self) -> None:
        metrics = CreatorMetrics(
            platform="echo", account_id="a", as_of=NOW, extensions={"tiktok.total_play_time_ms": 5.0}
        )
        assert structure(unstructure(metrics), CreatorMetrics) == metrics
        with pytest.raises(FieldValueError, match=r"'play_time' is not '<platform>\.<figure>'"):
            attrs.evolve(metrics, extensions={"play_time": 1.0})
        with pytest.raises(FieldValueError, match="finite number"):
            attrs.evolve(metrics, extensions={"echo.x": float("nan")})
        with pytest.raises(ValidationError) as raised:
            structure({**unstructure(metrics), "extensions": {"echo.x": "12"}}, CreatorMetrics)
        assert raised.value.paths == ["extensions['echo.x']"]


class TestBatchEntities:
    def test_a_request_asks_one_platform_for_each_post_once(self) -> None:
        with pytest.raises(FieldValueError, match="at least one post"):
            PostMetricsRequest(posts=())
        with pytest.raises(FieldValueError, match="lists a post twice"):
            PostMetricsRequest(posts=(post("a"), post("a")))
        with pytest.raises(FieldValueError, match="several platforms"):
            PostMetricsRequest(posts=(post("a"), post("b", platform="tiktok")))

    def test_a_result_holds_metrics_or_an_error(self) -> None:
        metrics = PostMetrics(platform="echo", platform_post_id="a", as_of=NOW)
        error = ItemError(kind=ErrorKind.NOT_FOUND, message="gone")
        with pytest.raises(FieldValueError, match="either metrics or an error"):
            PostMetricsResult(platform_post_id="a")
        with pytest.raises(FieldValueError, match="either metrics or an error"):
            PostMetricsResult(platform_post_id="a", metrics=metrics, error=error)
        with pytest.raises(FieldValueError, match="are for post 'a'"):
            PostMetricsResult(platform_post_id="b", metrics=metrics)
        with pytest.raises(FieldValueError, match="answers for a post twice"):
            PostMetricsBatch(platform="echo", results=(PostMetricsResult(platform_post_id="a", error=error),) * 2)

    @pytest.mark.parametrize(
        ("error", "kind"),
        [
            (NotFound("post", "a"), ErrorKind.NOT_FOUND),
            (AuthExpired("echo", "token expired", code=40102), ErrorKind.AUTH_EXPIRED),
            (RateLimited("echo", "slow down", wait=2.5, code="40133"), ErrorKind.RATE_LIMITED),
            (Transient("echo", "try again"), ErrorKind.TRANSIENT),
            (PlatformPermissionDenied("echo", "no scope"), ErrorKind.PERMISSION_DENIED),
            (NotSupported("echo", "stories are not measured"), ErrorKind.NOT_SUPPORTED),
            (InvalidRequest("echo", "bad id", field="video_ids"), ErrorKind.INVALID_REQUEST),
            (PlatformError("echo", "odd", code=1), ErrorKind.PLATFORM),
        ],
    )
    def test_an_item_error_stands_for_the_typed_error(self, error: NotFound | PlatformError, kind: ErrorKind) -> None:
        item = ItemError.from_exception(error)
        assert item.kind is kind
        again = item.to_exception("echo", "a", what="post")
        assert type(again) is type(error)
        if isinstance(error, PlatformError):
            assert "echo: echo" not in str(again) and "(code" not in item.message
            assert item.code == (None if error.code is None else str(error.code))
        if isinstance(error, RateLimited):
            assert isinstance(again, RateLimited) and again.wait == 2.5


# -- through the host -----------------------------------------------------------------------------------------


class Batches:
    """A platform whose batch answers are whatever the test says."""

    def __init__(self) -> None:
        self.answer: object = None
        self.asked: list[PostMetricsRequest] = []

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="batches",
            kind=PluginKind.PLATFORM,
            display_name="b",
            capabilities=frozenset({Capability.POST_METRICS}),
        )

    @hookimpl
    def creatorkit_fetch_post_metrics_batch(self, request: PostMetricsRequest) -> object:
        self.asked.append(request)
        return self.answer


@pytest.fixture
def batches() -> tuple[PluginHost, Batches]:
    host, plugin = PluginHost(), Batches()
    host.register(plugin, name="batches")
    return host, plugin


def result(post_id: str, platform: str = "batches") -> PostMetricsResult:
    return PostMetricsResult(
        platform_post_id=post_id, metrics=PostMetrics(platform=platform, platform_post_id=post_id, as_of=NOW)
    )


class TestTheHostChecksBatches:
    def test_a_post_left_out_or_not_asked_breaks_the_contract(self, batches: tuple[PluginHost, Batches]) -> None:
        host, plugin = batches
        request = PostMetricsRequest(posts=(post("a", "batches"), post("b", "batches")))
        plugin.answer = PostMetricsBatch(platform="batches", results=(result("a"), result("c")))
        with pytest.raises(PluginContractError) as caught:
            host.platform("batches").fetch_post_metrics_batch(request)
        assert [str(p) for p in caught.value.problems] == [
            "results: no result for post 'b'",
            "results: a result for post 'c', which was not asked",
        ]

    def test_metrics_of_another_platform_break_the_contract(self, batches: tuple[PluginHost, Batches]) -> None:
        host, plugin = batches
        plugin.answer = PostMetricsBatch(platform="batches", results=(result("a", platform="echo"),))
        with pytest.raises(PluginContractError, match=r"results\[0\].metrics.platform: says 'echo'"):
            host.platform("batches").fetch_post_metrics_batch(PostMetricsRequest(posts=(post("a", "batches"),)))

    def test_another_platforms_posts_are_refused_before_the_plugin_is_asked(
        self, batches: tuple[PluginHost, Batches]
    ) -> None:
        host, plugin = batches
        with pytest.raises(ValidationError) as raised:
            host.platform("batches").fetch_post_metrics_batch(PostMetricsRequest(posts=(post("a", "echo"),)))
        assert raised.value.paths == ["posts[0].platform"]
        assert plugin.asked == []

    def test_the_one_post_call_raises_that_posts_typed_error(self, batches: tuple[PluginHost, Batches]) -> None:
        host, plugin = batches
        throttled = ItemError(kind=ErrorKind.RATE_LIMITED, message="QPS exceeded", code="40133", wait=1.5)
        plugin.answer = PostMetricsBatch(
            platform="batches", results=(PostMetricsResult(platform_post_id="a", error=throttled),)
        )
        with pytest.raises(RateLimited) as caught:
            host.platform("batches").fetch_post_metrics(post("a", "batches"), period=WEEK)
        assert caught.value.wait == 1.5 and caught.value.code == "40133"
        assert plugin.asked[-1].period == WEEK
        plugin.answer = PostMetricsBatch(platform="batches", results=(result("a"),))
        assert host.platform("batches").fetch_post_metrics(post("a", "batches")).platform_post_id == "a"


class TestEcho:
    @pytest.fixture
    def host(self) -> PluginHost:
        host = PluginHost(validate_outputs=True)
        host.register(creatorkit_echo.EchoPlatform(), name="echo")
        return host

    def test_many_posts_in_one_call_each_with_its_answer(self, host: PluginHost) -> None:
        echo_plugin = host.pm.get_plugin("echo")
        assert isinstance(echo_plugin, creatorkit_echo.EchoPlatform)
        ids = echo_plugin.post_ids("echo_creator_03") + echo_plugin.post_ids("echo_creator_04")
        request = PostMetricsRequest(posts=tuple(post(i) for i in [*ids, "echo-9999-p1"]), period=WEEK, daily=True)
        batch = host.platform("echo").fetch_post_metrics_batch(request)
        assert sorted(batch.metrics) == sorted(ids)
        assert batch.errors["echo-9999-p1"].kind is ErrorKind.NOT_FOUND
        for metrics in batch.metrics.values():
            assert metrics.saves is None, "echo reports no saves: None, never 0"
            assert metrics.views is not None and metrics.views.value > 0
            assert metrics.period == WEEK and [d.day for d in metrics.daily] == WEEK.days()
            assert all(day.saves is None for day in metrics.daily)
        with pytest.raises(NotFound):
            host.platform("echo").fetch_post_metrics(post("echo-9999-p1"))

    def test_account_metrics_over_a_period_and_lifetime_totals(self, host: PluginHost) -> None:
        account = PlatformAccount(platform="echo", account_id="echo-0004", handle="echo_creator_04")
        default = host.platform("echo").fetch_creator_metrics(account)
        assert default.period is None and default.total_views is not None and default.total_views.rounded_to == 1000
        assert default.median_views is None  # echo keeps no median: missing, not 0
        assert default.sponsored is not None and default.sponsored.posts is not None
        windowed = host.platform("echo").fetch_creator_metrics(account, period=WEEK)
        assert windowed.period == WEEK and len(windowed.daily) == 7

    def test_a_v1_metrics_plugin_is_never_given_a_period(self) -> None:
        class V1:
            @hookimpl
            def creatorkit_plugin_metadata(self) -> PluginMetadata:
                return PluginMetadata(
                    name="old",
                    kind=PluginKind.PLATFORM,
                    display_name="old",
                    capabilities=frozenset({Capability.METRICS}),
                )

            @hookimpl
            def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
                return CreatorMetrics(platform="old", account_id=account.account_id, as_of=NOW)

        host = PluginHost()
        host.register(V1(), name="old")
        account = PlatformAccount(platform="old", account_id="a", handle="a")
        assert host.platform("old").fetch_creator_metrics(account, period=WEEK).period is None
