"""Money records: fee splits, escrow, payouts and the double-entry ledger."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._common import FieldValueError, aware, non_negative, non_negative_amount, platform_name, typed_fields
from ._providers import LegRole, OperationKind, ProviderRequest, _iso_currency, _not_blank, _operation_id

__all__ = [
    "Escrow",
    "EscrowMilestone",
    "EscrowStatus",
    "FeeBreakdown",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerBalance",
    "LedgerEntry",
    "LedgerEntryKind",
    "LedgerEntryStatus",
    "NormalBalance",
    "PayeeKind",
    "PaymentOperation",
    "PaymentOperationStatus",
    "PaymentPurpose",
    "Payout",
    "PayoutAccount",
    "PayoutStatus",
    "Posting",
    "Settlement",
]


def _basis_points(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 10_000:
        raise ValueError(f"{attribute.name} must be between 0 and 10000 basis points")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FeeBreakdown:
    """How a gross amount splits: platform commission + agency cut + creator net = gross, to the minor unit.

    ``service_fee`` is a brand-side fee the platform charges on top of the gross (the brand pays
    :attr:`brand_pays`); a creator-side commission is ``platform_fee``, deducted from the gross. Either may be
    zero. ``fee_policy`` names the commission policy that priced it.
    """

    gross: Money
    platform_fee: Money
    agency_cut: Money
    creator_net: Money
    platform_fee_bp: int = attrs.field(validator=_basis_points)
    agency_cut_bp: int = attrs.field(validator=_basis_points)
    service_fee: Money | None = None
    fee_policy: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("gross", "platform_fee", "agency_cut", "creator_net", "service_fee"):
            money = getattr(self, name)
            if money is not None and money.amount < 0:
                raise FieldValueError(name, "must not be negative")
        parts = self.platform_fee + self.agency_cut + self.creator_net
        if parts != self.gross:
            raise ValueError(f"fee parts add up to {parts}, not the gross {self.gross}")
        if self.service_fee is not None and self.service_fee.currency != self.gross.currency:
            raise FieldValueError(
                "service_fee", f"is in {self.service_fee.currency}, the gross in {self.gross.currency}"
            )
        if self.platform_fee_bp + self.agency_cut_bp > 10_000:
            raise ValueError("platform fee and agency cut together exceed 100 % of the gross")

    @property
    def brand_pays(self) -> Money:
        """What the brand is charged: the gross, plus the service fee on top."""
        return self.gross if self.service_fee is None else self.gross + self.service_fee

    @property
    def platform_revenue(self) -> Money:
        """What the platform keeps: its commission and the brand's service fee."""
        return self.platform_fee if self.service_fee is None else self.platform_fee + self.service_fee


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


class LedgerAccountKind(enum.StrEnum):
    """What an account holds; its rules (normal side, whether it may go negative, whose it is) follow the kind."""

    BRAND_FUNDING = "brand_funding"
    DEAL_ESCROW = "deal_escrow"
    PLATFORM_FEES = "platform_fees"
    AGENCY_SHARE = "agency_share"
    CREATOR_PAYABLE = "creator_payable"
    PROVIDER_CLEARING = "provider_clearing"
    FUND_ESCROW = "fund_escrow"


class NormalBalance(enum.StrEnum):
    """The side that increases an account: debits for what the platform has, credits for what it owes."""

    DEBIT = "debit"
    CREDIT = "credit"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LedgerAccount:
    """One account of the ledger, in one currency; its id is ``<kind>:<deal or holder>:<currency>``.

    ``holder`` is whose money it is (a brand, agency or creator id, a provider's name); ``deal_id`` the deal an
    escrow account holds money for. ``may_go_negative`` is false where money cannot be owed (escrow, payables,
    fees): the store refuses any movement that would take such an account's available balance below zero.
    """

    id: str
    kind: LedgerAccountKind
    currency: str = attrs.field(validator=_iso_currency)
    normal_balance: NormalBalance
    may_go_negative: bool
    opened_at: datetime = attrs.field(validator=aware)
    holder: str | None = None
    deal_id: str | None = None


