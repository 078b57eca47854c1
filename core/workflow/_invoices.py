"""``kit.payments.invoice`` and ``invoices``: what a deal's money did, as an invoice its parties can file.

An invoice is computed from what moved, never stored: its lines are the deal's succeeded movements (each line names
the :class:`~creatorkit.entities.PaymentOperation` and the ledger entries it comes from), so it cannot disagree
with the ledger, and asking again gives the same document. Its number is derived from what it covers (the deal,
the period, the movements), so the same invoice always carries the same number and one covering another movement
carries another.

The brand's side lists what the brand paid and got back: the price paid into escrow (``gross``), the brand-side
service and per-project fees on top (``service_fee``), the brand's annual fee on the invoice of the deal whose fund
billed it (``annual_fee``, owed outside escrow) and refunds (``refund``, negative). The creator's side lists
what left escrow for the creator: each release, kill fee or settlement share (its gross), less the platform's
commission and the agency's cut (negative), adding up to the creator's net. Every amount is an integer in the
deal's currency's minor unit; the totals are sums of the lines, so they add up to the last unit.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import attrs

from .._service import Service
from ..entities import (
    Actor,
    Agency,
    Brand,
    CampaignBrief,
    Contract,
    CreatorProfile,
    Deal,
    LedgerAccountKind,
    LedgerEntry,
    LegRole,
    PartyKind,
    PaymentOperation,
    PaymentOperationStatus,
    PaymentPurpose,
)
from ..errors import PermissionDenied, Problem, ValidationError
from ..ledger import account_id
from ..money import Money
from ..parties._access import can_see_deal, on_creator_side
from ._reconcile import operation_of_entry

if TYPE_CHECKING:
    from .._change import View

__all__ = [
    "Invoice",
    "InvoiceLine",
    "InvoiceLineKind",
    "InvoiceParty",
    "InvoicePartyRole",
    "InvoiceService",
    "InvoiceSide",
    "InvoiceTotals",
]

_KIND = "payment_operation"
_PLATFORM_ID = "platform"


class InvoiceSide(enum.StrEnum):
    """Whose statement a line belongs to: what the brand paid, or what the creator was paid."""

    BRAND = "brand"
    CREATOR = "creator"


class InvoiceLineKind(enum.StrEnum):
    GROSS = "gross"  # the price (or a milestone of it) the brand paid into escrow
    SERVICE_FEE = "service_fee"  # the platform's brand-side service and per-project fees, on top of the gross
    ANNUAL_FEE = "annual_fee"  # the brand's annual fee, billed with its first funded deal of the year (owed)
    REFUND = "refund"  # what escrow gave back to the brand (negative)
    RELEASE = "release"  # a milestone released to the creator's side (its gross)
    KILL_FEE = "kill_fee"  # what the creator keeps of a cancelled deal (its gross)
    SETTLEMENT = "settlement"  # the creator's share of a dispute's settlement (its gross)
    PLATFORM_FEE = "platform_fee"  # the platform's commission, deducted from the gross (negative)
    AGENCY_CUT = "agency_cut"  # the agency's cut, deducted from the gross (negative)


class InvoicePartyRole(enum.StrEnum):
    BRAND = "brand"
    CREATOR = "creator"
    AGENCY = "agency"
    PLATFORM = "platform"


@attrs.frozen(kw_only=True)
class InvoiceParty:
    role: InvoicePartyRole
    id: str
    name: str
    legal_name: str = ""
    country: str | None = None


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line: signed ``amount`` (deductions and refunds negative), the movement and ledger entries behind it."""

    side: InvoiceSide
    kind: InvoiceLineKind
    description: str
    amount: Money
    on: date
    operation_id: str
    ledger_entries: tuple[str, ...]
    milestone: int | None = None


@attrs.frozen(kw_only=True)
class InvoiceTotals:
    """Sums of the lines, in minor units: ``brand_net`` is the brand side's total, ``creator_net`` the creator's.

    ``released = platform_fees + agency_cut + creator_net``; ``escrow_change`` is what escrow gained over the
    invoice's movements (``gross - released - refunded``; for a whole deal, what it still holds).
    """

    gross: Money
    service_fees: Money
    refunded: Money
    brand_net: Money
    released: Money
    platform_fees: Money
    agency_cut: Money
    creator_net: Money
    platform_revenue: Money
    escrow_change: Money


