"""A deal: one creator, one brief, from invitation to completion; and the disputes a deal can end in."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._common import aware, non_negative, platform_name, positive, typed_fields
from ._negotiation import Terms

__all__ = ["Awaiting", "Deal", "DealState", "Dispute", "DisputeStatus"]


class DealState(enum.StrEnum):
    INVITED = "invited"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    CONTRACT_SENT = "contract_sent"
    EXECUTED = "executed"
    IN_PRODUCTION = "in_production"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


class Awaiting(enum.StrEnum):
    """Whose move a deal is waiting for."""

    BRAND = "brand"
    CREATOR = "creator"
    EITHER = "either"  # either side may move next (propose terms, sign)
    SYSTEM = "system"  # deadlines, the payments flow, the arbiter


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Deal:
    """The current state of one partnership; its history lives in the audit trail and its own records."""

    id: str
    brief_id: str
    brand_id: str
    creator_id: str
    platform: str = attrs.field(validator=platform_name)
    state: DealState
    created_at: datetime = attrs.field(validator=aware)
    updated_at: datetime = attrs.field(validator=aware)
    # Every waiting state has one: past it, the deal expires (or follows its configured rule).
    deadline: datetime | None = attrs.field(default=None, validator=aware)
    awaiting: Awaiting | None = None
    manager_id: str | None = None
    agency_id: str | None = None
    terms: Terms | None = None
    price: Money | None = None
    contract_id: str | None = None
    revisions_used: int = attrs.field(default=0, validator=non_negative)
    version: int = attrs.field(default=1, validator=positive)
    state_before_dispute: DealState | None = None


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED_FOR_BRAND = "resolved_for_brand"
    RESOLVED_FOR_CREATOR = "resolved_for_creator"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Dispute:
    id: str
    deal_id: str
    opened_by: str
    reason: str
    opened_at: datetime = attrs.field(validator=aware)
    status: DisputeStatus = DisputeStatus.OPEN
    resolution: str = ""
    resolved_at: datetime | None = attrs.field(default=None, validator=aware)
