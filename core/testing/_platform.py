"""The conformance suite for platform plugins."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from importlib import metadata as importlib_metadata
from typing import Any, ClassVar

import attrs
import pytest

from ..config import Mode, PluginSettings
from ..entities import (
    Capability,
    Channel,
    CreatorCandidate,
    DeliverableType,
    Direction,
    DiscoveryPage,
    DiscoveryQuery,
    ImportFormat,
    ImportResult,
    Invitation,
    InvitationStatus,
    Message,
    OrderDeliverable,
    OrderPlacement,
    PlatformAccount,
    PlatformOrderRequest,
    PluginKind,
    PublishedPost,
)
from ..errors import CapabilityMissing, CreatorkitError, NotFound, PlatformError
from ..host import CAPABILITY_HOOKS, PlatformClient, PluginHost
from ._fixtures import network_disabled
from ._validity import assert_valid_entity
from ._webhooks import WebhookContract

__all__ = ["ImportSample", "PlatformPluginContract", "assert_capabilities_match_hooks", "assert_valid_entity"]

#: The stages a platform plugin either offers or explains in ``missing``.
PLATFORM_STAGES = (
    Capability.DISCOVERY,
    Capability.CREATOR_LOOKUP,
    Capability.INVITATIONS,
    Capability.MESSAGING,
    Capability.CONTRACTING,
    Capability.METRICS,
    Capability.AUDIENCE,
    Capability.POST_METRICS,
    Capability.IMPORT,
)


def assert_capabilities_match_hooks(host: PluginHost, name: str) -> None:
    """Assert that plugin ``name`` declares exactly the capabilities whose hooks it implements."""
    meta = host.metadata(name)
    implemented = set(host.hooks(name))
    for capability, hooks in CAPABILITY_HOOKS.items():
        if capability in meta.capabilities:
            assert set(hooks) <= implemented, f"declares {capability} without implementing {hooks}"
        else:
            assert not set(hooks) & implemented, f"implements {hooks} without declaring {capability}"


@attrs.frozen(kw_only=True)
class ImportSample:
    """A partner export for the conformance kit: its bytes, its format, and what the plugin must make of it."""

    data: bytes
    format: ImportFormat
    #: The (line, field) of every row the plugin must reject; ``field`` is ``None`` for a whole-row rejection.
    rejected: frozenset[tuple[int, str | None]]
    #: How many rows must become records.
    accepted: int


class PlatformPluginContract(WebhookContract):
    """Subclass with ``plugin_name`` (and the data your sandbox knows) to run the platform contract suite.

    A platform that offers webhooks also overrides ``webhook_delivery`` (and ``webhook_handshake``): see
    :class:`~creatorkit.testing.WebhookContract`.
    """

    #: The entry-point name in ``creatorkit.platforms``.
    plugin_name: ClassVar[str]
    #: Settings for the plugin's table, as they would appear in creatorkit.toml.
    settings: ClassVar[Mapping[str, Any]] = {}
    #: A handle the sandbox knows (by default the first creator it discovers) and one it does not.
    known_handle: ClassVar[str | None] = None
    unknown_handle: ClassVar[str] = "no_such_creator_zz9"
    #: A discovery query that returns at least one creator in the sandbox.
    discovery_query: ClassVar[DiscoveryQuery] = DiscoveryQuery(limit=5)
    #: A post id the sandbox has metrics for (needed only with the post_metrics capability).
    known_post_id: ClassVar[str | None] = None
    #: A partner export with rows the plugin must reject (needed only with the import capability).
    import_sample: ClassVar[ImportSample | None] = None

    # -- fixtures ------------------------------------------------------------------------------------------------

    @pytest.fixture
    def host(self) -> Iterator[PluginHost]:
        """The plugin loaded through its installed entry point, configured in sandbox mode."""
        entry_points = list(importlib_metadata.entry_points(group="creatorkit.platforms", name=self.plugin_name))
        assert entry_points, f"no entry point named {self.plugin_name!r} in creatorkit.platforms; is it installed?"
        host = PluginHost(validate_outputs=True)
        settings = PluginSettings(
            name=self.plugin_name, section="platforms", mode=Mode.SANDBOX, settings=dict(self.settings)
        )
        with network_disabled():
            host.register(
                entry_points[0].load(), name=self.plugin_name, group="creatorkit.platforms", settings=settings
            )
            yield host

    @pytest.fixture
    def platform(self, host: PluginHost) -> PlatformClient:
        return host.platform(self.plugin_name)

    def _require(self, platform: PlatformClient, capability: Capability) -> None:
        if not platform.supports(capability):
            reason = platform.metadata.missing.get(capability, "not declared")
            pytest.skip(f"{self.plugin_name} does not offer {capability}: {reason}")

    def _known_handle(self, platform: PlatformClient) -> str:
        """``known_handle``, or else the first creator the sandbox discovers for ``discovery_query``."""
        if self.known_handle:
            return self.known_handle
        assert platform.supports(Capability.DISCOVERY), "set known_handle to a creator your sandbox knows"
        with network_disabled():
            page = platform.discover_creators(self.discovery_query)
        accounts = [c.profile.account_on(self.plugin_name) for c in page.candidates]
        handles = [account.handle for account in accounts if account is not None]
        assert handles, "set known_handle: the sandbox discovers no creator for discovery_query"
        return handles[0]

    def _account(self, platform: PlatformClient) -> PlatformAccount:
        self._require(platform, Capability.CREATOR_LOOKUP)
        handle = self._known_handle(platform)
        candidate = platform.lookup_creator(handle)
        account = candidate.profile.account_on(self.plugin_name)
        assert account is not None, f"lookup of {handle!r} returned no {self.plugin_name} account"
        return account

    # -- metadata and capabilities --------------------------------------------------------------------------------

    def test_metadata_names_the_plugin(self, platform: PlatformClient) -> None:
        meta = platform.metadata
        assert meta.name == self.plugin_name
        assert meta.kind is PluginKind.PLATFORM
        assert meta.display_name.strip(), "display_name must say what the plugin is"
        assert_valid_entity(meta)

    def test_capabilities_match_hooks(self, host: PluginHost) -> None:
        assert_capabilities_match_hooks(host, self.plugin_name)

    def test_missing_stages_are_explained(self, platform: PlatformClient) -> None:
        meta = platform.metadata
        unexplained = [s for s in PLATFORM_STAGES if s not in meta.capabilities and not meta.missing.get(s)]
        assert not unexplained, f"stages neither offered nor explained in missing: {unexplained}"

    def test_undeclared_stage_raises_capability_missing(self, platform: PlatformClient) -> None:
        absent = [s for s in PLATFORM_STAGES if s not in platform.metadata.capabilities]
        if not absent:
            pytest.skip("the plugin offers every platform stage")
        calls: dict[Capability, Callable[[], object]] = {
            Capability.DISCOVERY: lambda: platform.discover_creators(DiscoveryQuery()),
            Capability.CREATOR_LOOKUP: lambda: platform.lookup_creator("x"),
            Capability.INVITATIONS: lambda: platform.get_invitation("x", _dummy_account(self.plugin_name)),
            Capability.MESSAGING: lambda: platform.send_message(_message(), _dummy_account(self.plugin_name)),
            Capability.CONTRACTING: lambda: platform.get_order("x"),
            Capability.IMPORT: lambda: platform.import_records(b"", ImportFormat.CSV),
            Capability.METRICS: lambda: platform.fetch_creator_metrics(_dummy_account(self.plugin_name)),
            Capability.AUDIENCE: lambda: platform.fetch_audience(_dummy_account(self.plugin_name)),
            Capability.POST_METRICS: lambda: platform.fetch_post_metrics(_post(self.plugin_name, "x")),
        }
        for stage in absent:
            with pytest.raises(CapabilityMissing) as caught:
                calls[stage]()
            assert caught.value.capability == stage

    # -- stage outputs -----------------------------------------------------------------------------------------

    def test_discovery_returns_valid_page(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        with network_disabled():
            page = platform.discover_creators(self.discovery_query)
        assert isinstance(page, DiscoveryPage)
        assert page.platform == self.plugin_name
        assert page.candidates, "the discovery_query should find at least one creator in the sandbox"
        assert len(page.candidates) <= self.discovery_query.limit
        assert_valid_entity(page)

    def test_discovery_pages_do_not_repeat(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        query = attrs.evolve(self.discovery_query, limit=1)
        with network_disabled():
            first = platform.discover_creators(query)
            if first.next_cursor is None:
                pytest.skip("the sandbox returns a single page for the discovery_query")
            second = platform.discover_creators(attrs.evolve(query, cursor=first.next_cursor))
        assert {c.profile.id for c in first.candidates}.isdisjoint({c.profile.id for c in second.candidates})

    def test_lookup_returns_valid_candidate(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CREATOR_LOOKUP)
        handle = self._known_handle(platform)
        with network_disabled():
            candidate = platform.lookup_creator(handle)
        assert isinstance(candidate, CreatorCandidate)
        assert_valid_entity(candidate)

    def test_lookup_of_unknown_creator_is_a_typed_error(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CREATOR_LOOKUP)
        with network_disabled(), pytest.raises(CreatorkitError) as caught:
            platform.lookup_creator(self.unknown_handle)
        assert isinstance(caught.value, NotFound | PlatformError), f"raised {type(caught.value).__name__}"

    def test_metrics_are_valid_and_qualified(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.METRICS)
        account = self._account(platform)
        with network_disabled():
            metrics = platform.fetch_creator_metrics(account)
        assert metrics.platform == self.plugin_name
        assert_valid_entity(metrics)

    def test_audience_is_valid(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.AUDIENCE)
        account = self._account(platform)
        with network_disabled():
            audience = platform.fetch_audience(account)
        assert_valid_entity(audience)

    def test_post_metrics_are_valid(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.POST_METRICS)
        assert self.known_post_id, "set known_post_id to a post your sandbox knows"
        with network_disabled():
            metrics = platform.fetch_post_metrics(_post(self.plugin_name, self.known_post_id))
        assert_valid_entity(metrics)

    # -- invitations, messaging, orders and import (contract v2) -------------------------------------------------

    def test_invitation_status_round_trips(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.INVITATIONS)
        account = self._account(platform)
        with network_disabled():
            receipt = platform.send_invitation(_invitation(self.plugin_name), account)
            status = platform.get_invitation(receipt.platform_ref, account)
            again = platform.get_invitation(receipt.platform_ref, account)
        assert receipt.platform == self.plugin_name and receipt.platform_ref
        assert_valid_entity(receipt)
        assert status.platform == self.plugin_name
        assert status.platform_ref == receipt.platform_ref, "the status read back must be of the invitation sent"
        assert isinstance(status.status, InvitationStatus)
        assert status.raw_status, "keep the platform's own status beside the normalised one"
        assert (again.status, again.raw_status) == (status.status, status.raw_status)
        assert_valid_entity(status)

    def test_status_of_an_unknown_invitation_is_a_typed_error(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.INVITATIONS)
        account = self._account(platform)
        with network_disabled(), pytest.raises(CreatorkitError) as caught:
            platform.get_invitation("no_such_invitation_zz9", account)
        assert isinstance(caught.value, NotFound | PlatformError), f"raised {type(caught.value).__name__}"

    def test_messaging_returns_a_receipt(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.MESSAGING)
        account = self._account(platform)
        with network_disabled():
            receipt = platform.send_message(_message(), account)
        assert receipt.platform == self.plugin_name
        assert receipt.platform_ref
        assert_valid_entity(receipt)

    def test_an_order_placed_twice_with_one_key_yields_the_same_orders(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CONTRACTING)
        request = _order_request("order_conformance_same_key", (self._known_handle(platform),))
        with network_disabled():
            first = platform.place_order(request)
            # What the core sends after a crash between the platform's answer and its record of it.
            second = platform.place_order(attrs.evolve(request, attempt=2))
        self._check_placement(first, request)
        assert [(o.order_id, o.creator_handle) for o in second.orders] == [
            (o.order_id, o.creator_handle) for o in first.orders
        ], "the same idempotency key must yield the same orders, never new ones"
        assert [f.handle for f in second.failed] == [f.handle for f in first.failed]

    def test_one_order_per_creator_and_failed_handles_are_reported(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CONTRACTING)
        request = _order_request("order_conformance_failing", (self._known_handle(platform), self.unknown_handle))
        with network_disabled():
            placement = platform.place_order(request)
        self._check_placement(placement, request)
        assert [o.creator_handle for o in placement.orders] == [self.known_handle]
        [failure] = placement.failed
        assert failure.handle == self.unknown_handle
        assert failure.reason.strip(), "say why the platform refused the handle"

    def test_an_order_reads_back(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CONTRACTING)
        assert self.known_handle, "set known_handle to a creator your sandbox knows"
        with network_disabled():
            placement = platform.place_order(_order_request("order_conformance_read", (self.known_handle,)))
            [order] = placement.orders
            again = platform.get_order(order.order_id)
            with pytest.raises(CreatorkitError) as caught:
                platform.get_order("no_such_order_zz9")
        assert (again.order_id, again.creator_handle, again.deal_id) == (
            order.order_id,
            order.creator_handle,
            order.deal_id,
        )
        assert again.platform == self.plugin_name and again.raw_status
        assert_valid_entity(again)
        assert isinstance(caught.value, NotFound | PlatformError), f"raised {type(caught.value).__name__}"

    def _check_placement(self, placement: OrderPlacement, request: PlatformOrderRequest) -> None:
        assert_valid_entity(placement)
        assert placement.platform == self.plugin_name
        assert (placement.idempotency_key, placement.deal_id) == (request.idempotency_key, request.deal_id)
        assert placement.handles == set(request.creator_handles), "every handle asked for is placed or failed, once"
        for order in placement.orders:
            assert order.platform == self.plugin_name and order.deal_id == request.deal_id
            assert order.raw_status, "keep the platform's own status beside the normalised one"

    def test_import_reports_every_rejected_row(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.IMPORT)
        sample = self.import_sample
        assert sample is not None, "set import_sample to an export with rows your plugin must reject"
        with network_disabled():
            result = platform.import_records(sample.data, sample.format)
        assert isinstance(result, ImportResult)
        assert_valid_entity(result)
        assert result.platform == self.plugin_name and result.format is sample.format
        assert {(r.line, r.field) for r in result.rejected} == set(sample.rejected), "rejected (line, field) pairs"
        assert all(r.reason.strip() for r in result.rejected), "every rejected row says why"
        assert result.accepted == sample.accepted, "rows that became records"

    def test_import_of_nothing_is_no_rows_or_a_typed_error(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.IMPORT)
        sample = self.import_sample
        assert sample is not None, "set import_sample to an export with rows your plugin must reject"
        with network_disabled():
            try:
                result = platform.import_records(b"", sample.format)
            except PlatformError:
                return  # an empty file refused as unreadable is fine: it said so
        assert (result.rows, result.rejected) == (0, ())


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _dummy_account(platform: str) -> PlatformAccount:
    return PlatformAccount(platform=platform, account_id="conformance", handle="conformance")


def _invitation(platform: str) -> Invitation:
    return Invitation(
        id="inv_conformance",
        deal_id="deal_conformance",
        brief_id="brief_conformance",
        creator_id="creator_conformance",
        sent_by="brand_conformance",
        channel=Channel.PLATFORM,
        body="We would like to work with you.",
        sent_at=_NOW,
        respond_by=_NOW + timedelta(days=7),
        platform=platform,
    )


def _message() -> Message:
    return Message(
        id="msg_conformance",
        thread_id="thread_conformance",
        sender_id="brand_conformance",
        direction=Direction.OUTBOUND,
        channel=Channel.PLATFORM,
        body="Hello!",
        sent_at=_NOW,
    )


def _post(platform: str, post_id: str) -> PublishedPost:
    return PublishedPost(
        id="post_conformance",
        deal_id="deal_conformance",
        submission_id="sub_conformance",
        platform=platform,
        platform_post_id=post_id,
        url=f"https://example.invalid/{post_id}",
        published_at=_NOW,
    )


def _order_request(key: str, handles: tuple[str, ...]) -> PlatformOrderRequest:
    return PlatformOrderRequest(
        idempotency_key=key,
        deal_id="deal_conformance",
        brand_name="Conformance",
        description="contract test",
        creator_handles=handles,
        deliverables=(OrderDeliverable(kind=DeliverableType.SHORT_VIDEO, count=1, ad_authorization_days=30),),
    )