@attrs.frozen(kw_only=True)
class Invoice:
    """A deal's money over a period (or all of it): parties, lines, totals, and the number that identifies it."""

    number: str
    issued_on: date
    deal_id: str
    campaign: str
    currency: str
    parties: tuple[InvoiceParty, ...]
    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals
    period_start: date | None = None
    period_end: date | None = None

    def party(self, role: InvoicePartyRole) -> InvoiceParty | None:
        return next((p for p in self.parties if p.role is role), None)

    def side(self, side: InvoiceSide) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in self.lines if line.side is side)


class InvoiceService(Service):
    """Builds invoices for :meth:`PaymentsService.invoice` and :meth:`PaymentsService.invoices`."""

    def invoice(self, actor: Actor, deal_id: str) -> Invoice:
        """Every movement of the deal so far; whoever may read the deal's money may read it."""

        def work(view: View) -> Invoice:
            from ._machine import load_deal

            deal, _ = load_deal(view, actor, deal_id)
            invoice = _build(view, deal, None, None)
            if invoice is None:
                raise ValidationError([Problem("deal_id", f"no money of deal {deal_id} has moved yet")], "invoice")
            return invoice

        return self._read(actor, work, "read_payments")

    def invoices(self, actor: Actor, party_id: str, start: date, end: date) -> list[Invoice]:
        """The invoices of a brand's, creator's or agency's deals for the movements from ``start`` to ``end``
        (both days included, UTC), one per deal, oldest deal first.

        The system, the party itself, and (for a creator) their manager or agency may ask.
        """
        _check_period(start, end)

        def work(view: View) -> list[Invoice]:
            role = _role_of(view, party_id)
            _may_invoice(view, actor, role, party_id)
            deals = _deals_of(view, role, party_id)
            found = [_build(view, deal, start, end) for deal in deals if can_see_deal(view, actor, deal)]
            return [invoice for invoice in found if invoice is not None]

        return self._read(actor, work, "read_payments")


def _check_period(start: object, end: object) -> None:
    problems = [
        Problem(name, f"must be a date, got {type(value).__name__}")
        for name, value in (("start", start), ("end", end))
        if not isinstance(value, date) or isinstance(value, datetime)
    ]
    if not problems and end < start:  # type: ignore[operator]
        problems.append(Problem("end", f"{end} is before the start {start}"))
    if problems:
        raise ValidationError(problems, "invoice period")


def _role_of(view: View, party_id: str) -> InvoicePartyRole:
    for kind, role in (
        ("brand", InvoicePartyRole.BRAND),
        ("creator", InvoicePartyRole.CREATOR),
        ("agency", InvoicePartyRole.AGENCY),
    ):
        if view.get(kind, party_id) is not None:
            return role
    raise ValidationError([Problem("party_id", f"{party_id!r} is no registered brand, creator or agency")], "invoices")


def _may_invoice(view: View, actor: Actor, role: InvoicePartyRole, party_id: str) -> None:
    if actor.kind is PartyKind.SYSTEM or (actor.id == party_id and str(actor.kind) == str(role)):
        return
    if role is InvoicePartyRole.CREATOR and on_creator_side(view, actor, party_id):
        return
    raise PermissionDenied(str(actor), "read_invoices", f"only the system or {role} {party_id} itself (or its side)")


def _deals_of(view: View, role: InvoicePartyRole, party_id: str) -> list[Deal]:
    operations = view.find(_KIND, PaymentOperation)
    if role is InvoicePartyRole.BRAND:
        ids = {op.deal_id for op in operations if op.brand_id == party_id}
    elif role is InvoicePartyRole.CREATOR:
        ids = {op.deal_id for op in operations if op.creator_id == party_id}
    else:
        ids = {
            op.deal_id
            for op in operations
            if any(leg.role is LegRole.AGENCY and leg.party_id == party_id for leg in op.request.legs)
        }
    deals = [view.load("deal", deal_id, Deal) for deal_id in ids]
    return sorted(deals, key=lambda deal: (deal.created_at, deal.id))


# --- building ----------------------------------------------------------------------------------------------------


