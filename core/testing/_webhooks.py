"""The webhook tests of the conformance kit, shared by the platform and the payment suites.

A plugin that declares ``webhooks`` makes genuine deliveries with its sandbox's signer in its test class, and the
suite checks what the core relies on: a genuine delivery becomes valid notices from this plugin and an
acknowledgement; a batch becomes one notice per event; a changed byte, a missing signature or a delivery
received long after it was signed is a :class:`~creatorkit.errors.SignatureError` (the last one saying
*stale*); the same events delivered again, even signed anew, are refused by the core's record of accepted
events, through ``kit.webhooks.receive`` on an in-memory store; a handshake gets its reply and no notices.
Payment providers also show that deliveries about one operation, out of order and repeated, are each accepted
once and change nothing by themselves (the core re-reads the operation).

Deliveries are received at a fixed instant far from the real clock: a plugin that judges a signed timestamp by
``time.time()`` instead of ``request.received_at`` fails here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import attrs
import pytest

from .._kit import Creatorkit
from ..audit import AuditKeys
from ..entities import (
    Capability,
    PluginKind,
    ProviderOperation,
    ProviderRequest,
    WebhookNotice,
    WebhookRequest,
    WebhookResult,
)
from ..errors import SignatureError
from ..host import PluginHost
from ..money import Money
from ..store import open_store
from ._validity import assert_valid_entity

__all__ = ["PaymentWebhookContract", "WebhookContract"]

#: When the kit's deliveries arrive: fixed, and years from any real clock.
RECEIVED_AT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
#: Later than any sender's tolerance allows (Stripe 300 s, WeChat Pay 5 minutes, TikTok's "recent").
LONG_AFTER = timedelta(days=1)


class WebhookContract:
    """Webhook tests for any plugin kind; subclass through ``PlatformPluginContract`` or ``PaymentProviderContract``.

    Override :meth:`webhook_delivery` (and :meth:`webhook_handshake` if the sender has one) with your sandbox's
    signer; say with the class attributes what your sender does.
    """

    plugin_name: ClassVar[str]
    #: Whether the sender signs a timestamp (Stripe, TikTok, WeChat Pay, echo do; Meta does not): if so, a delivery
    #: received a day after it was signed must be refused as stale.
    webhook_signs_time: ClassVar[bool] = True
    #: Whether one delivery may hold several events (Meta and TikTok batch ``entry[]``): if so, the delivery from
    #: :meth:`webhook_delivery` holds at least two.
    webhook_batches: ClassVar[bool] = False

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest | None:
        """A genuine delivery from your sandbox's signer, signed at ``received_at`` and received then.

        It must describe the same events whatever ``received_at`` is (a sender retrying signs the same events
        anew), holding at least two of them if :attr:`webhook_batches`. None: the plugin offers no webhooks.
        """
        return None

    def webhook_handshake(self, received_at: datetime, *, genuine: bool) -> tuple[WebhookRequest, str] | None:
        """The sender's subscription check and the reply body it expects (Meta: ``hub.challenge``), or None if it
        has none. With ``genuine=False``, the same check as a forger would send it (a wrong verify token)."""
        return None

    # -- helpers -------------------------------------------------------------------------------------------------

    @pytest.fixture
    def webhook_kit(self, host: PluginHost) -> Iterator[Creatorkit]:
        """The plugin's host in a kit on an in-memory store: what an embedding app receives deliveries through."""
        kit = Creatorkit(store=open_store(":memory:", audit_keys=AuditKeys()), plugins=host, clock=lambda: RECEIVED_AT)
        try:
            yield kit
        finally:
            kit.close()

    def _webhooks_offered(self, host: PluginHost) -> None:
        meta = host.metadata(self.plugin_name)
        if Capability.WEBHOOKS not in meta.capabilities:
            reason = meta.missing.get(Capability.WEBHOOKS, "not declared")
            pytest.skip(f"{self.plugin_name} does not offer webhooks: {reason}")

    def _delivery(self, host: PluginHost, received_at: datetime = RECEIVED_AT) -> WebhookRequest:
        self._webhooks_offered(host)
        request = self.webhook_delivery(received_at)
        assert request is not None, "override webhook_delivery() to return a genuine delivery from your sandbox"
        return request

    def _receive(self, host: PluginHost, request: WebhookRequest) -> WebhookResult:
        if host.metadata(self.plugin_name).kind is PluginKind.PAYMENT:
            return host.payments(self.plugin_name).receive_webhook(request)
        return host.platform(self.plugin_name).receive_webhook(request)

    # -- the tests -----------------------------------------------------------------------------------------------

    def test_a_genuine_delivery_becomes_notices_and_an_acknowledgement(self, host: PluginHost) -> None:
        request = self._delivery(host)
        result = self._receive(host, request)
        assert result.notices, "a genuine delivery should hold at least one event"
        assert_valid_entity(result)
        for notice in result.notices:
            assert notice.source == self.plugin_name
            assert notice.event_id, "every notice needs the event's id: the core refuses replays by it"
            assert notice.received_at == request.received_at, "a notice's received_at is the request's"
        assert 200 <= result.reply.status <= 299

    def test_a_batch_becomes_one_notice_per_event(self, host: PluginHost) -> None:
        if not self.webhook_batches:
            pytest.skip(f"{self.plugin_name}'s sender puts one event in each delivery (webhook_batches = False)")
        result = self._receive(host, self._delivery(host))
        ids = [notice.event_id for notice in result.notices]
        assert len(ids) >= 2, "webhook_delivery() should return a batch of at least two events"
        assert len(set(ids)) == len(ids), f"the events of one batch need ids of their own, got {ids}"

    def test_a_changed_byte_is_refused(self, host: PluginHost) -> None:
        request = self._delivery(host)
        assert request.body, "a delivery with a body to sign"
        middle = len(request.body) // 2
        flipped = request.body[:middle] + bytes([request.body[middle] ^ 0x01]) + request.body[middle + 1 :]
        for body in (flipped, request.body + b" "):
            with pytest.raises(SignatureError):
                self._receive(host, attrs.evolve(request, body=body))

    def test_a_delivery_without_its_signature_is_refused(self, host: PluginHost) -> None:
        request = self._delivery(host)
        with pytest.raises(SignatureError):
            self._receive(host, attrs.evolve(request, headers={}))

    def test_a_stale_delivery_is_refused(self, host: PluginHost) -> None:
        if not self.webhook_signs_time:
            pytest.skip(f"{self.plugin_name}'s sender signs no timestamp: the core's event ids alone refuse replays")
        request = self._delivery(host)
        self._receive(host, attrs.evolve(request, received_at=request.received_at + timedelta(seconds=1)))
        with pytest.raises(SignatureError, match=r"(?i)stale"):
            self._receive(host, attrs.evolve(request, received_at=request.received_at + LONG_AFTER))

    def test_a_replayed_delivery_is_refused_by_the_core(self, host: PluginHost, webhook_kit: Creatorkit) -> None:
        request = self._delivery(host)
        first = webhook_kit.webhooks.receive(self.plugin_name, request)
        assert first.notices and not first.duplicates
        again = webhook_kit.webhooks.receive(self.plugin_name, request)
        assert not again.notices, "the same delivery twice: its events were accepted already"
        assert sorted(n.event_id for n in again.duplicates) == sorted(
            n.event_id for n in first.notices + first.duplicates
        )
        assert again.reply == first.reply, "a replay is acknowledged as the first was, so the sender stops"
        # A sender retrying signs the same events anew: still the same events.
        retried = self._delivery(host, request.received_at + timedelta(seconds=30))
        later = webhook_kit.webhooks.receive(self.plugin_name, retried)
        assert not later.notices, "a delivery signed anew must give its events the same ids as before"

    def test_a_handshake_gets_its_reply_and_no_notices(self, host: PluginHost, webhook_kit: Creatorkit) -> None:
        self._webhooks_offered(host)
        handshake = self.webhook_handshake(RECEIVED_AT, genuine=True)
        if handshake is None:
            pytest.skip(f"{self.plugin_name}'s sender makes no subscription handshake")
        request, expected = handshake
        result = self._receive(host, request)
        assert not result.notices
        assert result.reply.body == expected
        assert_valid_entity(result)
        received = webhook_kit.webhooks.receive(self.plugin_name, request)
        assert received.reply == result.reply and not received.notices
        forged = self.webhook_handshake(RECEIVED_AT, genuine=False)
        assert forged is not None, "webhook_handshake(genuine=False) should return a forger's handshake"
        with pytest.raises(SignatureError):
            self._receive(host, forged[0])


