"""Webhooks: the request a platform or provider sent, and what its plugin makes of it — notices and a reply.

A plugin's ``creatorkit_receive_webhook`` gets a :class:`WebhookRequest` exactly as it arrived (the raw body bytes
included, which every signature covers) and answers with a :class:`WebhookResult`: the :class:`WebhookNotice` s
the delivery holds (Meta and TikTok batch several, Stripe and WeChat Pay send one) and the :class:`WebhookReply`
the sender expects (Meta's ``hub.challenge`` echoed back, a JSON acknowledgement). Notices are hints: the core
de-duplicates them by ``(source, event_id)`` and re-reads the object they name; it never trusts the payload.

``WebhookRequest`` is not in ``ENTITY_CLASSES``: it holds bytes, which JSON cannot, and it never leaves memory
(the core stores what its notices say, never the request).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import httpx

from ..errors import Problem, ValidationError
from ._common import FieldValueError, aware, platform_name, typed_fields

__all__ = [
    "NoticeKind",
    "WebhookNotice",
    "WebhookReply",
    "WebhookRequest",
    "WebhookResult",
]

#: What a header or query parameter collection may be given as; it is copied, so the caller's stays its own.
HeaderInput = httpx.Headers | Mapping[str, str] | Sequence[tuple[str, str]]
QueryInput = httpx.QueryParams | str | Mapping[str, str] | Sequence[tuple[str, str]]


def _headers(value: HeaderInput) -> httpx.Headers:
    return httpx.Headers(value)


def _query(value: QueryInput) -> httpx.QueryParams:
    if isinstance(value, httpx.QueryParams | str | Mapping):
        return httpx.QueryParams(value)
    pairs: list[tuple[str, str | int | float | bool | None]] = list(value)
    return httpx.QueryParams(pairs)


def _method(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError([Problem("method", "must be an HTTP method such as 'POST'")], "webhook request")
    return value.strip().upper()


def _raw_body(value: bytes | bytearray | memoryview) -> bytes:
    # A signature covers the bytes as sent; text decoded and encoded again may differ from them (a BOM, a
    # normalised newline), so only bytes are taken, never str.
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    got = type(value).__name__  # the type checker refuses text here too; this is for untyped callers
    raise ValidationError([Problem("body", f"must be the raw bytes as received, got {got}")], "webhook request")


def _received_at(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise ValidationError(
            [Problem("received_at", f"must be a datetime, got {type(value).__name__}")], "webhook request"
        )
    try:
        aware(instance, attribute, value)
    except FieldValueError as exc:
        raise ValidationError([Problem("received_at", str(exc))], "webhook request") from None


@attrs.frozen(kw_only=True)
class WebhookRequest:
    """One HTTP request as a platform or provider sent it to the app's webhook endpoint.

    ``headers`` are case-insensitive (``request.headers.get("stripe-signature")`` finds ``Stripe-Signature``) and
    keep repeated headers; ``query`` is the parsed query string (``hub.challenge``); ``body`` the raw bytes, over
    which a signature is checked — never re-serialised JSON. ``received_at`` is when the app received it, on the
    kit's clock: a signed timestamp is judged stale or fresh against it, never against the plugin's own clock.
    """

    method: str = attrs.field(converter=_method)
    received_at: datetime = attrs.field(validator=_received_at)
    path: str = "/"
    query: httpx.QueryParams = attrs.field(factory=httpx.QueryParams, converter=_query)
    headers: httpx.Headers = attrs.field(factory=httpx.Headers, converter=_headers)
    body: bytes = attrs.field(default=b"", converter=_raw_body)

    def header(self, name: str) -> str | None:
        """The header ``name`` (any case), or None; repeated headers come back joined with ``", "``."""
        value: str | None = self.headers.get(name)
        return value


class NoticeKind(enum.StrEnum):
    """What a notice is about, from a fixed set: what the core re-reads, and through which stage.

    Chosen from what the platforms and providers send: TikTok's campaign video events, Instagram's comments,
    mentions, messages and story insights, Kuaishou's authorise and de-authorise events, Stripe's payment,
    transfer, payout, refund, dispute and account events, WeChat Pay's payment, profit-sharing, profit-sharing
    return and refund notifications. An event outside the set is ``other``: its ``event_type`` still says which.
    """

    ORDER = "order"  # a marketplace order or campaign changed (TikTok One campaign events)
    INVITATION = "invitation"  # an invitation was answered or expired
    MESSAGE = "message"  # a message arrived in a thread (Instagram messages)
    POST = "post"  # a post was uploaded, published, changed, commented on or mentions the brand
    METRICS = "metrics"  # new figures are ready to read (Instagram story_insights)
    AUTHORIZATION_GRANTED = "authorization_granted"  # a user authorised the app (Kuaishou authorize)
    AUTHORIZATION_REVOKED = "authorization_revoked"  # a user or brand withdrew it (Kuaishou deauthorize)
    ACCOUNT = "account"  # a connected or payee account changed (Stripe account.updated)
    PAYMENT = "payment"  # a payment or funding changed (Stripe payment_intent.*, WeChat TRANSACTION.SUCCESS)
    TRANSFER = "transfer"  # money moved to a receiver's balance (Stripe transfer.*, WeChat profit sharing)
    REVERSAL = "reversal"  # a transfer was pulled back (Stripe transfer.reversed, WeChat profit-sharing return)
    PAYOUT = "payout"  # money left for a bank account (Stripe payout.*)
    REFUND = "refund"  # (Stripe charge.refunded, refund.*; WeChat REFUND.*)
    DISPUTE = "dispute"  # a chargeback was opened or decided (Stripe charge.dispute.*)
    TEST = "test"  # a ping to check the endpoint; it names no object
    OTHER = "other"  # an event outside this set; see event_type


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class WebhookNotice:
    """A verified event, reduced to a hint: what changed and how to find it. The core re-reads its state.

    ``event_id`` is the sender's id for the event (Stripe's ``evt_…``, WeChat Pay's notification ``id``), or one
    the plugin derives from the event's content when the sender gives none (Meta): the same event delivered again
    must get the same id, which is how the core refuses a replay. ``operation_id`` is *our* id echoed back (the
    operation id sent as Stripe metadata or as WeChat Pay's ``out_order_no``, an order request's idempotency key);
    ``provider_ref`` is *their* id of the object (``pi_…``, a video id, a ``transaction_id``); ``account_ref`` the
    platform account or connected account it concerns. ``details`` holds a few small facts for routing (the
    changed field's name, a campaign id), never the payload.
    """

    source: str = attrs.field(validator=platform_name)
    event_id: str
    kind: NoticeKind
    event_type: str
    received_at: datetime = attrs.field(validator=aware)
    occurred_at: datetime | None = attrs.field(default=None, validator=aware)
    operation_id: str | None = None
    provider_ref: str | None = None
    account_ref: str | None = None
    details: dict[str, str] = attrs.field(factory=dict)


def _acknowledgement(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 200 <= value <= 299:
        raise FieldValueError(
            attribute.name,
            f"must be a success status (200-299), got {value}: a delivery that is refused is an error, not a reply",
        )


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class WebhookReply:
    """What the app answers the sender: a success status, headers and a text body.

    A delivery the plugin refuses (forged, stale, unreadable) is an error the app answers with 4xx, which makes
    the sender retry or give up; a reply is always an acknowledgement.
    """

    status: int = attrs.field(default=200, validator=_acknowledgement)
    headers: dict[str, str] = attrs.field(factory=dict)
    body: str = ""

    @classmethod
    def text(cls, body: str, *, status: int = 200) -> WebhookReply:
        """A plain-text reply (Meta's handshake wants ``hub.challenge`` back as the whole body)."""
        return cls(status=status, headers={"content-type": "text/plain; charset=utf-8"}, body=body)

    @classmethod
    def json(cls, data: Mapping[str, Any], *, status: int = 200) -> WebhookReply:
        """A JSON reply (``{"code": "SUCCESS", "message": "OK"}``, as WeChat Pay's older docs ask for)."""
        body = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
        return cls(status=status, headers={"content-type": "application/json"}, body=body)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class WebhookResult:
    """What a plugin makes of one delivery: its notices, in the order sent, and the reply the sender expects.

    A handshake (Meta's subscription check) has no notices; a batch has several.
    """

    notices: tuple[WebhookNotice, ...] = ()
    reply: WebhookReply = attrs.field(factory=WebhookReply)