def _build(view: View, deal: Deal, start: date | None, end: date | None) -> Invoice | None:
    """The deal's invoice over the movements that succeeded from ``start`` to ``end`` (all when None); None if none."""
    low = None if start is None else datetime.combine(start, time(0), tzinfo=UTC)
    high = None if end is None else datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    operations = sorted(
        (
            op
            for op in view.find(_KIND, PaymentOperation, parent=deal.id)
            if op.status is PaymentOperationStatus.SUCCEEDED
            and (low is None or op.updated_at >= low)
            and (high is None or op.updated_at < high)
        ),
        key=lambda op: (op.updated_at, op.id),
    )
    if not operations:
        return None
    entries: dict[str, list[LedgerEntry]] = {}
    for entry in view.ledger.ledger_entries(deal_id=deal.id):
        entries.setdefault(operation_of_entry(entry), []).append(entry)
    contract = None if deal.contract_id is None else view.load("contract", deal.contract_id, Contract)
    labels = () if contract is None else tuple(m.label for m in contract.clauses.payment.milestones)
    lines = [
        line
        for op in operations
        for line in _lines(op, tuple(e.id for e in entries.get(op.id, ())), labels, _agency_name(view, op))
    ]
    currency = operations[0].request.amount.currency
    lines.extend(_annual_fee_lines(entries, deal.brand_id, currency, low, high))
    scope = {"deal": deal.id, "from": None if start is None else str(start), "to": None if end is None else str(end)}
    issued_on = operations[-1].updated_at.astimezone(UTC).date()
    return Invoice(
        number=_number(scope, [op.id for op in operations], issued_on),
        issued_on=issued_on,
        deal_id=deal.id,
        campaign=view.load("brief", deal.brief_id, CampaignBrief).name,
        currency=currency,
        parties=_parties(view, deal, operations),
        lines=tuple(lines),
        totals=_totals(lines, currency),
        period_start=start,
        period_end=end,
    )


def _number(scope: dict[str, str | None], operation_ids: Sequence[str], issued_on: date) -> str:
    """``INV-<issue date>-<digest>``: the same scope and movements always give the same number."""
    digest = hashlib.sha256(json.dumps([scope, sorted(operation_ids)], sort_keys=True).encode()).hexdigest()
    return f"INV-{issued_on:%Y%m%d}-{digest[:10].upper()}"


def _agency_name(view: View, operation: PaymentOperation) -> InvoiceParty | None:
    for leg in operation.request.legs:
        if leg.role is LegRole.AGENCY:
            record = view.get("agency", leg.party_id)
            name = leg.party_id if record is None else view.entity(record, Agency).name
            return InvoiceParty(role=InvoicePartyRole.AGENCY, id=leg.party_id, name=name)
    return None


def _parties(view: View, deal: Deal, operations: Sequence[PaymentOperation]) -> tuple[InvoiceParty, ...]:
    brand = view.load("brand", deal.brand_id, Brand)
    creator = view.load("creator", deal.creator_id, CreatorProfile)
    parties = [
        InvoiceParty(
            role=InvoicePartyRole.BRAND,
            id=brand.id,
            name=brand.name,
            legal_name=brand.legal_name,
            country=brand.country,
        ),
        InvoiceParty(role=InvoicePartyRole.CREATOR, id=creator.id, name=creator.display_name, country=creator.country),
    ]
    agencies = {party.id: party for op in operations if (party := _agency_name(view, op)) is not None}
    parties.extend(agencies[key] for key in sorted(agencies))
    parties.append(InvoiceParty(role=InvoicePartyRole.PLATFORM, id=_PLATFORM_ID, name="the platform"))
    return tuple(parties)


def _percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d} %"


def _milestone_name(operation: PaymentOperation, labels: Sequence[str]) -> str:
    index = operation.milestone
    if index is None or index >= len(labels):
        return "the agreed price"
    return f"milestone {index + 1} ({labels[index]})"


