"""Echo's webhooks: how its plugins verify a delivery, and the sandbox signers that make genuine ones.

Both of echo's senders sign a Unix timestamp with the body, HMAC-SHA256 keyed with the plugin's
``webhook_secret``, the way Stripe and TikTok do:

* the platform, ``Echo-Signature: t=<unix>,s=<hex HMAC of "<t>." + body>``, with Meta's shapes around it: a
  ``GET`` subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``, ``hub.challenge`` echoed back)
  and batched ``{"object": "echo", "entry": [{"id", "time", "changes": [{"field", "value"}]}]}`` deliveries,
  which carry no event ids, so one is derived from each change's content;
* the payment provider, ``Echo-Pay-Signature: t=<unix>,v1=<hex HMAC of "<t>." + body>[,v1=…]`` over one event
  ``{"id": "evt_…", "type": "<verb>.<status>", "created": <unix>, "data": {"operation_id", "provider_ref"}}``,
  answered with a JSON acknowledgement.

The ``sign_*`` and ``*_request`` functions are the sandbox's sending side: tests and the conformance kit make
deliveries with them that the plugins accept, then change a byte or the clock to see them refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from creatorkit import SignatureError
from creatorkit.entities import NoticeKind, WebhookNotice, WebhookRequest
from creatorkit.webhooks import check_freshness, signature_fields, signed_time

__all__ = [
    "PAYMENT_SIGNATURE_HEADER",
    "PLATFORM_SIGNATURE_HEADER",
    "handshake_request",
    "payment_event",
    "payment_request",
    "platform_batch",
    "platform_request",
    "sign_payment",
    "sign_platform",
]

PLATFORM_SIGNATURE_HEADER = "Echo-Signature"
PAYMENT_SIGNATURE_HEADER = "Echo-Pay-Signature"

#: The change fields of echo's platform deliveries, and what each is about.
PLATFORM_FIELDS = {
    "order": NoticeKind.ORDER,
    "invitation": NoticeKind.INVITATION,
    "messages": NoticeKind.MESSAGE,
    "post": NoticeKind.POST,
    "mentions": NoticeKind.POST,
    "insights": NoticeKind.METRICS,
    "deauthorize": NoticeKind.AUTHORIZATION_REVOKED,
}
#: echo_pay's event types are ``<operation kind>.<status>``; the kind says what the event is about.
PAYMENT_VERBS = {
    "fund": NoticeKind.PAYMENT,
    "release": NoticeKind.TRANSFER,
    "reverse": NoticeKind.REVERSAL,
    "refund": NoticeKind.REFUND,
    "payout": NoticeKind.PAYOUT,
}


def _mac(secret: bytes, unix: int | str, body: bytes) -> str:
    return hmac.new(secret, f"{unix}.".encode() + body, hashlib.sha256).hexdigest()


# -- the sending side (sandbox) ------------------------------------------------------------------------------


def sign_platform(secret: bytes, body: bytes, signed_at: datetime) -> dict[str, str]:
    """The headers echo's platform sends with ``body``, signed at ``signed_at``."""
    unix = int(signed_at.timestamp())
    return {PLATFORM_SIGNATURE_HEADER: f"t={unix},s={_mac(secret, unix, body)}", "Content-Type": "application/json"}


def sign_payment(secret: bytes, body: bytes, signed_at: datetime) -> dict[str, str]:
    """The headers echo_pay sends with ``body``, signed at ``signed_at``."""
    unix = int(signed_at.timestamp())
    return {PAYMENT_SIGNATURE_HEADER: f"t={unix},v1={_mac(secret, unix, body)}", "Content-Type": "application/json"}


def platform_batch(account_id: str, changes: Sequence[tuple[str, Mapping[str, Any]]], at: datetime) -> bytes:
    """A delivery body of one entry for ``account_id`` holding ``changes`` (field, value), as echo batches them."""
    entry = {"id": account_id, "time": int(at.timestamp()), "changes": [{"field": f, "value": v} for f, v in changes]}
    return json.dumps({"object": "echo", "entry": [entry]}).encode()


def platform_request(
    secret: bytes, body: bytes, *, signed_at: datetime, received_at: datetime | None = None
) -> WebhookRequest:
    """A genuine delivery of ``body`` to the app's echo endpoint, received at ``received_at`` (default: when signed)."""
    return WebhookRequest(
        method="POST",
        path="/webhooks/echo",
        headers=sign_platform(secret, body, signed_at),
        body=body,
        received_at=received_at or signed_at,
    )


def handshake_request(verify_token: str, challenge: str, *, received_at: datetime) -> WebhookRequest:
    """The subscription check echo's platform makes before sending anything: a GET answered with the challenge."""
    query = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    return WebhookRequest(method="GET", path="/webhooks/echo", query=query, received_at=received_at)


