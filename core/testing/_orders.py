"""The platform kit's checks of invitations, messaging, orders and imports (contract v2).

Mixed into :class:`~creatorkit.testing.PlatformPluginContract`, which gives it the ``platform`` fixture and the
helpers that read what the sandbox knows (``_require``, ``_account``, ``_known_handle``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs
import pytest

from ..entities import (
    Capability,
    ImportFormat,
    ImportResult,
    InvitationStatus,
    OrderPlacement,
    PlatformAccount,
    PlatformOrderRequest,
)
from ..errors import CreatorkitError, NotFound, PlatformError
from ..host import PlatformClient
from ._fixtures import network_disabled
from ._samples import _invitation, _message, _order_request
from ._validity import assert_valid_entity

__all__ = ["ImportSample", "OrdersContract"]


@attrs.frozen(kw_only=True)
class ImportSample:
    """A partner export for the conformance kit: its bytes, its format, and what the plugin must make of it."""

    data: bytes
    format: ImportFormat
    #: The (line, field) of every row the plugin must reject; ``field`` is ``None`` for a whole-row rejection.
    rejected: frozenset[tuple[int, str | None]]
    #: How many rows must become records.
    accepted: int


class OrdersContract:
    """Invitations read back, messaging, idempotent orders, failed handles, imports that report every rejection."""

    plugin_name: ClassVar[str]
    known_handle: ClassVar[str | None]
    unknown_handle: ClassVar[str]
    #: A partner export with rows the plugin must reject (needed only with the import capability).
    import_sample: ClassVar[ImportSample | None] = None

    if TYPE_CHECKING:

        def _require(self, platform: PlatformClient, capability: Capability) -> None: ...
        def _account(self, platform: PlatformClient) -> PlatformAccount: ...
        def _known_handle(self, platform: PlatformClient) -> str: ...

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
