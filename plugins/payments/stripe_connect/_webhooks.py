"""Stripe's webhooks: a delivery verified with the ``stripe`` library, its event read as a notice.

Verification is ``stripe.Webhook.construct_event``: the HMAC-SHA256 of ``"<t>.<body>"`` under the endpoint
secret against every ``v1`` of ``Stripe-Signature``, compared in constant time. The library judges the signed
time against ``time.time()``, which the contract forbids (the kit's clock is ``request.received_at``), so it is
called with its time check off (tolerance 0) and the plugin applies the library's own tolerance,
``Webhook.DEFAULT_TOLERANCE`` (300 s), to ``received_at`` with :func:`creatorkit.webhooks.check_freshness` —
refusing, as the library does, only deliveries signed too long before (Stripe's clock may be ahead of ours).

A body that is not UTF-8 (the library raises ``UnicodeDecodeError``), a signed body that is not an event, or a
missing secret is a :class:`~creatorkit.errors.SignatureError`, never a crash. Each delivery holds one event; its
notice names the object (``provider_ref``), the operation id the plugin put in its metadata, and the connected
account for Connect events. The core treats it as a hint and re-reads the operation from Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from creatorkit.entities import NoticeKind, WebhookNotice, WebhookRequest, WebhookResult
from creatorkit.errors import SignatureError
from creatorkit.webhooks import check_freshness, signature_fields, signed_time

from ._metadata import operation_of

__all__ = ["SIGNATURE_HEADER", "TOLERANCE", "notice_kind", "receive"]

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE = timedelta(seconds=stripe.Webhook.DEFAULT_TOLERANCE)

#: Event type prefixes and what each is about; the longest matching prefix wins.
_KINDS = {
    "payment_intent.": NoticeKind.PAYMENT,
    "charge.": NoticeKind.PAYMENT,
    "charge.refund": NoticeKind.REFUND,
    "charge.refunded": NoticeKind.REFUND,
    "charge.dispute.": NoticeKind.DISPUTE,
    "refund.": NoticeKind.REFUND,
    "transfer.": NoticeKind.TRANSFER,
    "transfer.reversed": NoticeKind.REVERSAL,
    "payout.": NoticeKind.PAYOUT,
    "account.": NoticeKind.ACCOUNT,
    "capability.": NoticeKind.ACCOUNT,
    "person.": NoticeKind.ACCOUNT,
}


def notice_kind(event_type: str) -> NoticeKind:
    matching = [prefix for prefix in _KINDS if event_type.startswith(prefix)]
    return _KINDS[max(matching, key=len)] if matching else NoticeKind.OTHER


def receive(source: str, request: WebhookRequest, secret: str | None) -> WebhookResult:
    """Verify ``request`` and read its event (see the module's docstring)."""
    if request.method != "POST":
        raise SignatureError(f"Stripe delivers events by POST, not {request.method}", signer=source)
    if not secret:
        raise SignatureError(f"no webhook_secret is configured in [payments.{source}]", signer=source)
    header = request.header(SIGNATURE_HEADER)
    try:
        event = stripe.Webhook.construct_event(request.body, header, secret, tolerance=0)
    except stripe.SignatureVerificationError as exc:
        raise SignatureError(f"{SIGNATURE_HEADER}: {exc.user_message}", signer=source) from None
    except UnicodeDecodeError:
        raise SignatureError(
            "the delivery's body is not UTF-8, so it is not what Stripe signed", signer=source
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # signed, but not JSON or not an event
        raise SignatureError(f"a signed but unreadable delivery: {type(exc).__name__}: {exc}", signer=source) from None
    stamp = signature_fields(header, signer=source, name=SIGNATURE_HEADER).get("t", [None])[0]
    check_freshness(
        signed_time(stamp, signer=source, name=SIGNATURE_HEADER),
        request.received_at,
        tolerance=TOLERANCE,
        ahead=None,
        signer=source,
    )
    return WebhookResult(notices=(_notice(source, request, event.to_dict()),))


def _notice(source: str, request: WebhookRequest, event: Mapping[str, Any]) -> WebhookNotice:
    try:
        event_type = str(event["type"])
        obj = event.get("data", {}).get("object") or {}
        details = {"object": str(obj.get("object", "")), "livemode": str(bool(event.get("livemode"))).lower()}
        return WebhookNotice(
            source=source,
            event_id=str(event["id"]),
            kind=notice_kind(event_type),
            event_type=event_type,
            received_at=request.received_at,
            occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
            operation_id=operation_of(obj),
            provider_ref=str(obj["id"]) if obj.get("id") else None,
            account_ref=str(event["account"]) if event.get("account") else None,
            details=details,
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise SignatureError(f"a signed event missing what every Stripe event has: {exc!r}", signer=source) from None
