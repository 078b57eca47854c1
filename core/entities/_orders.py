"""Platform orders: an agreed collaboration placed on a platform's marketplace, and the core's record of doing so.

A **request** (:class:`PlatformOrderRequest`) carries an idempotency key, the brand's connection, the creators'
handles and typed deliverables. The platform's **reply** (:class:`OrderPlacement`) holds one
:class:`PlatformOrder` per creator it placed and a :class:`FailedHandle` for each one it did not, with why.
Before the platform is called the core stores an :class:`OrderIntent` (the request, with its key) in its own
transaction, so that a crash between the platform's answer and the core's record of it is retried with the same
key and never places the order twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ..money import Money
from ._common import FieldValueError, aware, platform_name, positive, positive_amount, typed_fields
from ._creators import DeliverableType

__all__ = [
    "FailedHandle",
    "OrderDeliverable",
    "OrderIntent",
    "OrderIntentStatus",
    "OrderPlacement",
    "OrderStatus",
    "PlatformOrder",
    "PlatformOrderRequest",
]


def _not_empty(instance: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise FieldValueError(attribute.name, "must hold at least one item")


def _distinct(instance: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    # A handle asked for twice would be two orders for one creator, or one order the reply cannot match.
    seen: set[str] = set()
    for item in value:
        if item in seen:
            raise FieldValueError(attribute.name, f"lists {item!r} twice")
        seen.add(item)


def _key_text(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.strip():
        raise FieldValueError(attribute.name, "must not be blank: it is what makes a retried call safe")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class OrderDeliverable:
    """One kind of content the order asks each creator for: what, how many, by when, and its paid-ads use."""

    kind: DeliverableType
    count: int = attrs.field(default=1, validator=positive)
    due: datetime | None = attrs.field(default=None, validator=aware)
    description: str = ""
    #: Days of paid-ads use (Spark Ads, partnership ads) the creator is asked to authorise for each piece;
    #: ``None`` when the deal grants no paid-ads use. A platform that allows only some values (TikTok: 7, 30, 60,
    #: 365) refuses others with ``NotSupported`` rather than round them.
    ad_authorization_days: int | None = attrs.field(default=None, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformOrderRequest:
    """An agreed collaboration to place on the platform's marketplace as an order or campaign (contract v2)."""

    #: Sent to the platform as its idempotency key where it has one; a plugin whose platform has none names the
    #: order or campaign with it and looks it up before placing again (see ``attempt``).
    idempotency_key: str = attrs.field(validator=_key_text)
    deal_id: str
    brand_name: str
    description: str
    creator_handles: tuple[str, ...] = attrs.field(validator=attrs.validators.and_(_not_empty, _distinct))
    deliverables: tuple[OrderDeliverable, ...] = attrs.field(validator=_not_empty)
    #: The brand's connection (its authorised account on the platform) the order is placed through.
    connection_id: str | None = None
    price: Money | None = attrs.field(default=None, validator=positive_amount)
    publish_by: datetime | None = attrs.field(default=None, validator=aware)
    #: 1 for the first call with this key; more when an earlier call's outcome is unknown (a timeout, a crash
    #: before the reply was recorded): the order may already exist.
    attempt: int = attrs.field(default=1, validator=positive)


class OrderStatus(enum.StrEnum):
    """Where an order stands, in the SDK's words; the platform's own word is kept as ``raw_status``.

    A platform status the plugin cannot map is ``pending``: an order is never taken for further along than known.
    """

    PENDING = "pending"  # placed; the creator has not accepted yet
    ACTIVE = "active"  # accepted; the deliverables are under way
    DELIVERED = "delivered"  # every deliverable is in
    DECLINED = "declined"  # the creator turned it down
    CANCELLED = "cancelled"  # withdrawn by the brand or the platform
    EXPIRED = "expired"  # the creator never answered


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformOrder:
    """One creator's order on the platform's marketplace (contract v2: one order per creator)."""

    platform: str = attrs.field(validator=platform_name)
    order_id: str
    deal_id: str
    creator_handle: str
    status: OrderStatus
    #: The platform's own status (or what the plugin read the state from), exactly as the platform put it.
    raw_status: str
    created_at: datetime = attrs.field(validator=aware)
    #: The campaign or campaign code the platform filed the order under (TikTok's ``campaign_code``).
    campaign_ref: str | None = None
    invite_link: str | None = None
    post_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FailedHandle:
    """A creator the platform would not place an order for, and why."""

    handle: str
    reason: str
    #: The platform's own code for the refusal, if it gave one.
    code: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class OrderPlacement:
    """The platform's reply to a :class:`PlatformOrderRequest`: every handle asked for is in ``orders`` or
    ``failed``, once."""

    platform: str = attrs.field(validator=platform_name)
    idempotency_key: str
    deal_id: str
    orders: tuple[PlatformOrder, ...] = ()
    failed: tuple[FailedHandle, ...] = ()
    placed_at: datetime = attrs.field(validator=aware)

    def __attrs_post_init__(self) -> None:
        # One order per creator: a handle both placed and failed, or placed twice, is a reply nobody can act on.
        seen: set[str] = set()
        for field, handles in (
            ("orders", [o.creator_handle for o in self.orders]),
            ("failed", [f.handle for f in self.failed]),
        ):
            for handle in handles:
                if handle in seen:
                    raise FieldValueError(
                        field, f"speak for {handle!r} more than once (one order or failure per creator)"
                    )
                seen.add(handle)

    @property
    def handles(self) -> frozenset[str]:
        """Every handle the reply speaks for, placed or failed."""
        return frozenset(o.creator_handle for o in self.orders) | {f.handle for f in self.failed}


class OrderIntentStatus(enum.StrEnum):
    #: Stored before the platform is called: the platform may or may not hold the order.
    PENDING = "pending"
    #: The platform's reply is recorded and placed at least one order.
    PLACED = "placed"
    #: The platform refused it, or placed no order: nothing exists there, so a new attempt gets a new key.
    REFUSED = "refused"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class OrderIntent:
    """The core's record that it is placing (or placed) a deal's order; written before the platform is called."""

    id: str
    deal_id: str
    platform: str = attrs.field(validator=platform_name)
    #: The request exactly as first sent: a retry sends it again (with a higher ``attempt``), never a rebuilt one.
    request: PlatformOrderRequest
    status: OrderIntentStatus = OrderIntentStatus.PENDING
    #: Calls made with this key so far.
    attempts: int = attrs.field(default=1, validator=positive)
    created_at: datetime = attrs.field(validator=aware)
    updated_at: datetime = attrs.field(validator=aware)
    #: Until when the current call may still be running (its deadline); another call waits until then.
    in_flight_until: datetime | None = attrs.field(default=None, validator=aware)
    placement: OrderPlacement | None = None
    #: What went wrong with the last call, if it failed (the platform's error, without any secret).
    last_error: str | None = None
