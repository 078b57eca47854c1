"""Plugin loading (entry points, failures, duplicates, contract checks) and the PluginHost facade.

Fake distributions are written to a temporary directory (``<name>-<version>.dist-info`` with ``METADATA`` and
``entry_points.txt``, next to the module they point at) and put on ``sys.path``; importlib.metadata and
stevedore then find them exactly as they find an installed plugin.
"""

from __future__ import annotations

import sys
import textwrap
import threading
from collections.abc import Generator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from stevedore import ExtensionManager

import creatorkit_echo
from creatorkit import (
    CapabilityMissing,
    Config,
    ConfigError,
    NotFound,
    PluginContractError,
    PluginError,
    PluginHost,
    PluginLoadError,
    Transient,
    discover,
    hookimpl,
    unstructure,
)
from creatorkit.entities import (
    Capability,
    Channel,
    CreatorCandidate,
    DiscoveryPage,
    DiscoveryQuery,
    Event,
    Invitation,
    PluginKind,
    PluginMetadata,
    PublishedPost,
)
from creatorkit.host import CAPABILITY_HOOKS, STRICT_ENV, PluginLoadWarning

pytestmark = pytest.mark.usefixtures("clean_env")

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ECHO_CAPABILITIES = {
    Capability.DISCOVERY,
    Capability.CREATOR_LOOKUP,
    Capability.INVITATIONS,
    Capability.MESSAGING,
    Capability.CONTRACTING,
    Capability.METRICS,
    Capability.IMPORT,
    Capability.WEBHOOKS,
    Capability.AUDIENCE,
    Capability.POST_METRICS,
    Capability.AUTHORIZATION,
}


def host_for(platforms: Mapping[str, Mapping[str, Any]], **kwargs: Any) -> PluginHost:
    return PluginHost.from_config(Config.from_mapping({"platforms": platforms}, env={}), **kwargs)


def published_post() -> PublishedPost:
    return PublishedPost(
        id="post_1",
        deal_id="deal_1",
        submission_id="sub_1",
        platform="echo",
        platform_post_id="p1",
        url="https://echo.invalid/p1",
        published_at=NOW,
    )


def invitation(id: str = "inv_1") -> Invitation:
    return Invitation(
        id=id,
        deal_id="deal_1",
        brief_id="brief_1",
        creator_id="creator_1",
        sent_by="brand_1",
        channel=Channel.PLATFORM,
        body="Hello",
        sent_at=NOW,
        respond_by=NOW,
    )


class Limited:
    """A platform that offers discovery only, and says what to do instead of measuring posts."""

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="limited",
            kind=PluginKind.PLATFORM,
            display_name="Limited",
            capabilities=frozenset({Capability.DISCOVERY}),
            missing={Capability.POST_METRICS: "read the post's figures in the platform's own app"},
        )

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        return DiscoveryPage(platform="limited")


def limited_host() -> PluginHost:
    host = PluginHost()
    host.register(Limited(), name="limited")
    return host


# -- fake distributions --------------------------------------------------------------------------------------


class FakeDistributions:
    """Writes installed-looking distributions into one directory on ``sys.path``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def add(
        self,
        distribution: str,
        entry_points: Mapping[str, str],
        module: str,
        source: str,
        *,
        group: str = "creatorkit.platforms",
    ) -> None:
        info = self.root / f"{distribution.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        self.modules.append(module)


@pytest.fixture
def fake_dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDistributions]:
    site = tmp_path / "site"
    site.mkdir()
    # stevedore keeps entry points in a per-process cache (ExtensionManager.ENTRY_POINT_CACHE) and may
    # keep another on disk keyed by sys.path: start each test with an empty one, away from the home directory.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
    monkeypatch.syspath_prepend(str(site))
    dists = FakeDistributions(site)
    yield dists
    for module in dists.modules:
        sys.modules.pop(module, None)


PLUGIN_SOURCE = """
    from creatorkit import hookimpl
    from creatorkit.entities import Capability, PluginKind, PluginMetadata

    class Plugin:
        @hookimpl
        def creatorkit_plugin_metadata(self):
            return PluginMetadata(
                name={name!r}, kind=PluginKind.PLATFORM, display_name="Fake",
                capabilities=frozenset({capabilities}), settings_schema={schema!r},
            )
    {extra}
