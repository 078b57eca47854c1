"""Contracts: templates, clauses, versions and the signatures over their content hash."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._campaigns import ContentRules, Deliverable
from ._common import FieldValueError, aware, country_code, non_negative, positive, positive_amount, typed_fields

__all__ = [
    "CancellationTerms",
    "Contract",
    "ContractClauses",
    "ContractStatus",
    "ContractTemplate",
    "ContractTimeline",
    "Exclusivity",
    "IpOwner",
    "IpOwnership",
    "MilestoneTrigger",
    "PaymentMilestone",
    "PaymentSchedule",
    "ScheduleKind",
    "Signature",
    "UsageRights",
]


class ScheduleKind(enum.StrEnum):
    PREPAY = "prepay"  # everything into escrow at signing, released on approval
    POSTPAY = "postpay"  # paid after the content is live; nothing held up front
    MILESTONES = "milestones"  # staged: parts released on named events


class MilestoneTrigger(enum.StrEnum):
    ON_SIGNATURE = "on_signature"
    ON_DRAFT_APPROVED = "on_draft_approved"
    ON_PUBLICATION = "on_publication"
    ON_KPI_REPORT = "on_kpi_report"
    ON_DATE = "on_date"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PaymentMilestone:
    label: str
    amount: Money = attrs.field(validator=positive_amount)
    trigger: MilestoneTrigger
    due: datetime | None = attrs.field(default=None, validator=aware)

    def __attrs_post_init__(self) -> None:
        if self.trigger is MilestoneTrigger.ON_DATE and self.due is None:
            raise ValueError("an on_date milestone needs a due date")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PaymentSchedule:
    kind: ScheduleKind
    milestones: tuple[PaymentMilestone, ...] = attrs.field()

    @milestones.validator
    def _not_empty(
        self, attribute: attrs.Attribute[tuple[PaymentMilestone, ...]], value: tuple[PaymentMilestone, ...]
    ) -> None:
        if not value:
            raise ValueError("a payment schedule needs at least one milestone")
        if len({m.amount.currency for m in value}) > 1:
            raise ValueError("all milestones must be in one currency")

    @property
    def total(self) -> Money:
        total = Money(0, self.milestones[0].amount.currency)
        for milestone in self.milestones:
            total = total + milestone.amount
        return total

    @property
    def requires_escrow_before_work(self) -> bool:
        return self.kind is not ScheduleKind.POSTPAY

    def check_total(self, price: Money, field: str = "milestones") -> None:
        """The milestones must add up to ``price`` exactly: a schedule that pays more or less than agreed is wrong.

        ``field`` is the milestones' path in the entity that holds both (``payment.milestones`` in Terms).
        """
        total = self.total
        if total != price:
            raise FieldValueError(field, f"add up to {total}, not the price {price}")


class IpOwner(enum.StrEnum):
    CREATOR = "creator"  # the creator keeps copyright and licenses usage to the brand
    BRAND = "brand"  # copyright is assigned to the brand
    SHARED = "shared"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class IpOwnership:
    owner: IpOwner = IpOwner.CREATOR
    notes: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class UsageRights:
    """How the brand may use the content: where, for how long, and whether as paid ads (Spark Ads, partnership ads)."""

    channels: tuple[str, ...] = ("organic",)
    duration_days: int | None = attrs.field(default=30, validator=non_negative)
    territories: tuple[str, ...] = attrs.field(default=(), validator=country_code)
    paid_ads: bool = False


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Exclusivity:
    category: str
    duration_days: int = attrs.field(validator=positive)
    competitors: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContractTimeline:
    draft_due: datetime = attrs.field(validator=aware)
    publish_by: datetime = attrs.field(validator=aware)
    review_days: int = attrs.field(default=3, validator=positive)
    # A draft the brand leaves unanswered this long is approved (the Kuaishou order platform uses 14 days).
    auto_approve_after_days: int | None = attrs.field(default=14, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CancellationTerms:
    notice_days: int = attrs.field(default=0, validator=non_negative)
    # Share of the price the creator keeps when the brand cancels after signing, in basis points (1/100 %).
    kill_fee_bp: int = attrs.field(default=0, validator=non_negative)
    refund_unreleased_escrow: bool = True
    # The creator's share once a draft has been submitted (work delivered, not yet approved); None: kill_fee_bp.
    kill_fee_after_draft_bp: int | None = attrs.field(default=None)

    @kill_fee_bp.validator
    def _at_most_all(self, attribute: attrs.Attribute[int], value: int) -> None:
        if value > 10_000:
            raise ValueError("kill_fee_bp cannot exceed 10000 (100 %)")

    @kill_fee_after_draft_bp.validator
    def _after_draft_at_most_all(self, attribute: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and not 0 <= value <= 10_000:
            raise FieldValueError(attribute.name, f"must be between 0 and 10000 basis points, got {value}")

    def kill_fee_bp_at(self, *, draft_submitted: bool) -> int:
        """The creator's share of the price when the deal is cancelled, before or after a draft was submitted."""
        if draft_submitted and self.kill_fee_after_draft_bp is not None:
            return self.kill_fee_after_draft_bp
        return self.kill_fee_bp


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContractClauses:
    deliverables: tuple[Deliverable, ...]
    payment: PaymentSchedule
    timeline: ContractTimeline
    content_requirements: ContentRules = ContentRules()
    revision_limit: int = attrs.field(default=2, validator=non_negative)
    ip: IpOwnership = IpOwnership()
    usage_rights: UsageRights = UsageRights()
    exclusivity: Exclusivity | None = None
    cancellation: CancellationTerms = CancellationTerms()
    governing_law: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContractTemplate:
    """A versioned standard contract; ``body`` is the legal text with ``{field}`` placeholders."""

    id: str
    name: str
    version: int = attrs.field(validator=positive)
    body: str
    default_revision_limit: int = attrs.field(default=2, validator=non_negative)
    default_ip: IpOwnership = IpOwnership()
    default_usage_rights: UsageRights = UsageRights()
    default_cancellation: CancellationTerms = CancellationTerms()


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    EXECUTED = "executed"
    SUPERSEDED = "superseded"
    VOID = "void"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Contract:
    """One version of a deal's contract. ``content_hash`` is SHA-256 over its canonical JSON (RFC 8785)."""

    id: str
    deal_id: str
    version: int = attrs.field(validator=positive)
    template_id: str
    template_version: int = attrs.field(validator=positive)
    brand_id: str
    creator_id: str
    price: Money = attrs.field(validator=positive_amount)
    clauses: ContractClauses
    text: str
    created_at: datetime = attrs.field(validator=aware)
    content_hash: str = ""
    status: ContractStatus = ContractStatus.DRAFT
    supersedes: str | None = None

    def __attrs_post_init__(self) -> None:
        # What the contract pays is its schedule: a price the milestones do not add up to is two prices.
        self.clauses.payment.check_total(self.price, "clauses.payment.milestones")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Signature:
    """``signer_id`` signed ``contract_hash`` with Ed25519 for ``party_id`` (a manager signing for a creator)."""

    id: str
    contract_id: str
    contract_hash: str
    signer_id: str
    party_id: str
    public_key: str
    signature: str
    signed_at: datetime = attrs.field(validator=aware)
    algorithm: str = "ed25519"