def _balance_adds_up(instance: LedgerBalance) -> None:
    parts = (instance.posted, instance.pending_in, instance.pending_out, instance.available)
    if len({money.currency for money in parts}) != 1:
        raise ValueError("a balance is in one currency")
    if instance.available != instance.posted - instance.pending_out:
        raise ValueError(f"available {instance.available} is not posted {instance.posted} less {instance.pending_out}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LedgerBalance:
    """An account's balance on its normal side: what is posted, what pending entries would add or take away.

    ``available`` is ``posted`` less ``pending_out``: what a pending entry has reserved cannot be spent twice.
    """

    account_id: str
    posted: Money
    pending_in: Money = attrs.field(validator=non_negative_amount)
    pending_out: Money = attrs.field(validator=non_negative_amount)
    available: Money

    def __attrs_post_init__(self) -> None:
        _balance_adds_up(self)


class LedgerEntryKind(enum.StrEnum):
    """What an entry does: ``transfer``, ``post`` and ``correction`` move posted balances; ``pending`` reserves
    its amounts and ``void`` releases them."""

    TRANSFER = "transfer"
    PENDING = "pending"
    POST = "post"
    VOID = "void"
    CORRECTION = "correction"


class LedgerEntryStatus(enum.StrEnum):
    """Where a pending entry stands: still pending, posted (wholly or in part) or voided."""

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


#: The link each kind of entry carries: a post or void names the pending entry it resolves, a correction the
#: entry it reverses; the others link to nothing.
_LINKS = {
    LedgerEntryKind.TRANSFER: None,
    LedgerEntryKind.PENDING: None,
    LedgerEntryKind.POST: "resolves",
    LedgerEntryKind.VOID: "resolves",
    LedgerEntryKind.CORRECTION: "corrects",
}


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LedgerEntry:
    """A balanced journal entry, never changed once written; ``operation_id`` is its idempotency key.

    ``resolves`` links a post or void to its pending entry, ``corrects`` a correction to the entry it reverses.
    The postings of a pending entry are what it reserves, those of a void what it releases; the others' move
    posted balances.
    """

    id: str
    operation_id: str = attrs.field(validator=_operation_id)
    kind: LedgerEntryKind
    postings: tuple[Posting, ...] = attrs.field(validator=_balanced)
    created_at: datetime = attrs.field(validator=aware)
    deal_id: str | None = None
    resolves: str | None = None
    corrects: str | None = None
    memo: str = ""
    sequence: int | None = attrs.field(default=None, validator=non_negative)

    def __attrs_post_init__(self) -> None:
        link = _LINKS[self.kind]
        for name in ("resolves", "corrects"):
            if (getattr(self, name) is not None) != (name == link):
                needs = "needs" if name == link else "has no"
                raise FieldValueError(name, f"a {self.kind} entry {needs} {name}")


class PaymentPurpose(enum.StrEnum):
    """Why the payments flow moves a deal's money: the schedule's step the movement is."""

    FUND = "fund"  # the brand's money into the deal's escrow (the whole schedule, or one postpaid milestone)
    RELEASE = "release"  # a milestone out of escrow: platform fee, agency cut, creator net
    KILL_FEE = "kill_fee"  # what the creator keeps of a cancelled deal, by its cancellation terms
    SETTLEMENT = "settlement"  # the creator's share of a dispute's split
    REFUND = "refund"  # what escrow still holds back to the brand


class PaymentOperationStatus(enum.StrEnum):
    """Where one money movement stands, in the core's own record of it.

    ``started`` is written before the provider is called; a movement found ``started`` after a crash or a timeout
    is asked again (same operation id) or retrieved, never made anew. ``succeeded`` is set in the transaction
    that writes its ledger entries; ``failed`` movements moved nothing, and a new attempt gets a new id.
    """

    STARTED = "started"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def open(self) -> bool:
        return self in (PaymentOperationStatus.STARTED, PaymentOperationStatus.PENDING)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PaymentOperation:
    """The core's record of one money movement of a deal: stored before the provider is called, and after.

    ``id`` is the operation id, also the provider's idempotency key. ``request`` is what the provider was
    asked, compared field by field with a retry. ``fees`` is the split of a release, kill fee or settlement;
    ``milestone`` the index of the schedule's milestone it pays or funds (None for the whole schedule).
    ``hold_expires_at`` is, for a fund, when the provider stops holding the money (its answer, or the hold asked
    for): before then the deadline run refunds what the fund still holds (``docs/payments.md``).
    """

    id: str = attrs.field(validator=_operation_id)
    deal_id: str
    brand_id: str
    creator_id: str
    provider: str = attrs.field(validator=platform_name)
    purpose: PaymentPurpose
    request: ProviderRequest
    status: PaymentOperationStatus
    created_at: datetime = attrs.field(validator=aware)
    updated_at: datetime = attrs.field(validator=aware)
    attempt: int = attrs.field(default=1, validator=non_negative)
    milestone: int | None = attrs.field(default=None, validator=non_negative)
    fees: FeeBreakdown | None = None
    provider_ref: str | None = None
    raw_status: str | None = None
    failure_reason: str | None = None
    hold_expires_at: datetime | None = attrs.field(default=None, validator=aware)
    #: The receivers a ``failed`` movement paid all the same (the provider's ``partially_succeeded``): their money
    #: left, so the movement is never tried again as a whole (``kit.payments.retry`` refuses it).
    paid_legs: tuple[LegRole, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.request.operation_id != self.id:
            raise FieldValueError(
                "request.operation_id", f"is {self.request.operation_id!r}, the operation {self.id!r}"
            )

    @property
    def kind(self) -> OperationKind:
        return self.request.kind

    @property
    def amount(self) -> Money:
        """What the brand's side of the ledger moves: a fund's charge, a release's milestone, a refund."""
        if self.fees is not None:
            return self.fees.gross
        return self.request.amount


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Settlement:
    """How a dispute's arbiter splits what a deal's escrow still holds: ``creator_share`` to the creator (fees
    deducted as for any release), the rest back to the brand. Recorded before the dispute is resolved."""

    id: str
    deal_id: str
    dispute_id: str
    creator_share: Money = attrs.field(validator=non_negative_amount)
    decided_by: str
    decided_at: datetime = attrs.field(validator=aware)
    reason: str = ""


class PayeeKind(enum.StrEnum):
    """Whom a payout account pays: a creator (their net of a release) or an agency (its cut)."""

    CREATOR = "creator"
    AGENCY = "agency"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PayoutAccount:
    """Where a creator or an agency is paid at one payment provider, in the provider's own terms.

    ``account_ref`` is what the provider calls the receiver: a Stripe connected account (``acct_...``), a WeChat
    Pay receiver's openid or merchant number. ``account_kind`` is passed on to the provider with each receiver leg
    when it must be told what ``account_ref`` is (WeChat's receiver type); ``label`` and ``currency`` are for
    people (which bank account, what it pays out in).

    A party has at most one active account per provider. Registering another makes the one before inactive
    (``deactivated_at``, ``replaced_by``) and keeps it, so where a party's money went stays on record.
    """

    id: str
    party_id: str
    party_kind: PayeeKind
    provider: str = attrs.field(validator=platform_name)
    account_ref: str = attrs.field(validator=_not_blank)
    registered_by: str
    registered_at: datetime = attrs.field(validator=aware)
    active: bool = True
    label: str | None = None
    currency: str | None = attrs.field(default=None, validator=_iso_currency)
    account_kind: str | None = None
    deactivated_at: datetime | None = attrs.field(default=None, validator=aware)
    deactivated_by: str | None = None
    replaced_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.active and self.deactivated_at is not None:
            raise FieldValueError("deactivated_at", "an active account has not been deactivated")
        if not self.active and self.deactivated_at is None:
            raise FieldValueError("deactivated_at", "an inactive account says when it was deactivated")