"""


def plugin_source(name: str, *, capabilities: str = "", schema: dict[str, Any] | None = None, extra: str = "") -> str:
    return PLUGIN_SOURCE.format(
        name=name, capabilities=capabilities, schema=schema, extra=textwrap.indent(extra, "    ")
    )


LOOKUP_HOOK = """
    @hookimpl
    def creatorkit_lookup_creator(self, handle):
        raise NotImplementedError
"""


# -- loading -------------------------------------------------------------------------------------------------


class TestLoading:
    def test_echo_loads_through_its_entry_point(self) -> None:
        host = host_for({"echo": {}})
        assert host.names == ["echo"]
        assert host.platforms() == ["echo"]
        assert host.payment_providers() == []
        assert isinstance(host.pm.get_plugin("echo"), creatorkit_echo.EchoPlatform)
        meta = host.metadata("echo")
        assert meta.name == "echo"
        assert meta.kind is PluginKind.PLATFORM
        assert meta.capabilities == ECHO_CAPABILITIES
        assert set(meta.missing) == set()
        assert set(host.hooks("echo")) == {
            "creatorkit_plugin_metadata",
            "creatorkit_configure",
            "creatorkit_discover_creators",
            "creatorkit_lookup_creator",
            "creatorkit_send_invitation",
            "creatorkit_get_invitation",
            "creatorkit_send_message",
            "creatorkit_place_order",
            "creatorkit_get_order",
            "creatorkit_fetch_creator_metrics",
            "creatorkit_import_records",
            "creatorkit_receive_webhook",
            "creatorkit_fetch_audience",
            "creatorkit_fetch_post_metrics_batch",
            "creatorkit_authorization_url",
            "creatorkit_exchange_code",
            "creatorkit_refresh_tokens",
            "creatorkit_revoke_tokens",
        }
        assert host.load_errors == {}

    def test_settings_reach_the_plugin(self) -> None:
        host = host_for({"echo": {"latency_ms": 7, "fail_discovery": True}})
        plugin = host.pm.get_plugin("echo")
        assert plugin is not None
        assert plugin.latency == 0.007
        assert plugin.fail_discovery is True

    def test_disabled_plugins_are_not_loaded(self) -> None:
        host = host_for({"echo": {"enabled": False}, "not_installed": {"enabled": False}})
        assert host.names == []

    def test_enabled_plugin_that_is_not_installed(self) -> None:
        with pytest.raises(PluginLoadError) as caught:
            host_for({"echo": {}, "tiktok_x": {}})
        error = caught.value
        assert error.plugin == "tiktok_x"
        assert error.group == "creatorkit.platforms"
        assert "echo" in error.installed
        assert "tiktok_x" in str(error) and "echo" in str(error)

    def test_failed_import_warns_and_the_others_load(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add("ck-broken", {"broken": "ck_broken:Plugin"}, "ck_broken", "raise ImportError('no fakesdk')")
        with pytest.warns(PluginLoadWarning, match=r"'broken'.*ImportError: no fakesdk"):
            host = host_for({"broken": {}, "echo": {}})
        assert host.names == ["echo"]
        assert host.load_errors == {"broken": "ImportError: no fakesdk"}

    def test_failed_import_is_an_error_in_strict_mode(
        self, fake_dists: FakeDistributions, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake_dists.add("ck-broken", {"broken": "ck_broken:Plugin"}, "ck_broken", "raise ImportError('no fakesdk')")
        monkeypatch.setenv(STRICT_ENV, "1")
        with pytest.raises(PluginLoadError) as caught:
            host_for({"broken": {}, "echo": {}})
        assert caught.value.plugin == "broken"
        assert "no fakesdk" in str(caught.value)
        assert isinstance(caught.value.__cause__, ImportError)

    def test_strict_mode_from_the_config(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add("ck-broken", {"broken": "ck_broken:Plugin"}, "ck_broken", "raise ImportError('no fakesdk')")
        config = Config.from_mapping({"creatorkit": {"strict_plugins": True}, "platforms": {"broken": {}}})
        with pytest.raises(PluginLoadError, match="broken"):
            PluginHost.from_config(config)

    def test_two_distributions_claiming_one_name(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add("ck-dup-a", {"dup": "ck_dup_a:Plugin"}, "ck_dup_a", plugin_source("dup"))
        fake_dists.add("ck-dup-b", {"dup": "ck_dup_b:Plugin"}, "ck_dup_b", plugin_source("dup"))
        with pytest.raises(PluginLoadError) as caught:
            host_for({"dup": {}})
        assert caught.value.plugin == "dup"
        assert "ck-dup-a" in str(caught.value) and "ck-dup-b" in str(caught.value)

    def test_loads_a_fake_distribution(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add("ck-fine", {"fine": "ck_fine:Plugin"}, "ck_fine", plugin_source("fine"))
        host = host_for({"fine": {}, "echo": {}})
        assert host.names == ["echo", "fine"]
        assert host.metadata("fine").display_name == "Fake"

    def test_plugin_installed_after_the_first_load_is_not_silently_dropped(self, fake_dists: FakeDistributions) -> None:
        host_for({"echo": {}})
        fake_dists.add("ck-late", {"late": "ck_late:Plugin"}, "ck_late", plugin_source("late"))
        host = host_for({"late": {}, "echo": {}})
        assert "late" in host.names
        assert "late" not in host.load_errors


class TestContractChecks:
    @pytest.mark.parametrize(
        ("source", "path", "words"),
        [
            (plugin_source("someone_else"), "name", ["someone_else", "liar"]),
            (
                plugin_source("liar", capabilities="{Capability.DISCOVERY}"),
                "capabilities",
                ["discovery", "creatorkit_discover_creators"],
            ),
            (
                plugin_source("liar", extra=LOOKUP_HOOK),
                "capabilities",
                ["creatorkit_lookup_creator", "creator_lookup"],
            ),
            (
                plugin_source(
                    "liar",
                    capabilities="{Capability.INVITATIONS}",
                    extra=LOOKUP_HOOK.replace(
                        "creatorkit_lookup_creator(self, handle)",
                        "creatorkit_send_invitation(self, invitation, account)",
                    ),
                ),
                "capabilities",
                ["invitations", "creatorkit_get_invitation"],
            ),
        ],
        ids=[
            "name-mismatch",
            "capability-without-hook",
            "hook-without-capability",
            "capability-half-implemented",
        ],
    )
    def test_metadata_must_match_the_plugin(
        self, fake_dists: FakeDistributions, source: str, path: str, words: list[str]
    ) -> None:
        fake_dists.add("ck-liar", {"liar": "ck_liar:Plugin"}, "ck_liar", source)
        with pytest.raises(PluginContractError) as caught:
            host_for({"liar": {}})
        error = caught.value
        assert error.plugin == "liar"
        assert error.hook == "creatorkit_plugin_metadata"
        [problem] = error.problems
        assert problem.path == path
        for word in words:
            assert word in str(error)

    def test_kind_must_match_the_group(self) -> None:
        class Payment:
            @hookimpl
            def creatorkit_plugin_metadata(self) -> PluginMetadata:
                return PluginMetadata(name="pay", kind=PluginKind.PAYMENT, display_name="Pay")

        with pytest.raises(PluginContractError) as caught:
            PluginHost().register(Payment(), name="pay", group="creatorkit.platforms")
        assert [p.path for p in caught.value.problems] == ["kind"]

    def test_metadata_is_required(self) -> None:
        class Mute:
            @hookimpl
            def creatorkit_lookup_creator(self, handle: str) -> None:
                raise NotImplementedError

        host = PluginHost()
        with pytest.raises(PluginContractError, match="creatorkit_plugin_metadata"):
            host.register(Mute(), name="mute")
        assert host.pm.get_plugin("mute") is None

    def test_unknown_hook_is_refused_at_registration(self) -> None:
        class Typo(creatorkit_echo.EchoPlatform):
            @hookimpl
            def creatorkit_discover_creator(self, query: DiscoveryQuery) -> None:
                raise NotImplementedError

        host = PluginHost()
        with pytest.raises(PluginContractError) as caught:
            host.register(Typo(), name="echo")
        assert caught.value.hook == "registration"
        assert "creatorkit_discover_creator" in str(caught.value)
        assert host.names == []

    def test_a_name_is_registered_once(self) -> None:
        host = PluginHost()
        host.register(creatorkit_echo.EchoPlatform(), name="echo")
        with pytest.raises(PluginLoadError, match="already registered"):
            host.register(creatorkit_echo.EchoPlatform(), name="echo")

    def test_stray_exception_while_configuring_is_a_contract_error(self) -> None:
        class Fragile(creatorkit_echo.EchoPlatform):
            @hookimpl
            def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
                raise KeyError("region")

        with pytest.raises(PluginContractError) as caught:
            PluginHost().register(Fragile(), name="echo")
        assert caught.value.hook == "creatorkit_configure"


class TestSettings:
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["access_token"],
        "properties": {"access_token": {"type": "string"}, "page_size": {"type": "integer", "minimum": 1}},
    }

    def test_settings_are_checked_against_the_plugin_schema(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add(
            "ck-strict",
            {"strict": "ck_strict:Plugin"},
            "ck_strict",
            plugin_source("strict", schema=self.SCHEMA),
        )
        with pytest.raises(ConfigError) as caught:
            host_for({"strict": {"access_token": "t", "page_size": 0, "colour": "red"}})
        assert caught.value.paths == ["platforms.strict.colour", "platforms.strict.page_size"]

    def test_echo_settings(self) -> None:
        with pytest.raises(ConfigError) as caught:
            host_for({"echo": {"latency_ms": -1, "fail_discovery": "sometimes"}})
        assert caught.value.paths == ["platforms.echo.fail_discovery", "platforms.echo.latency_ms"]

    def test_missing_required_setting_is_named_by_its_key(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add(
            "ck-strict",
            {"strict": "ck_strict:Plugin"},
            "ck_strict",
            plugin_source("strict", schema=self.SCHEMA),
        )
        with pytest.raises(ConfigError) as caught:
            host_for({"strict": {}})
        assert caught.value.paths == ["platforms.strict.access_token"]

    def test_plugin_without_schema_takes_no_settings(self, fake_dists: FakeDistributions) -> None:
        fake_dists.add("ck-plain", {"plain": "ck_plain:Plugin"}, "ck_plain", plugin_source("plain"))
        with pytest.raises(ConfigError) as caught:
            host_for({"plain": {"colour": "red"}})
        assert caught.value.paths == ["platforms.plain"]
        assert "colour" in str(caught.value)


# -- the facade ----------------------------------------------------------------------------------------------


@pytest.fixture
def two_echoes() -> PluginHost:
    host = host_for({"echo": {}})
    host.register(creatorkit_echo.EchoPlatform(name="echo_b"), name="echo_b")
    return host


class Scripted(creatorkit_echo.EchoPlatform):
    """An echo whose lookup answers with whatever the test put in ``answer`` (or raises it)."""

    answer: Any = None

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str) -> Any:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.fixture
def scripted() -> tuple[PluginHost, Scripted]:
    host = PluginHost()
    plugin = Scripted(name="scripted")
    host.register(plugin, name="scripted")
    return host, plugin


class TestTargetedCalls:
    def test_a_call_reaches_only_its_platform(self, two_echoes: PluginHost) -> None:
        echo, echo_b = two_echoes.pm.get_plugin("echo"), two_echoes.pm.get_plugin("echo_b")
        assert echo is not None and echo_b is not None
        candidate = two_echoes.platform("echo_b").lookup_creator("echo_creator_01")
        assert candidate.platform == "echo_b"
        account = candidate.profile.accounts[0]
        receipt = two_echoes.platform("echo_b").send_invitation(invitation("inv_b"), account)
        assert receipt.platform == "echo_b"
        assert echo_b.sent == ["inv_b"]
        assert echo.sent == []
        two_echoes.platform("echo").send_invitation(invitation("inv_a"), account)
        assert echo.sent == ["inv_a"]
        assert echo_b.sent == ["inv_b"]

    def test_wrappers_see_targeted_calls(self, two_echoes: PluginHost) -> None:
        class Audit:
            def __init__(self) -> None:
                self.seen: list[tuple[str, str]] = []

            @hookimpl(wrapper=True)
            def creatorkit_lookup_creator(self, handle: str) -> Generator[None, CreatorCandidate, CreatorCandidate]:
                result = yield
                self.seen.append((handle, result.platform))
                return result

        audit = Audit()
        two_echoes.add_wrapper(audit, name="audit")
        two_echoes.platform("echo").lookup_creator("echo_creator_01")
        two_echoes.platform("echo_b").lookup_creator("echo_creator_02")
        assert audit.seen == [("echo_creator_01", "echo"), ("echo_creator_02", "echo_b")]
        assert two_echoes.names == ["echo", "echo_b"]

    def test_wrapper_with_an_unknown_hook_is_refused(self, two_echoes: PluginHost) -> None:
        class Typo:
            @hookimpl(wrapper=True)
            def creatorkit_lookup_creators(self, handle: str) -> Iterator[None]:
                return (yield)

        with pytest.raises(PluginContractError, match="creatorkit_lookup_creators"):
            two_echoes.add_wrapper(Typo(), name="typo")
        assert two_echoes.pm.get_plugin("typo") is None

    def test_undeclared_stage_raises_capability_missing(self) -> None:
        host = limited_host()
        with pytest.raises(CapabilityMissing) as caught:
            host.platform("limited").fetch_post_metrics(published_post())
        error = caught.value
        assert error.plugin == "limited"
        assert error.capability == Capability.POST_METRICS
        assert error.alternative == host.metadata("limited").missing[Capability.POST_METRICS]
        assert error.alternative in str(error)

    def test_capability_missing_message_names_the_stage_plainly(self) -> None:
        with pytest.raises(CapabilityMissing) as caught:
            limited_host().platform("limited").fetch_post_metrics(published_post())
        assert "does not offer 'post_metrics'" in str(caught.value)

    def test_unknown_platform(self, two_echoes: PluginHost) -> None:
        with pytest.raises(PluginError, match="echo, echo_b"):
            two_echoes.platform("tiktok")
        with pytest.raises(PluginError, match="not a payment provider"):
            two_echoes.payments("echo")


class TestOutputChecks:
    def test_a_dict_is_structured_into_the_entity(self, scripted: tuple[PluginHost, Scripted]) -> None:
        host, plugin = scripted
        plugin.answer = unstructure(plugin.creators[0])
        assert host.platform("scripted").lookup_creator("x") == plugin.creators[0]

    def test_a_dict_that_breaks_the_schema_names_the_field(self, scripted: tuple[PluginHost, Scripted]) -> None:
        host, plugin = scripted
        data = unstructure(plugin.creators[0])
        data["profile"]["accounts"][0]["followers"]["value"] = "many"
        plugin.answer = data
        with pytest.raises(PluginContractError) as caught:
            host.platform("scripted").lookup_creator("x")
        assert caught.value.hook == "creatorkit_lookup_creator"
        assert [p.path for p in caught.value.problems] == ["profile.accounts[0].followers.value"]

    def test_wrong_platform_name(self, scripted: tuple[PluginHost, Scripted]) -> None:
        host, plugin = scripted
        plugin.answer = creatorkit_echo.EchoPlatform(name="other").creators[0]
        with pytest.raises(PluginContractError) as caught:
            host.platform("scripted").lookup_creator("x")
        [problem] = caught.value.problems
        assert problem.path == "platform"
        assert "'other'" in problem.message

    @pytest.mark.parametrize(("answer", "words"), [(None, "returned nothing"), (["x"], "returned list")])
    def test_no_entity_at_all(self, scripted: tuple[PluginHost, Scripted], answer: object, words: str) -> None:
        host, plugin = scripted
        plugin.answer = answer
        with pytest.raises(PluginContractError, match=words):
            host.platform("scripted").lookup_creator("x")

    def test_bare_exception_becomes_a_contract_error(self, scripted: tuple[PluginHost, Scripted]) -> None:
        host, plugin = scripted
        plugin.answer = RuntimeError("socket closed")
        with pytest.raises(PluginContractError) as caught:
            host.platform("scripted").lookup_creator("x")
        assert caught.value.__cause__ is plugin.answer
        assert caught.value.plugin == "scripted"
        assert "RuntimeError: socket closed" in str(caught.value)

    @pytest.mark.parametrize(
        "error",
        [Transient("scripted", "try later", code=503), NotFound("creator", "x")],
        ids=["transient", "not-found"],
    )
    def test_typed_errors_pass_through_unchanged(self, scripted: tuple[PluginHost, Scripted], error: Exception) -> None:
        host, plugin = scripted
        plugin.answer = error
        with pytest.raises(type(error)) as caught:
            host.platform("scripted").lookup_creator("x")
        assert caught.value is error


class Gathering(creatorkit_echo.EchoPlatform):
    """Discovery that only answers once every participant is inside discovery at the same time."""

    def __init__(self, name: str, barrier: threading.Barrier) -> None:
        super().__init__(name=name)
        self.barrier = barrier

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        self.barrier.wait()
        return super().creatorkit_discover_creators(query)


class TestDiscovery:
    def test_fans_out_concurrently(self) -> None:
        # A sequential fan-out would leave the first plugin waiting at the barrier until it breaks;
        # the timeout only keeps a broken implementation from hanging the suite.
        barrier = threading.Barrier(3, timeout=30)
        host = PluginHost()
        for name in ("gather_a", "gather_b", "gather_c"):
            host.register(Gathering(name, barrier), name=name)
        results = discover(host, DiscoveryQuery(limit=2))
        assert results.errors == {}
        assert sorted(results.outcomes) == ["gather_a", "gather_b", "gather_c"]
        assert all(o.ok and o.page is not None and o.page.platform == n for n, o in results.outcomes.items())
        assert len(results.candidates) == 6

    def test_one_failing_platform_comes_back_next_to_the_others(self) -> None:
        host = host_for({"echo": {"fail_discovery": True}})
        host.register(creatorkit_echo.EchoPlatform(name="echo_b"), name="echo_b")
        results = discover(host, DiscoveryQuery(limit=3))
        assert set(results.errors) == {"echo"}
        error = results.errors["echo"]
        assert isinstance(error, Transient)
        assert error.code == "ECHO_FAIL"
        assert not results.outcomes["echo"].ok
        page = results.outcomes["echo_b"].page
        assert page is not None and len(page.candidates) == 3
        assert {c.platform for c in results.candidates} == {"echo_b"}

    def test_platforms_without_discovery_are_skipped_with_the_reason(self, two_echoes: PluginHost) -> None:
        def platform_without_discovery(name: str, missing: dict[str, str]) -> object:
            class Plugin:
                @hookimpl
                def creatorkit_plugin_metadata(self) -> PluginMetadata:
                    return PluginMetadata(name=name, kind=PluginKind.PLATFORM, display_name=name, missing=missing)

            return Plugin()

        two_echoes.register(
            platform_without_discovery("exporter", {Capability.DISCOVERY: "import a partner export"}),
            name="exporter",
        )
        two_echoes.register(platform_without_discovery("silent", {}), name="silent")
        results = discover(two_echoes, DiscoveryQuery(limit=1))
        assert results.skipped == {"exporter": "import a partner export", "silent": "no discovery capability"}
        assert sorted(results.outcomes) == ["echo", "echo_b"]

    def test_only_the_chosen_platforms(self, two_echoes: PluginHost) -> None:
        results = discover(two_echoes, DiscoveryQuery(limit=1), platforms=["echo_b"])
        assert list(results.outcomes) == ["echo_b"]

    def test_a_platform_that_times_out_is_a_transient_error_for_that_platform(self) -> None:
        entered, release = threading.Event(), threading.Event()

        class Stuck(creatorkit_echo.EchoPlatform):
            """Answers discovery only once the test lets it: it cannot beat any timeout."""

            @hookimpl
            def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
                entered.set()
                release.wait()
                return super().creatorkit_discover_creators(query)

        host = host_for({"echo": {}})
        host.register(Stuck(name="stuck"), name="stuck")
        try:
            results = discover(host, DiscoveryQuery(limit=2), platforms=["echo", "stuck"], timeout=0.5)
            assert entered.wait(timeout=10)  # it was asked, and is still stuck
            assert set(results.errors) == {"stuck"}
            assert isinstance(results.errors["stuck"], Transient)
            assert results.errors["stuck"].platform == "stuck"
            assert "0.5 s" in str(results.errors["stuck"])
            assert results.outcomes["echo"].ok
            assert len(results.candidates) == 2
        finally:
            release.set()


class TestNotify:
    def test_a_failing_listener_is_isolated(self, two_echoes: PluginHost) -> None:
        heard: list[tuple[str, str]] = []

        class Listener:
            def __init__(self, name: str, fail: bool = False) -> None:
                self.name = name
                self.fail = fail

            @hookimpl
            def creatorkit_on_event(self, event: Event) -> None:
                if self.fail:
                    raise RuntimeError("listener down")
                heard.append((self.name, event.name))

        two_echoes.add_listener(Listener("first"), name="first")
        two_echoes.add_listener(Listener("broken", fail=True), name="broken")
        two_echoes.add_listener(Listener("last"), name="last")
        event = Event(name="deal.state_changed", entity_kind="deal", entity_id="deal_1", occurred_at=NOW)
        with pytest.warns(RuntimeWarning, match=r"'broken'.*deal\.state_changed.*listener down"):
            failures = two_echoes.notify(event)
        assert sorted(heard) == [("first", "deal.state_changed"), ("last", "deal.state_changed")]
        [(name, error)] = failures
        assert name == "broken"
        assert isinstance(error, RuntimeError)

    def test_listening_says_whether_anyone_hears_events(self, two_echoes: PluginHost) -> None:
        class Listener:
            @hookimpl
            def creatorkit_on_event(self, event: Event) -> None:
                pass

        assert not two_echoes.listening  # the echo plugins do not listen: services build no events
        two_echoes.add_listener(Listener(), name="ears")
        assert two_echoes.listening

    def test_capability_table_covers_every_stage_hook(self) -> None:
        covered = {hook for hooks in CAPABILITY_HOOKS.values() for hook in hooks}
        from creatorkit import hookspecs

        specs = {n for n in vars(hookspecs) if n.startswith("creatorkit_")}
        assert covered == specs - {
            "creatorkit_plugin_metadata",
            "creatorkit_configure",
            "creatorkit_on_event",
            "creatorkit_payment_status",  # deprecated in contract v2: declared only to warn its implementers
        }
        assert set(CAPABILITY_HOOKS) == set(Capability)


def test_a_hook_parameter_with_a_default_is_refused_at_registration() -> None:
    """pluggy never passes a parameter the implementation gives a default: ``known=None`` would always be None."""
    from creatorkit.entities import ProviderOperation, ProviderRequest
    from creatorkit.errors import PluginContractError
    from creatorkit.hookspecs import hookimpl
    from creatorkit.host import PluginHost
    from creatorkit_echo import EchoPayments

    class DefaultsKnown(EchoPayments):
        @hookimpl
        def creatorkit_payment_retrieve(
            self, request: ProviderRequest, known: ProviderOperation | None = None
        ) -> ProviderOperation:
            return super().creatorkit_payment_retrieve(request, known)

    with pytest.raises(PluginContractError) as refused:
        PluginHost().register(DefaultsKnown(), name="echo_pay", group="creatorkit.payments")
    assert [p.path for p in refused.value.problems] == ["creatorkit_payment_retrieve"]
    assert "known: a parameter with a default is never passed" in refused.value.problems[0].message
