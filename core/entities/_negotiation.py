"""Offers and counter-offers: the terms under negotiation and who must answer by when."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._campaigns import Deliverable
from ._common import aware, non_negative, positive_amount, typed_fields
from ._contracts import PaymentSchedule

__all__ = ["Offer", "OfferStatus", "Terms"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Terms:
    """What is being agreed: price, deliverables, payment terms and dates."""

    price: Money = attrs.field(validator=positive_amount)
    deliverables: tuple[Deliverable, ...]
    payment: PaymentSchedule
    publish_by: datetime | None = attrs.field(default=None, validator=aware)
    revision_limit: int = attrs.field(default=2, validator=non_negative)
    usage_rights_days: int | None = attrs.field(default=None, validator=non_negative)
    exclusivity_days: int | None = attrs.field(default=None, validator=non_negative)

    def __attrs_post_init__(self) -> None:
        self.payment.check_total(self.price, "payment.milestones")


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Offer:
    """Terms proposed by ``from_party`` to ``to_party``; a counter-offer names the offer it answers."""

    id: str
    deal_id: str
    from_party: str
    to_party: str
    terms: Terms
    created_at: datetime = attrs.field(validator=aware)
    respond_by: datetime = attrs.field(validator=aware)
    status: OfferStatus = OfferStatus.OPEN
    counter_to: str | None = None
    note: str = ""
