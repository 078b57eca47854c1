"""The conformance kit's v2 checks catch the plugins that break them: each broken echo below fails its check."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from creatorkit import PluginHost, hookimpl
from creatorkit.entities import (
    AudienceBreakdown,
    AudienceDimension,
    AudienceShare,
    Count,
    DiscoveryPage,
    DiscoveryQuery,
    MetricSource,
    PlatformAccount,
    PostMetricsBatch,
    PostMetricsRequest,
    Window,
)
from creatorkit.host import PlatformClient
from creatorkit.testing import PlatformPluginContract
from creatorkit_echo import AS_OF, EchoPlatform


class Kit(PlatformPluginContract):
    """Echo's kit settings, run by hand on a host holding whichever echo a test builds."""

    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    known_post_id = "echo-0003-p1"
    post_missing_figures = {"echo-0003-p1": ("saves",)}


def hosted(plugin: object) -> tuple[PluginHost, PlatformClient]:
    host = PluginHost(validate_outputs=True)
    host.register(plugin, name="echo")
    return host, host.platform("echo")


def test_echo_passes_the_checks_run_this_way() -> None:
    kit, (host, platform) = Kit(), hosted(EchoPlatform())
    kit.test_every_filter_set_is_reported(host, platform)
    kit.test_paging_reaches_the_end_without_repeats(platform)
    kit.test_a_cursor_is_bound_to_its_query(platform)
    kit.test_missing_figures_are_none(platform)
    kit.test_audiences_are_canonical(platform)


def test_a_filter_left_out_of_the_report_fails() -> None:
    class Forgetful(EchoPlatform):
        @hookimpl
        def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
            page = super().creatorkit_discover_creators(query)
            return attrs.evolve(page, filters=tuple(o for o in page.filters if o.filter != "median_views"))

    host, platform = hosted(Forgetful())
    with pytest.raises(AssertionError, match=r"does not report \['median_views'\]"):
        Kit().test_every_filter_set_is_reported(host, platform)


def test_pages_that_repeat_a_candidate_fail() -> None:
    class Repeating(EchoPlatform):
        @hookimpl
        def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
            page = super().creatorkit_discover_creators(attrs.evolve(query, cursor=None))
            offset = int(query.cursor or 0)
            return attrs.evolve(page, next_cursor=str(offset + 1) if offset < 3 else None)

    with pytest.raises(AssertionError, match="candidates on more than one page"):
        Kit().test_paging_reaches_the_end_without_repeats(hosted(Repeating())[1])


def test_endless_paging_fails() -> None:
    class Endless(EchoPlatform):
        @hookimpl
        def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
            offset = int(query.cursor or 0)
            return DiscoveryPage(platform="echo", next_cursor=str(offset + 1))

    class Short(Kit):
        max_pages = 20

    with pytest.raises(pytest.fail.Exception, match="still a next page after 20 pages"):
        Short().test_paging_reaches_the_end_without_repeats(hosted(Endless())[1])


def test_a_missing_figure_given_as_zero_fails() -> None:
    class Zeroing(EchoPlatform):
        @hookimpl
        def creatorkit_fetch_post_metrics_batch(self, request: PostMetricsRequest) -> PostMetricsBatch:
            batch = super().creatorkit_fetch_post_metrics_batch(request)
            zero = Count(value=0, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=AS_OF)
            results = tuple(
                attrs.evolve(r, metrics=attrs.evolve(r.metrics, saves=zero)) if r.metrics else r for r in batch.results
            )
            return attrs.evolve(batch, results=results)

    with pytest.raises(AssertionError, match=r"echo-0003-p1\.saves is missing data: None, not a value"):
        Kit().test_missing_figures_are_none(hosted(Zeroing())[1])


def test_an_audience_short_of_the_whole_and_not_marked_truncated_fails() -> None:
    class Untruncated(EchoPlatform):
        @hookimpl
        def creatorkit_fetch_audience(self, account: PlatformAccount) -> Any:
            audience = super().creatorkit_fetch_audience(account)
            cut = AudienceBreakdown(
                dimension=AudienceDimension.COUNTRY,
                shares=(AudienceShare(key="US", share=0.4),),
                source=MetricSource.PLATFORM,
                as_of=AS_OF,
            )
            kept = tuple(b for b in audience.breakdowns if b.dimension is not AudienceDimension.COUNTRY)
            return attrs.evolve(audience, breakdowns=(*kept, cut))

    with pytest.raises(AssertionError, match="not marked truncated"):
        Kit().test_audiences_are_canonical(hosted(Untruncated())[1])


def test_a_sandbox_that_answers_differently_each_time_fails() -> None:
    counter: Iterator[int] = itertools.count()

    class Drifting(EchoPlatform):
        @hookimpl
        def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
            page = super().creatorkit_discover_creators(query)
            return attrs.evolve(page, total=next(counter))

    class FreshDrifting(Kit):
        def _load_again(self) -> PluginHost:
            return hosted(Drifting())[0]

    with pytest.raises(AssertionError, match="answered the same calls differently"):
        FreshDrifting().test_sandbox_is_deterministic(hosted(Drifting())[0])
