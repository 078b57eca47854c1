"""WeChat Pay's notifications (支付成功, 退款结果, 分账动账): verified from the raw bytes, then decrypted.

The order matters: the signature over ``timestamp\\nnonce\\nbody\\n`` is checked first (a stale timestamp, an
unknown serial or a changed byte is a :class:`~creatorkit.errors.SignatureError`), and only a genuine body's
``resource`` is decrypted (AEAD_AES_256_GCM: a resource that does not authenticate is a ``SignatureError`` too).
Each notification becomes one notice whose ``event_id`` is WeChat's notification ``id``, which a resend keeps:
the core refuses it the second time. Every notice names the payment it concerns as ``provider_ref``
(``transaction_id``) and our operation as ``operation_id`` (the fund's id from ``attach``, a refund's
``out_refund_no``, a split's ``out_order_no``); WeChat's own id of a refund or split goes in ``details``.

WeChat Pay's current documentation asks for a success status and no body in reply; 204 is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from creatorkit.entities import NoticeKind, WebhookNotice, WebhookReply, WebhookRequest, WebhookResult
from creatorkit.errors import SignatureError

from ._api import parse_time
from ._crypto import PlatformKeys, decrypt_resource
from ._transport import check_signed

__all__ = ["ACKNOWLEDGEMENT", "read_notification"]

ACKNOWLEDGEMENT = WebhookReply(status=204)

#: event_type prefixes and what the notice is about.
_KINDS = (
    ("TRANSACTION.", NoticeKind.PAYMENT),
    ("REFUND.", NoticeKind.REFUND),
    ("PROFITSHARING.RETURN", NoticeKind.REVERSAL),
    ("PROFITSHARING.", NoticeKind.TRANSFER),
)


def _kind(event_type: str, original_type: str) -> NoticeKind:
    if original_type == "profitsharing" and event_type.startswith("TRANSACTION."):
        return NoticeKind.TRANSFER  # some merchants get 分账动账 notices typed TRANSACTION.SUCCESS
    return next((kind for prefix, kind in _KINDS if event_type.startswith(prefix)), NoticeKind.OTHER)


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _operation_id(resource: Mapping[str, Any], kind: NoticeKind) -> str | None:
    if kind is NoticeKind.REFUND:
        return _text(resource.get("out_refund_no"))
    if kind in (NoticeKind.TRANSFER, NoticeKind.REVERSAL):
        return _text(resource.get("out_return_no") or resource.get("out_order_no"))
    return _text(resource.get("attach") or resource.get("out_trade_no"))


def _details(resource: Mapping[str, Any]) -> dict[str, str]:
    wanted = ("out_trade_no", "trade_state", "refund_id", "refund_status", "order_id", "out_order_no")
    return {key: str(resource[key]) for key in wanted if resource.get(key) not in (None, "")}


def read_notification(
    request: WebhookRequest, keys: PlatformKeys, apiv3_key: bytes, *, tolerance: timedelta, source: str
) -> WebhookResult:
    """The notice one notification holds, and WeChat's acknowledgement (see the module's docstring)."""
    if request.method != "POST":
        raise SignatureError(f"WeChat Pay notifies by POST, not {request.method}", signer=source)
    check_signed(
        request.headers, request.body, keys, now=request.received_at, tolerance=tolerance, what="the notification"
    )
    try:
        envelope = json.loads(request.body)
        event_type = str(envelope["event_type"])
        sealed = envelope["resource"]
        algorithm = sealed.get("algorithm")
        if algorithm != "AEAD_AES_256_GCM":
            raise SignatureError(f"resource encrypted with {algorithm!r}, not AEAD_AES_256_GCM", signer=source)
        plaintext = decrypt_resource(
            apiv3_key,
            str(sealed["nonce"]),
            str(sealed.get("associated_data") or ""),
            str(sealed["ciphertext"]),
            signer=source,
        )
        resource = json.loads(plaintext)
        if not isinstance(resource, Mapping):
            raise TypeError("the decrypted resource is not an object")
        kind = _kind(event_type, str(sealed.get("original_type", "")))
        notice = WebhookNotice(
            source=source,
            event_id=str(envelope["id"]),
            kind=kind,
            event_type=event_type,
            received_at=request.received_at,
            occurred_at=parse_time(envelope.get("create_time")),
            operation_id=_operation_id(resource, kind),
            provider_ref=_text(resource.get("transaction_id")),
            account_ref=_text(resource.get("mchid") or resource.get("sp_mchid")),
            details=_details(resource),
        )
    except SignatureError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SignatureError(
            f"a signed notification that cannot be read: {type(exc).__name__}: {exc}", signer=source
        ) from None
    return WebhookResult(notices=(notice,), reply=ACKNOWLEDGEMENT)
