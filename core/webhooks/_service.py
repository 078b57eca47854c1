"""``kit.webhooks``: one delivery in, the reply to send and the events accepted out, each event accepted once.

The plugin verifies the delivery and says what it holds (``creatorkit_receive_webhook``); the host refuses a
notice that names another source. The service then records each event's ``(source, event_id)`` in the store,
audits it and announces it, all in one transaction: an event already recorded — the sender retrying, or someone
replaying a captured request — is dropped, not an error, and the reply is the same as the first time, so the
sender stops. A forged or stale delivery raises :class:`~creatorkit.errors.SignatureError` before anything is
written.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .._change import Change
from .._service import Service
from ..converter import unstructure
from ..entities import Actor, PluginKind, WebhookNotice, WebhookReply, WebhookRequest, WebhookResult
from ..errors import Problem, ValidationError
from ..store import AcceptedEvent

__all__ = ["ReceivedWebhook", "WebhookService"]

#: The audit action and event name of an accepted webhook event; its entity is ``webhook_event``
#: ``<source>/<event_id>``.
ACCEPTED = "webhook.accepted"


@attrs.frozen(kw_only=True)
class ReceivedWebhook:
    """What :meth:`WebhookService.receive` made of one delivery.

    ``reply`` is what to answer the sender (status, headers, body); ``notices`` the events accepted now, in the
    order sent, each a hint to re-read the object it names; ``duplicates`` those dropped because they had
    been accepted before (or came twice in this delivery).
    """

    reply: WebhookReply
    notices: tuple[WebhookNotice, ...] = ()
    duplicates: tuple[WebhookNotice, ...] = ()


class _NothingNew(Exception):
    """Every event of the delivery was accepted already: the transaction is rolled back, having written nothing."""


class WebhookService(Service):
    """Receiving webhook deliveries for any platform or payment plugin that offers ``webhooks``."""

    def receive(self, plugin: str, request: WebhookRequest) -> ReceivedWebhook:
        """Verify ``request`` with ``plugin`` and accept each event it holds once.

        :raises SignatureError: forged, stale or unreadable (nothing is written).
        :raises CapabilityMissing: the plugin does not offer webhooks.
        :raises PluginContractError: the plugin broke the contract (a notice naming another source, …).
        """
        if not isinstance(request, WebhookRequest):
            got = type(request).__name__
            raise ValidationError([Problem("request", f"must be a WebhookRequest, got {got}")], "webhook delivery")
        result = self._verified(plugin, request)
        if not result.notices:
            return ReceivedWebhook(reply=result.reply)  # a handshake, or a delivery of nothing to act on
        try:
            accepted = self._write(
                Actor.system(f"webhook.{plugin}"),
                "receive_webhook",
                lambda change: _accept(change, plugin, request, result.notices),
            )
        except _NothingNew:
            accepted = ()
        kept = {id(notice) for notice in accepted}
        duplicates = tuple(notice for notice in result.notices if id(notice) not in kept)
        return ReceivedWebhook(reply=result.reply, notices=accepted, duplicates=duplicates)

    def accepted(self, plugin: str, event_ids: Sequence[str]) -> list[AcceptedEvent]:
        """The events among ``event_ids`` of ``plugin`` that the core has accepted, with when they arrived."""
        return self._read(
            Actor.system(f"webhook.{plugin}"),
            lambda view: view.accepted_webhook_events(plugin, event_ids),
            "read_webhook_events",
        )

    def _verified(self, plugin: str, request: WebhookRequest) -> WebhookResult:
        host = self._kit.plugins
        if host.metadata(plugin).kind is PluginKind.PAYMENT:
            return host.payments(plugin).receive_webhook(request)
        return host.platform(plugin).receive_webhook(request)


def _accept(
    change: Change, source: str, request: WebhookRequest, notices: Sequence[WebhookNotice]
) -> tuple[WebhookNotice, ...]:
    """Record, audit and announce each event not accepted before; the first notice of each new event id, in order."""
    firsts: dict[str, WebhookNotice] = {}
    for notice in notices:
        firsts.setdefault(notice.event_id, notice)
    # In the order of their ids, whatever order the delivery has: two deliveries sharing events, racing on
    # PostgreSQL, then wait on each other's rows in one order and never deadlock.
    new = set()
    for event_id in sorted(firsts):
        if change.accept_webhook_event(_row(firsts[event_id], request)):
            new.add(event_id)
    if not new:
        raise _NothingNew
    accepted = tuple(notice for event_id, notice in firsts.items() if event_id in new)
    for notice in accepted:
        entity_id = f"{source}/{notice.event_id}"
        change.audit(ACCEPTED, "webhook_event", entity_id, unstructure(notice))
        change.event(
            ACCEPTED,
            "webhook_event",
            entity_id,
            source=source,
            kind=str(notice.kind),
            event_type=notice.event_type,
            operation_id=notice.operation_id,
            provider_ref=notice.provider_ref,
            account_ref=notice.account_ref,
        )
    return accepted


def _row(notice: WebhookNotice, request: WebhookRequest) -> AcceptedEvent:
    # The request's received_at, not the notice's: the core's own reading of when the delivery came.
    return AcceptedEvent(
        source=notice.source,
        event_id=notice.event_id,
        kind=str(notice.kind),
        event_type=notice.event_type,
        occurred_at=notice.occurred_at,
        received_at=request.received_at,
        operation_id=notice.operation_id,
        provider_ref=notice.provider_ref,
    )