class PaymentWebhookContract(WebhookContract):
    """The payment suite's webhook tests: the shared ones, and deliveries about one operation, reordered and repeated.

    Override :meth:`webhook_deliveries_for` too.
    """

    amount: ClassVar[Money]

    if TYPE_CHECKING:  # the payment suite this is mixed into makes its requests

        def fund_request(self, amount: Money | None = None) -> ProviderRequest: ...

    def webhook_deliveries_for(self, operation: ProviderOperation, received_at: datetime) -> Sequence[WebhookRequest]:
        """At least two genuine deliveries about ``operation`` (``pending`` then ``succeeded``, say), in the order
        the provider would send them, signed at ``received_at``."""
        return ()

    def test_deliveries_out_of_order_and_twice_are_each_accepted_once(
        self, host: PluginHost, webhook_kit: Creatorkit
    ) -> None:
        self._webhooks_offered(host)
        provider = host.payments(self.plugin_name)
        funding = self.fund_request(self.amount)
        operation = provider.execute(funding)
        deliveries = list(self.webhook_deliveries_for(operation, RECEIVED_AT))
        assert len(deliveries) >= 2, "override webhook_deliveries_for() to return two or more deliveries"
        before = provider.retrieve(funding, known=operation)
        accepted: list[WebhookNotice] = []
        for request in reversed(deliveries):  # the later event first, as senders that do not order do
            received = webhook_kit.webhooks.receive(self.plugin_name, request)
            assert not received.duplicates, "distinct events are never duplicates, whatever their order"
            accepted.extend(received.notices)
        assert len({notice.event_id for notice in accepted}) == len(accepted) >= 2
        for notice in accepted:
            assert operation.operation_id == notice.operation_id or operation.provider_ref == notice.provider_ref, (
                "a notice about an operation names it: our operation_id echoed back, or the provider's reference"
            )
        for request in deliveries:
            assert not webhook_kit.webhooks.receive(self.plugin_name, request).notices, "each is accepted once"
        # Notices are hints: the operation is what the provider says when asked, not what a delivery claimed.
        assert provider.retrieve(funding, known=operation) == before