def payment_event(
    event_id: str, event_type: str, *, operation_id: str, provider_ref: str | None, created: datetime
) -> bytes:
    """The body of one echo_pay event about an operation (``event_type`` like ``fund.succeeded``)."""
    data = {"operation_id": operation_id, "provider_ref": provider_ref}
    return json.dumps({"id": event_id, "type": event_type, "created": int(created.timestamp()), "data": data}).encode()


def payment_request(
    secret: bytes, body: bytes, *, signed_at: datetime, received_at: datetime | None = None
) -> WebhookRequest:
    """A genuine echo_pay delivery of ``body``, received at ``received_at`` (default: when signed)."""
    return WebhookRequest(
        method="POST",
        path="/webhooks/echo_pay",
        headers=sign_payment(secret, body, signed_at),
        body=body,
        received_at=received_at or signed_at,
    )


# -- the receiving side (the plugins) ------------------------------------------------------------------------


def verify_signed(
    request: WebhookRequest, *, header: str, mac_key: str, secret: bytes, tolerance: timedelta, signer: str
) -> None:
    """Check ``header``'s MAC over the raw body and its signed time against ``request.received_at``."""
    fields = signature_fields(request.header(header), signer=signer, name=header)
    times = fields.get("t")
    if not times or len(times) > 1:
        raise SignatureError(f"{header} must hold exactly one t= timestamp", signer=signer)
    signed_at = signed_time(times[0], signer=signer, name=header)
    expected = _mac(secret, times[0], request.body).encode()
    # Any matching MAC passes, in constant time each: a sender rolling its secret signs with both.
    if not any(hmac.compare_digest(expected, given.encode()) for given in fields.get(mac_key, [])):
        raise SignatureError(f"{header} does not match the body", signer=signer)
    check_freshness(signed_at, request.received_at, tolerance=tolerance, ahead=tolerance, signer=signer)


def verify_handshake(request: WebhookRequest, *, verify_token: str, signer: str) -> str:
    """The challenge to echo back, once the handshake's verify token is the configured one."""
    query = request.query
    given, challenge = str(query.get("hub.verify_token", "")), str(query.get("hub.challenge", ""))
    if query.get("hub.mode") != "subscribe" or not challenge:
        raise SignatureError("a GET that is not a subscription handshake (hub.mode, hub.challenge)", signer=signer)
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise SignatureError("the handshake's hub.verify_token is not the configured one", signer=signer)
    return challenge


def platform_notices(source: str, request: WebhookRequest) -> tuple[WebhookNotice, ...]:
    """One notice per change of a verified platform delivery, in the order sent."""
    try:
        delivery = json.loads(request.body)
        notices = []
        for entry in delivery["entry"]:
            occurred_at = datetime.fromtimestamp(int(entry["time"]), UTC)
            for change in entry["changes"]:
                notices.append(_platform_notice(source, request, str(entry["id"]), occurred_at, change))
        return tuple(notices)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise SignatureError(f"a signed but unreadable delivery: {type(exc).__name__}: {exc}", signer=source) from None


def _platform_notice(
    source: str, request: WebhookRequest, account: str, occurred_at: datetime, change: Mapping[str, Any]
) -> WebhookNotice:
    field, value = str(change["field"]), change["value"]
    # Meta sends no event id: the same change delivered again hashes alike, which is what lets a replay be seen.
    content = json.dumps([account, int(occurred_at.timestamp()), field, value], sort_keys=True, separators=(",", ":"))
    details = {"field": field}
    if isinstance(value.get("verb"), str):
        details["verb"] = value["verb"]
    return WebhookNotice(
        source=source,
        event_id="echo-" + hashlib.sha256(content.encode()).hexdigest()[:32],
        kind=PLATFORM_FIELDS.get(field, NoticeKind.OTHER),
        event_type=field,
        received_at=request.received_at,
        occurred_at=occurred_at,
        operation_id=_text(value.get("reference")),
        provider_ref=_text(value.get("id")),
        account_ref=account,
        details=details,
    )


def payment_notice(source: str, request: WebhookRequest) -> WebhookNotice:
    """The notice of a verified echo_pay delivery."""
    try:
        event = json.loads(request.body)
        event_type = str(event["type"])
        data = event["data"]
        return WebhookNotice(
            source=source,
            event_id=str(event["id"]),
            kind=PAYMENT_VERBS.get(event_type.partition(".")[0], NoticeKind.OTHER),
            event_type=event_type,
            received_at=request.received_at,
            occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
            operation_id=_text(data.get("operation_id")),
            provider_ref=_text(data.get("provider_ref")),
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise SignatureError(f"a signed but unreadable event: {type(exc).__name__}: {exc}", signer=source) from None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