def _lines(
    operation: PaymentOperation, entry_ids: tuple[str, ...], labels: Sequence[str], agency: InvoiceParty | None
) -> list[InvoiceLine]:
    """The lines one succeeded movement makes: a fund's gross and fees, a refund, or a payout's gross and
    deductions."""
    request = operation.request
    currency = request.amount.currency
    on = operation.updated_at.astimezone(UTC).date()

    def line(side: InvoiceSide, kind: InvoiceLineKind, description: str, amount: int) -> InvoiceLine:
        return InvoiceLine(
            side=side,
            kind=kind,
            description=description,
            amount=Money(amount, currency),
            on=on,
            operation_id=operation.id,
            ledger_entries=entry_ids,
            milestone=operation.milestone,
        )

    escrow = int(request.metadata.get("escrow", request.amount.amount))
    if operation.purpose is PaymentPurpose.FUND:
        found = [line(InvoiceSide.BRAND, InvoiceLineKind.GROSS, f"{_milestone_name(operation, labels)}", escrow)]
        if request.amount.amount > escrow:
            fee = request.amount.amount - escrow
            found.append(line(InvoiceSide.BRAND, InvoiceLineKind.SERVICE_FEE, "service and project fees", fee))
        return found
    if operation.purpose is PaymentPurpose.REFUND:
        return [line(InvoiceSide.BRAND, InvoiceLineKind.REFUND, "refunded from escrow", -escrow)]
    fees = operation.fees
    if fees is None:
        return []
    kind, what = {
        PaymentPurpose.RELEASE: (InvoiceLineKind.RELEASE, f"{_milestone_name(operation, labels)} released"),
        PaymentPurpose.KILL_FEE: (InvoiceLineKind.KILL_FEE, "kill fee of the cancelled deal"),
        PaymentPurpose.SETTLEMENT: (InvoiceLineKind.SETTLEMENT, "share of the dispute's settlement"),
    }[operation.purpose]
    found = [line(InvoiceSide.CREATOR, kind, what, fees.gross.amount)]
    if fees.platform_fee.amount:
        commission = f"platform commission ({_percent(fees.platform_fee_bp)})"
        found.append(line(InvoiceSide.CREATOR, InvoiceLineKind.PLATFORM_FEE, commission, -fees.platform_fee.amount))
    if fees.agency_cut.amount:
        to = f" to {agency.name}" if agency is not None else ""
        cut = f"agency cut ({_percent(fees.agency_cut_bp)}){to}"
        found.append(line(InvoiceSide.CREATOR, InvoiceLineKind.AGENCY_CUT, cut, -fees.agency_cut.amount))
    return found


def _annual_fee_lines(
    entries: dict[str, list[LedgerEntry]], brand_id: str, currency: str, low: datetime | None, high: datetime | None
) -> list[InvoiceLine]:
    """The brand's annual fee, on the invoice of the deal whose fund billed it (the entry names that deal).

    It is owed, not paid through escrow: the line is in the brand's total and the platform's revenue, not in
    what escrow holds.
    """
    lines = []
    for operation_id, found in sorted(entries.items()):
        if not operation_id.startswith("annual-"):
            continue
        for entry in found:
            if (low is not None and entry.created_at < low) or (high is not None and entry.created_at >= high):
                continue
            account = account_id(LedgerAccountKind.BRAND_FUNDING, currency, holder=brand_id)
            owed = sum(
                p.amount.amount for p in entry.postings if p.account == account and p.amount.currency == currency
            )
            if owed <= 0:
                continue
            lines.append(
                InvoiceLine(
                    side=InvoiceSide.BRAND,
                    kind=InvoiceLineKind.ANNUAL_FEE,
                    description=entry.memo or "annual fee",
                    amount=Money(owed, currency),
                    on=entry.created_at.astimezone(UTC).date(),
                    operation_id=operation_id,
                    ledger_entries=(entry.id,),
                )
            )
    return lines


def _totals(lines: Sequence[InvoiceLine], currency: str) -> InvoiceTotals:
    def total(*kinds: InvoiceLineKind) -> Money:
        return Money(sum(line.amount.amount for line in lines if line.kind in kinds), currency)

    gross = total(InvoiceLineKind.GROSS)
    service = total(InvoiceLineKind.SERVICE_FEE, InvoiceLineKind.ANNUAL_FEE)
    refunded = -total(InvoiceLineKind.REFUND)
    released = total(InvoiceLineKind.RELEASE, InvoiceLineKind.KILL_FEE, InvoiceLineKind.SETTLEMENT)
    platform = -total(InvoiceLineKind.PLATFORM_FEE)
    agency = -total(InvoiceLineKind.AGENCY_CUT)
    return InvoiceTotals(
        gross=gross,
        service_fees=service,
        refunded=refunded,
        brand_net=Money(sum(line.amount.amount for line in lines if line.side is InvoiceSide.BRAND), currency),
        released=released,
        platform_fees=platform,
        agency_cut=agency,
        creator_net=Money(sum(line.amount.amount for line in lines if line.side is InvoiceSide.CREATOR), currency),
        platform_revenue=service + platform,
        escrow_change=gross - released - refunded,
    )
