"""The call context: every stage hook is offered one, naming its target, and a plugin that ignores it still works."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creatorkit import CallContext, DeadlineExceeded, PluginHost, Transient, discover, hookimpl
from creatorkit.entities import (
    Capability,
    CreatorMetrics,
    DiscoveryPage,
    DiscoveryQuery,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
)
from creatorkit.entities._common import FieldValueError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Listening:
    """A platform that keeps the context each call was given, and checks the deadline between pages."""

    def __init__(self, name: str, clock: Clock | None = None) -> None:
        self.name = name
        self.clock = clock
        self.seen: list[CallContext] = []
        self.pages_fetched = 0

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PLATFORM,
            display_name=self.name,
            capabilities=frozenset({Capability.DISCOVERY, Capability.METRICS}),
        )

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery, context: CallContext) -> DiscoveryPage:
        self.seen.append(context)
        for _ in range(3):
            context.check_deadline("the next page")
            self.pages_fetched += 1
            if self.clock is not None:
                self.clock.now += timedelta(seconds=4)  # each page takes the platform four seconds
        return DiscoveryPage(platform=self.name)

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount, context: CallContext) -> CreatorMetrics:
        self.seen.append(context)
        return CreatorMetrics(platform=self.name, account_id=account.account_id, as_of=context.now())


class V1Platform:
    """A plugin written before the context existed: it names only the arguments it had."""

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="old", kind=PluginKind.PLATFORM, display_name="old", capabilities=frozenset({Capability.METRICS})
        )

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
        return CreatorMetrics(platform="old", account_id=account.account_id, as_of=NOW)


def account(platform: str) -> PlatformAccount:
    return PlatformAccount(platform=platform, account_id="a1", handle="maya")


@pytest.fixture
def host() -> Iterator[PluginHost]:
    host = PluginHost()
    host.register(Listening("alpha"), name="alpha")
    host.register(V1Platform(), name="old")
    yield host


def plugin(host: PluginHost, name: str) -> Any:
    return host.pm.get_plugin(name)


def test_a_call_without_a_context_gets_one_naming_its_target(host: PluginHost) -> None:
    host.platform("alpha").fetch_creator_metrics(account("alpha"))
    (context,) = plugin(host, "alpha").seen
    assert (context.plugin, context.hook, context.capability) == (
        "alpha",
        "creatorkit_fetch_creator_metrics",
        Capability.METRICS,
    )
    assert context.workspace_id is None and context.deadline is None and context.tokens is None


def test_the_callers_context_reaches_the_plugin_aimed_at_it(host: PluginHost) -> None:
    clock = Clock()
    given = CallContext(workspace_id="brand_1", clock=clock, plugin="someone_else")
    metrics = host.platform("alpha").fetch_creator_metrics(account("alpha"), context=given)
    (context,) = plugin(host, "alpha").seen
    assert context.workspace_id == "brand_1" and context.plugin == "alpha"
    assert metrics.as_of == NOW  # the plugin read the caller's clock


def test_a_plugin_that_does_not_name_the_context_keeps_working(host: PluginHost) -> None:
    given = CallContext(workspace_id="brand_1")
    assert host.platform("old").fetch_creator_metrics(account("old"), context=given).platform == "old"


def test_a_context_that_is_not_one_is_refused(host: PluginHost) -> None:
    with pytest.raises(TypeError, match="CallContext or None"):
        host.platform("alpha").fetch_creator_metrics(account("alpha"), context={"workspace_id": "x"})  # type: ignore[arg-type]


def test_a_wrapper_is_told_the_target_plugin_and_stage(host: PluginHost) -> None:
    told: list[tuple[str, str, str | None]] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def creatorkit_fetch_creator_metrics(self, context: CallContext) -> Iterator[None]:
            told.append((context.plugin, context.hook, context.capability))
            return (yield)

    host.add_wrapper(Wrapper(), name="told")
    host.platform("alpha").fetch_creator_metrics(account("alpha"))
    host.platform("old").fetch_creator_metrics(account("old"))
    hook = "creatorkit_fetch_creator_metrics"
    assert told == [("alpha", hook, Capability.METRICS), ("old", hook, Capability.METRICS)]


def test_the_deadline_stops_a_plugin_before_it_spends_more_requests() -> None:
    clock = Clock()
    host = PluginHost()
    slow = Listening("slow", clock)
    host.register(slow, name="slow")
    context = CallContext(clock=clock, deadline=NOW + timedelta(seconds=6))
    with pytest.raises(DeadlineExceeded) as caught:
        host.platform("slow").discover_creators(DiscoveryQuery(), context=context)
    assert slow.pages_fetched == 2  # the third page was never asked for
    assert isinstance(caught.value, Transient) and caught.value.deadline == context.deadline
    assert caught.value.platform == "slow" and "before the next page" in str(caught.value)


def test_remaining_counts_down_by_the_contexts_clock() -> None:
    clock = Clock()
    context = CallContext(clock=clock, deadline=NOW + timedelta(seconds=10))
    assert context.remaining() == 10 and not context.expired
    clock.now += timedelta(seconds=12)
    assert context.remaining() == 0 and context.expired
    assert CallContext().remaining() is None


def test_discover_gives_every_platform_the_fan_outs_deadline() -> None:
    clock = Clock()
    host = PluginHost()
    for name in ("alpha", "beta"):
        host.register(Listening(name), name=name)
    discover(host, DiscoveryQuery(), timeout=30, context=CallContext(workspace_id="agency_1", clock=clock))
    seen = [c for name in ("alpha", "beta") for c in plugin(host, name).seen]
    assert [c.plugin for c in seen] == ["alpha", "beta"]
    assert {c.deadline for c in seen} == {NOW + timedelta(seconds=30)}
    assert {c.workspace_id for c in seen} == {"agency_1"}


def test_discover_keeps_an_earlier_deadline_the_caller_set() -> None:
    clock = Clock()
    host = PluginHost()
    host.register(Listening("alpha"), name="alpha")
    early = NOW + timedelta(seconds=5)
    discover(host, DiscoveryQuery(), timeout=30, context=CallContext(clock=clock, deadline=early))
    assert plugin(host, "alpha").seen[0].deadline == early


def test_discover_gives_a_platform_its_own_context_and_the_rest_the_common_one() -> None:
    clock = Clock()
    host = PluginHost()
    for name in ("alpha", "beta", "gamma"):
        host.register(Listening(name), name=name)
    own = {"beta": CallContext(workspace_id="brand_with_a_beta_connection", clock=clock)}
    discover(
        host, DiscoveryQuery(), timeout=30, context=CallContext(workspace_id="agency_1", clock=clock), contexts=own
    )
    seen = {name: plugin(host, name).seen[0] for name in ("alpha", "beta", "gamma")}
    assert {name: c.workspace_id for name, c in seen.items()} == {
        "alpha": "agency_1",
        "beta": "brand_with_a_beta_connection",
        "gamma": "agency_1",
    }
    assert {c.deadline for c in seen.values()} == {NOW + timedelta(seconds=30)}


def test_a_deadline_without_a_time_zone_is_refused_naming_the_field() -> None:
    # A naive deadline would make every check_deadline() a TypeError inside the plugin, far from the mistake.
    with pytest.raises(FieldValueError, match="timezone-aware") as caught:
        CallContext(deadline=datetime(2026, 12, 1, 12, 0))
    assert caught.value.field == "deadline"
