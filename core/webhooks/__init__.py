"""Webhooks: deliveries from platforms and payment providers, verified by their plugin and accepted once.

An embedding app hands each delivery to the kit and sends back what it says::

    from creatorkit import SignatureError
    from creatorkit.entities import WebhookRequest

    request = WebhookRequest(
        method="POST", path="/hooks/stripe", query=raw_query, headers=raw_headers, body=raw_body,
        received_at=kit.clock(),
    )
    try:
        received = kit.webhooks.receive("stripe", request)
    except SignatureError:
        return 400, "refused"                     # forged, stale or unreadable: nothing was written
    for notice in received.notices:                # events accepted now; replays are in received.duplicates
        ...                                        # a hint: re-read the object it names (notice.operation_id, …)
    return received.reply.status, received.reply.headers, received.reply.body

Each accepted event is recorded in the store, unique by ``(source, event_id)``, audited as ``webhook.accepted``
and announced to listeners as an :class:`~creatorkit.entities.Event` of that name, in one transaction.

Plugin authors verifying a timestamped signature use :func:`signature_fields`, :func:`signed_time` and
:func:`check_freshness`, which judge the time against ``request.received_at``, never the plugin's own clock.
"""

from ._service import ACCEPTED, ReceivedWebhook, WebhookService
from ._signatures import check_freshness, signature_fields, signed_time

__all__ = ["ACCEPTED", "ReceivedWebhook", "WebhookService", "check_freshness", "signature_fields", "signed_time"]
