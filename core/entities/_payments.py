"""Money records: fee splits, escrow, payouts and the double-entry ledger."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._common import FieldValueError, aware, non_negative, platform_name, typed_fields

__all__ = [
    "Escrow",
    "EscrowMilestone",
    "EscrowStatus",
    "FeeBreakdown",
    "LedgerEntry",
    "LedgerEntryStatus",
    "Payout",
    "PayoutStatus",
    "Posting",
]


def _basis_points(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 10_000:
        raise ValueError(f"{attribute.name} must be between 0 and 10000 basis points")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FeeBreakdown:
    """How a gross amount splits: platform commission + agency cut + creator net = gross, to the minor unit."""

    gross: Money
    platform_fee: Money
    agency_cut: Money
    creator_net: Money
    platform_fee_bp: int = attrs.field(validator=_basis_points)
    agency_cut_bp: int = attrs.field(validator=_basis_points)

    def __attrs_post_init__(self) -> None:
        for name in ("gross", "platform_fee", "agency_cut", "creator_net"):
            if getattr(self, name).amount < 0:
                raise FieldValueError(name, "must not be negative")
        parts = self.platform_fee + self.agency_cut + self.creator_net
        if parts != self.gross:
            raise ValueError(f"fee parts add up to {parts}, not the gross {self.gross}")
        if self.platform_fee_bp + self.agency_cut_bp > 10_000:
            raise ValueError("platform fee and agency cut together exceed 100 % of the gross")


class EscrowStatus(enum.StrEnum):
    PENDING = "pending"
    HELD = "held"
    PARTIALLY_RELEASED = "partially_released"
    RELEASED = "released"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class EscrowMilestone:
    label: str
    amount: Money
    released: bool = False
    released_at: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Escrow:
    id: str
    deal_id: str
    provider: str = attrs.field(validator=platform_name)
    amount: Money
    status: EscrowStatus
    operation_id: str
    created_at: datetime = attrs.field(validator=aware)
    milestones: tuple[EscrowMilestone, ...] = ()
    released: Money | None = None
    refunded: Money | None = None
    provider_ref: str | None = None


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REVERSED = "reversed"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Payout:
    id: str
    deal_id: str
    payee_id: str
    amount: Money
    fees: FeeBreakdown
    provider: str = attrs.field(validator=platform_name)
    operation_id: str
    status: PayoutStatus
    created_at: datetime = attrs.field(validator=aware)
    provider_ref: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Posting:
    """One leg of a journal entry: a signed amount on an account (debits positive, credits negative)."""

    account: str
    amount: Money


class LedgerEntryStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


def _balanced(
    instance: LedgerEntry, attribute: attrs.Attribute[tuple[Posting, ...]], value: tuple[Posting, ...]
) -> None:
    if len(value) < 2:
        raise ValueError("a journal entry needs at least two postings")
    totals: dict[str, int] = {}
    for posting in value:
        totals[posting.amount.currency] = totals.get(posting.amount.currency, 0) + posting.amount.amount
    unbalanced = {code: total for code, total in totals.items() if total != 0}
    if unbalanced:
        raise ValueError(f"postings do not balance per currency: {unbalanced}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LedgerEntry:
    """A balanced journal entry; ``operation_id`` ties it to the provider call (and its idempotency key)."""

    id: str
    operation_id: str
    postings: tuple[Posting, ...] = attrs.field(validator=_balanced)
    status: LedgerEntryStatus
    created_at: datetime = attrs.field(validator=aware)
    memo: str = ""
    sequence: int | None = attrs.field(default=None, validator=non_negative)
