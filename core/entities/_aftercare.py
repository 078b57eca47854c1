"""After the campaign: thank-you notes and gifts, feedback from both sides, the relationship, brand events."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._common import FieldValueError, aware, non_negative, positive, typed_fields

__all__ = [
    "Appreciation",
    "AppreciationKind",
    "BrandEvent",
    "CollaborationFeedback",
    "CollaborationSide",
    "EventInvitation",
    "RelationshipSummary",
    "RsvpStatus",
]

#: Ratings run from 1 (poor) to 5 (excellent).
MAX_RATING = 5


class AppreciationKind(enum.StrEnum):
    THANK_YOU_NOTE = "thank_you_note"
    GIFT = "gift"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Appreciation:
    """A thank-you note or a gift a brand sent a creator after a deal, kept against the creator."""

    id: str
    deal_id: str
    brand_id: str
    creator_id: str
    kind: AppreciationKind
    sent_by: str
    sent_at: datetime = attrs.field(validator=aware)
    message: str = ""
    gift_description: str = ""
    gift_value: Money | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind is AppreciationKind.GIFT:
            if not self.gift_description.strip():
                raise FieldValueError("gift_description", "a gift needs a description of what was sent")
            if self.gift_value is not None and self.gift_value.amount <= 0:
                raise FieldValueError("gift_value", "a gift's value must be more than zero")
        else:
            if not self.message.strip():
                raise FieldValueError("message", "a thank-you note needs a message")
            if self.gift_description or self.gift_value is not None:
                raise FieldValueError("gift_value", "a thank-you note carries no gift; record a gift instead")


class CollaborationSide(enum.StrEnum):
    """Which side of a deal speaks: the brand, or the creator (in person or through their manager)."""

    BRAND = "brand"
    CREATOR = "creator"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CollaborationFeedback:
    """One side's verdict on a finished collaboration; each side gives it once per deal."""

    id: str
    deal_id: str
    from_side: CollaborationSide
    #: The brand's or the creator's id; ``submitted_by`` is who typed it (a manager for a creator).
    from_party: str
    about_party: str
    submitted_by: str
    rating: int = attrs.field(validator=positive)
    would_work_again: bool
    submitted_at: datetime = attrs.field(validator=aware)
    comments: str = ""

    def __attrs_post_init__(self) -> None:
        # No field validator expresses "at most 5" yet; the schema states it in its allOf.
        if self.rating > MAX_RATING:
            raise FieldValueError("rating", f"must be between 1 and {MAX_RATING}, got {self.rating}")


def _ends_after_start(instance: BrandEvent, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value < instance.starts_at:
        raise FieldValueError(attribute.name, "must not be before starts_at")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class BrandEvent:
    """A brand's event (a launch, a VIP evening) that creators are invited to.

    ``promotional_agreement`` describes what a guest agrees to do for the brand (post during the event,
    speak on stage), or names the contract template that governs it; accepting the invitation accepts it.
    """

    id: str
    brand_id: str
    name: str
    starts_at: datetime = attrs.field(validator=aware)
    ends_at: datetime = attrs.field(validator=[aware, _ends_after_start])
    created_at: datetime = attrs.field(validator=aware)
    details: str = ""
    location: str = ""
    capacity: int | None = attrs.field(default=None, validator=positive)
    promotional_agreement: str | None = None


class RsvpStatus(enum.StrEnum):
    INVITED = "invited"  # no answer yet
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class EventInvitation:
    """A creator's invitation to a brand event and their answer."""

    id: str
    event_id: str
    brand_id: str
    creator_id: str
    invited_by: str
    invited_at: datetime = attrs.field(validator=aware)
    message: str = ""
    status: RsvpStatus = RsvpStatus.INVITED
    responded_at: datetime | None = attrs.field(default=None, validator=aware)
    responded_by: str | None = None
    #: True once the creator's side accepted the event's promotional agreement together with the invitation.
    agreement_accepted: bool = False


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class RelationshipSummary:
    """What a brand and a creator have done together: deals, how they went, what each side thought.

    ``contracted_value`` sums the agreed prices of the completed deals, one amount per currency (sorted by
    code), so that a relationship in several currencies loses nothing. It is what the deals were contracted
    for, not money that changed hands (payments are not counted here). Ratings are averages over the feedback
    given; ``None`` when there is none. ``brand_would_work_again`` is the brand's latest answer.
    """

    brand_id: str
    creator_id: str
    deals_total: int = attrs.field(validator=non_negative)
    deals_completed: int = attrs.field(validator=non_negative)
    deals_cancelled: int = attrs.field(default=0, validator=non_negative)
    disputes: int = attrs.field(default=0, validator=non_negative)
    first_deal_at: datetime | None = attrs.field(default=None, validator=aware)
    last_completed_at: datetime | None = attrs.field(default=None, validator=aware)
    average_rating_from_brand: float | None = attrs.field(default=None, validator=positive)
    ratings_from_brand: int = attrs.field(default=0, validator=non_negative)
    average_rating_from_creator: float | None = attrs.field(default=None, validator=positive)
    ratings_from_creator: int = attrs.field(default=0, validator=non_negative)
    brand_would_work_again: bool | None = None
    creator_would_work_again: bool | None = None
    appreciations_sent: int = attrs.field(default=0, validator=non_negative)
    contracted_value: tuple[Money, ...] = ()
