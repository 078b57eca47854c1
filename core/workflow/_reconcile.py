"""``kit.payments.reconcile``: the core's record of every money movement held against the provider's and the ledger.

For each stored :class:`~creatorkit.entities.PaymentOperation` of one provider (changed since a moment), the
provider is asked for its own record (``creatorkit_payment_retrieve``) and the two are compared: an operation the
core holds as moved that the provider does not know (``missing_at_provider``), statuses that disagree either way
(``status_mismatch``), amounts and receiver legs that differ (``amount_mismatch``, ``leg_mismatch``). The ledger is
held to the operations too: a succeeded movement without its entries (``ledger_missing``), entries that move other
amounts than the movement says, or any amount for one that did not succeed (``ledger_mismatch``; one the provider
paid in part is held to what its paid legs took out of escrow, see ``paid_in_part``), and entries
that name no movement the core holds (``extra_in_ledger``). An operation the provider could not answer for now
is ``unreadable``, never taken as agreeing.

What the provider holds and the core has no record of at all (``extra_at_provider``: a charge made by hand in
its dashboard, a transfer another program sent) is found by listing the provider's movements since ``since``
(``creatorkit_payment_list``), where the provider declares the optional ``payment_listing`` capability and the
system runs the reconciliation: an unknown movement belongs to no party's deals, so only the platform's own
check sees it. The listing is read before the store, so a movement the core makes meanwhile is held by the time
its books are read, never reported as extra. Otherwise such an extra shows only where the ledger names it (an
entry on the provider's clearing account that no movement explains), and the report says why it did not list.

A reconciliation changes nothing but the audit trail, where one ``payments.reconcile`` event records who ran it,
over what, and how many differences of each kind it found: the evidence a finance audit asks for that the
control ran, kept where nobody can quietly remove it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import attrs

from .._service import Service, aware_datetime
from ..entities import (
    Actor,
    Capability,
    LedgerAccountKind,
    LedgerEntry,
    LegRole,
    OperationStatus,
    PartyKind,
    PaymentOperation,
    PaymentOperationStatus,
    PaymentPurpose,
    ProviderOperation,
)
from ..errors import IdempotencyConflict, NotFound, PaymentError, Problem, ValidationError
from ..money import Money
from ..parties._access import on_creator_side
from ._payments import _provider_moves, paid_in_part

if TYPE_CHECKING:
    from .._change import Change, View
    from ..host import PaymentClient

__all__ = ["Difference", "DifferenceKind", "Reconciler", "ReconciliationReport", "operation_of_entry"]

_KIND = "payment_operation"
#: The ledger entries of one movement: its own operation id, and the money's way in from (``-in``) or back out
#: to (``-out``) the provider's clearing account (see ``_write_entries`` in the payments flow).
_ENTRY_SUFFIXES = ("-in", "-out")


class DifferenceKind(enum.StrEnum):
    """What one difference between the core, the provider and the ledger is."""

    MISSING_AT_PROVIDER = "missing_at_provider"  # the core holds it as moved; the provider has no such operation
    STATUS_MISMATCH = "status_mismatch"  # succeeded on one side, failed or pending on the other (either way)
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider moved another amount, or holds another request
    LEG_MISMATCH = "leg_mismatch"  # receivers paid other amounts than asked, or not paid
    LEDGER_MISSING = "ledger_missing"  # a succeeded movement without its ledger entries
    LEDGER_MISMATCH = "ledger_mismatch"  # its entries move other amounts, or it did not succeed and has entries
    EXTRA_IN_LEDGER = "extra_in_ledger"  # a ledger entry naming no movement the core holds
    EXTRA_AT_PROVIDER = "extra_at_provider"  # the provider lists a movement the core holds nothing of
    UNREADABLE = "unreadable"  # the provider could not say now (a timeout, a lagging search)


@attrs.frozen(kw_only=True)
class Difference:
    """One difference: its kind, the movement (or ledger entry) it is about, each side's view, and why it matters."""

    kind: DifferenceKind
    detail: str
    operation_id: str | None = None
    deal_id: str | None = None
    entry_id: str | None = None
    provider_ref: str | None = None
    ours: str | None = None
    theirs: str | None = None


@attrs.frozen(kw_only=True)
class ReconciliationReport:
    """What one reconciliation compared and every difference it found; ``ok`` when there is none.

    ``listed_by_provider`` says whether the provider's own list of movements was read (``movements_listed`` of
    them), so that extras the provider holds were looked for there; when it was not, ``not_listed_because``
    says why, and such extras are found only where the ledger names them (see the module).
    """

    provider: str
    ran_at: datetime
    ran_by: str
    since: datetime | None
    operations_checked: int
    entries_checked: int
    differences: tuple[Difference, ...]
    listed_by_provider: bool = False
    movements_listed: int = 0
    not_listed_because: str | None = None

    @property
    def ok(self) -> bool:
        return not self.differences

    def counts(self) -> dict[str, int]:
        """How many differences of each kind, by kind, in the order the kinds are declared."""
        found = Counter(d.kind for d in self.differences)
        return {str(kind): found[kind] for kind in DifferenceKind if found[kind]}


@attrs.frozen
class _Books:
    """What the store holds for a reconciliation, read in one snapshot."""

    operations: tuple[PaymentOperation, ...]  # the provider's, in the actor's scope, changed since
    held: frozenset[str]  # every operation id the store holds, whichever provider moved it
    refs: frozenset[str]  # every provider reference the store holds (what each movement made at its provider)
    entries: tuple[LedgerEntry, ...]  # the entries of the deals in scope and of the provider's clearing accounts


def operation_of_entry(entry: LedgerEntry) -> str:
    """The movement a payments-flow ledger entry belongs to: its operation id less the way in or out."""
    for suffix in _ENTRY_SUFFIXES:
        if entry.operation_id.endswith(suffix):
            return entry.operation_id.removesuffix(suffix)
    return entry.operation_id


class Reconciler(Service):
    """Runs :meth:`PaymentsService.reconcile` (see the module)."""

    def run(
        self, actor: Actor, provider: str | None = None, since: datetime | date | None = None
    ) -> ReconciliationReport:
        """Compare the provider's movements (``[money] provider`` when ``provider`` is None) changed since ``since``
        with the provider and the ledger, as far as ``actor`` may see them.

        The system reconciles every movement; a brand those of its deals; a creator, their manager or agency those
        of the creator's deals. ``since`` is a timezone-aware datetime or a date (midnight UTC).
        """
        name = provider if provider is not None else self._kit.payments.provider_name
        start = _moment(since)
        client = self._kit.plugins.payments(name)  # a provider that is not loaded is an error, not "no differences"
        listing = _list_movements(client, actor, start)  # before the books are read: see the module
        books = self._read(actor, lambda view: _read_books(view, actor, name, start), "reconcile_payments")
        differences: list[Difference] = []
        by_operation: dict[str, list[LedgerEntry]] = {}
        for entry in books.entries:
            by_operation.setdefault(operation_of_entry(entry), []).append(entry)
        for operation in books.operations:
            differences.extend(_against_provider(client, operation))
            differences.extend(_against_ledger(operation, by_operation.get(operation.id, [])))
        differences.extend(_extra_entries(books))
        differences.extend(_extra_movements(listing, books))
        report = ReconciliationReport(
            provider=name,
            ran_at=self._now(),
            ran_by=str(actor),
            since=start,
            operations_checked=len(books.operations),
            entries_checked=len(books.entries),
            differences=tuple(differences),
            listed_by_provider=listing.not_listed_because is None,
            movements_listed=len(listing.movements),
            not_listed_because=listing.not_listed_because,
        )
        self._write(actor, "reconcile_payments", lambda change: _audit(change, report))
        return report


def _moment(since: datetime | date | None) -> datetime | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        return aware_datetime(since, "since", "reconciliation")
    if isinstance(since, date):
        return datetime.combine(since, time(0), tzinfo=UTC)
    raise ValidationError([Problem("since", f"must be a date or datetime, got {type(since).__name__}")], "reconcile")


def _in_scope(view: View, actor: Actor, operation: PaymentOperation) -> bool:
    if actor.kind is PartyKind.SYSTEM:
        return True
    if actor.kind is PartyKind.BRAND:
        return operation.brand_id == actor.id
    return on_creator_side(view, actor, operation.creator_id)


def _read_books(view: View, actor: Actor, provider: str, since: datetime | None) -> _Books:
    every = view.find(_KIND, PaymentOperation)
    visible = [op for op in every if _in_scope(view, actor, op)]
    operations = [op for op in visible if op.provider == provider and (since is None or op.updated_at >= since)]
    deals = sorted({op.deal_id for op in visible})
    if actor.kind is PartyKind.SYSTEM:
        deals = sorted({*deals, *(record.id for record in view.records("deal"))})
    entries: dict[str, LedgerEntry] = {}
    for deal_id in deals:
        entries.update((e.id, e) for e in view.ledger.ledger_entries(deal_id=deal_id))
    if actor.kind is PartyKind.SYSTEM:  # the clearing account is the platform's own: nobody else reads it
        for account in view.ledger.ledger_accounts_of(holder=provider):
            if account.kind is LedgerAccountKind.PROVIDER_CLEARING:
                entries.update((e.id, e) for e in view.ledger.ledger_entries(account_id=account.id))
    kept = [e for e in entries.values() if since is None or e.created_at >= since]
    return _Books(
        operations=tuple(operations),
        held=frozenset(op.id for op in every),
        refs=frozenset(op.provider_ref for op in every if op.provider_ref),
        entries=tuple(sorted(kept, key=lambda e: e.sequence or 0)),
    )


# --- the provider's side ---------------------------------------------------------------------------------------


def _known(operation: PaymentOperation) -> ProviderOperation | None:
    """What the core last heard of the movement, for a provider that finds its objects by their own id."""
    if not operation.provider_ref:
        return None
    status = {
        PaymentOperationStatus.SUCCEEDED: OperationStatus.SUCCEEDED,
        PaymentOperationStatus.FAILED: OperationStatus.FAILED,
    }.get(operation.status, OperationStatus.PENDING)
    return ProviderOperation(
        provider=operation.provider,
        operation_id=operation.id,
        kind=operation.kind,
        status=status,
        raw_status=operation.raw_status or str(status),
        amount=operation.request.amount,
        provider_ref=operation.provider_ref,
        updated_at=operation.updated_at,
    )


def _against_provider(client: PaymentClient, operation: PaymentOperation) -> list[Difference]:
    if not _provider_moves(operation.request):
        return []  # a release wholly of fees reached no provider: only the ledger holds it
    difference = _DifferenceMaker(operation)
    try:
        answer = client.retrieve(operation.request, known=_known(operation))
    except IdempotencyConflict as conflict:
        fields = ", ".join(conflict.fields) or "its parameters"
        return [difference(DifferenceKind.AMOUNT_MISMATCH, f"the provider holds another request ({fields} differ)")]
    except NotFound:
        moved = operation.status in (PaymentOperationStatus.SUCCEEDED, PaymentOperationStatus.PENDING)
        if moved or operation.provider_ref:
            detail = f"the core holds it as {operation.status} but the provider has no such operation"
            return [difference(DifferenceKind.MISSING_AT_PROVIDER, detail, ours=str(operation.status))]
        return []  # never reached the provider (started, or refused): both agree nothing moved
    except PaymentError as error:
        return [difference(DifferenceKind.UNREADABLE, f"the provider could not say: {error}")]
    return _compare(operation, answer)


@attrs.frozen
class _DifferenceMaker:
    """Differences about one movement: each names it and its deal."""

    operation: PaymentOperation

    def __call__(
        self, kind: DifferenceKind, detail: str, *, ours: str | None = None, theirs: str | None = None
    ) -> Difference:
        return Difference(
            kind=kind,
            detail=detail,
            operation_id=self.operation.id,
            deal_id=self.operation.deal_id,
            ours=ours,
            theirs=theirs,
        )


def _as_ours(status: OperationStatus) -> PaymentOperationStatus:
    """The provider's status as the core would record it (as ``kit.payments.sync`` maps an answer)."""
    if status is OperationStatus.SUCCEEDED:
        return PaymentOperationStatus.SUCCEEDED
    if status in (OperationStatus.PENDING, OperationStatus.REQUIRES_ACTION):
        return PaymentOperationStatus.PENDING
    return PaymentOperationStatus.FAILED  # failed, canceled, reversed, partially succeeded


def _compare(operation: PaymentOperation, answer: ProviderOperation) -> list[Difference]:
    difference = _DifferenceMaker(operation)
    found: list[Difference] = []
    ours, theirs = operation.status, answer.status
    if ours.open:
        if theirs.resolved:
            detail = f"the provider has it {theirs} while the core still waits (kit.payments.sync records it)"
            found.append(difference(DifferenceKind.STATUS_MISMATCH, detail, ours=str(ours), theirs=str(theirs)))
    elif _as_ours(theirs) is not ours or theirs is OperationStatus.PARTIALLY_SUCCEEDED:
        detail = f"the core holds it as {ours}, the provider as {theirs} ({answer.raw_status})"
        found.append(difference(DifferenceKind.STATUS_MISMATCH, detail, ours=str(ours), theirs=str(theirs)))
    if answer.amount != operation.request.amount:
        found.append(
            difference(
                DifferenceKind.AMOUNT_MISMATCH,
                "the provider moved another amount than the core asked for",
                ours=str(operation.request.amount),
                theirs=str(answer.amount),
            )
        )
    found.extend(_leg_differences(operation, answer))
    return found


def _leg_differences(operation: PaymentOperation, answer: ProviderOperation) -> list[Difference]:
    """Receivers the provider paid otherwise than asked; nothing when the provider reports no legs."""
    if not answer.legs:
        return []
    difference = _DifferenceMaker(operation)
    asked = {leg.account_ref: leg.amount for leg in operation.request.legs}
    paid = {leg.account_ref: leg.amount for leg in answer.legs}
    found = []
    for account in sorted(asked.keys() | paid.keys()):
        want, got = asked.get(account), paid.get(account)
        if want != got:
            found.append(
                difference(
                    DifferenceKind.LEG_MISMATCH,
                    f"receiver {account}: asked {want or 'nothing'}, the provider has {got or 'nothing'}",
                    ours=None if want is None else str(want),
                    theirs=None if got is None else str(got),
                )
            )
    if operation.status is PaymentOperationStatus.SUCCEEDED:
        for leg in answer.legs:
            if leg.status is not OperationStatus.SUCCEEDED:
                detail = f"receiver {leg.account_ref} is {leg.status} at the provider ({leg.raw_status})"
                found.append(difference(DifferenceKind.LEG_MISMATCH, detail, ours="succeeded", theirs=str(leg.status)))
    return found


# --- what the provider lists -----------------------------------------------------------------------------------


@attrs.frozen
class _Listing:
    """The movements a provider listed, or why it was not asked (and the difference, when it could not answer)."""

    movements: tuple[ProviderOperation, ...] = ()
    not_listed_because: str | None = None
    unreadable: Difference | None = None


def _list_movements(client: PaymentClient, actor: Actor, since: datetime | None) -> _Listing:
    if not client.supports(Capability.PAYMENT_LISTING):
        why = client.metadata.missing.get(Capability.PAYMENT_LISTING) or "it does not declare payment_listing"
        return _Listing(not_listed_because=f"{client.name} cannot list its movements: {why}")
    if actor.kind is not PartyKind.SYSTEM:
        return _Listing(
            not_listed_because="only the system lists the provider's movements: one the core holds nothing of "
            "belongs to no party's deals"
        )
    try:
        return _Listing(movements=tuple(client.movements(since=since)))
    except PaymentError as error:
        detail = f"the provider could not list its movements: {error}"
        return _Listing(not_listed_because=detail, unreadable=Difference(kind=DifferenceKind.UNREADABLE, detail=detail))


def _extra_movements(listing: _Listing, books: _Books) -> list[Difference]:
    """What the provider lists that names no operation and no provider reference the core holds.

    One that failed or was canceled moved nothing, so it is no difference, as a movement the core refused is not.
    """
    found = [] if listing.unreadable is None else [listing.unreadable]
    for movement in listing.movements:
        if movement.operation_id in books.held or movement.provider_ref in books.refs:
            continue
        if movement.status in (OperationStatus.FAILED, OperationStatus.CANCELED):
            continue
        ours = movement.operation_id != movement.provider_ref  # an object naming none carries its own id
        what = (
            f"{movement.kind} {movement.provider_ref} of {movement.amount} ({movement.raw_status}, last changed "
            f"{movement.updated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
        )
        whose = (
            f"for operation {movement.operation_id}, which the core does not hold" if ours else "naming no operation"
        )
        found.append(
            Difference(
                kind=DifferenceKind.EXTRA_AT_PROVIDER,
                detail=f"the provider holds {what} {whose}",
                operation_id=movement.operation_id if ours else None,
                provider_ref=movement.provider_ref,
                theirs=f"{movement.amount} {movement.status}",
            )
        )
    return found


# --- the ledger's side -----------------------------------------------------------------------------------------


_PAID_INTO = {
    LegRole.CREATOR: LedgerAccountKind.CREATOR_PAYABLE,
    LegRole.AGENCY: LedgerAccountKind.AGENCY_SHARE,
    LegRole.PLATFORM: LedgerAccountKind.PLATFORM_FEES,
}


def expected_postings(operation: PaymentOperation) -> dict[LedgerAccountKind, int]:
    """What a succeeded movement's entries add up to on each kind of account, in minor units (debits positive);
    for one paid in part, what its paid legs took out of escrow."""
    request = operation.request
    escrow = int(request.metadata.get("escrow", request.amount.amount))
    paid = paid_in_part(operation)
    if paid:
        effect = {LedgerAccountKind.DEAL_ESCROW: sum(leg.amount.amount for leg in paid)}
        for leg in paid:
            effect[_PAID_INTO[leg.role]] = effect.get(_PAID_INTO[leg.role], 0) - leg.amount.amount
    elif operation.purpose is PaymentPurpose.FUND:
        effect = {
            LedgerAccountKind.PROVIDER_CLEARING: request.amount.amount,
            LedgerAccountKind.DEAL_ESCROW: -escrow,
            LedgerAccountKind.PLATFORM_FEES: -(request.amount.amount - escrow),
        }
    elif operation.purpose is PaymentPurpose.REFUND:
        effect = {LedgerAccountKind.DEAL_ESCROW: escrow, LedgerAccountKind.PROVIDER_CLEARING: -escrow}
    else:
        fees = operation.fees
        effect = (
            {}
            if fees is None
            else {
                LedgerAccountKind.DEAL_ESCROW: fees.gross.amount,
                LedgerAccountKind.PLATFORM_FEES: -fees.platform_fee.amount,
                LedgerAccountKind.AGENCY_SHARE: -fees.agency_cut.amount,
                LedgerAccountKind.CREATOR_PAYABLE: -fees.creator_net.amount,
            }
        )
    return {kind: amount for kind, amount in effect.items() if amount}


def posted_by_kind(entries: Sequence[LedgerEntry]) -> dict[LedgerAccountKind | str, int]:
    """What ``entries`` add up to on each kind of account (an account id of no known kind stands for itself)."""
    totals: dict[LedgerAccountKind | str, int] = {}
    for entry in entries:
        for posting in entry.postings:
            prefix = posting.account.partition(":")[0]
            kind: LedgerAccountKind | str = (
                LedgerAccountKind(prefix) if prefix in LedgerAccountKind._value2member_map_ else posting.account
            )
            totals[kind] = totals.get(kind, 0) + posting.amount.amount
    return {kind: amount for kind, amount in totals.items() if amount}


def _against_ledger(operation: PaymentOperation, entries: Sequence[LedgerEntry]) -> list[Difference]:
    difference = _DifferenceMaker(operation)
    partly = bool(paid_in_part(operation))
    if operation.status is not PaymentOperationStatus.SUCCEEDED and not partly:
        if not entries:
            return []
        ids = ", ".join(e.id for e in entries)
        detail = f"the ledger moved money for it ({ids}) though it is {operation.status}"
        return [difference(DifferenceKind.LEDGER_MISMATCH, detail, ours=str(operation.status))]
    expected = expected_postings(operation)
    if not entries:
        done = f"it paid its {', '.join(operation.paid_legs)} leg(s)" if partly else "it succeeded"
        return [difference(DifferenceKind.LEDGER_MISSING, f"{done} but the ledger has no entry for it")]
    posted = posted_by_kind(entries)
    if posted == expected:
        return []
    currency = operation.request.amount.currency
    return [
        difference(
            DifferenceKind.LEDGER_MISMATCH,
            "its ledger entries move other amounts than the movement",
            ours=_effect_text(expected, currency),
            theirs=_effect_text(posted, currency),
        )
    ]


def _effect_text(effect: dict[LedgerAccountKind, int] | dict[LedgerAccountKind | str, int], currency: str) -> str:
    return ", ".join(f"{kind} {Money(amount, currency)}" for kind, amount in sorted(effect.items(), key=str))


def _extra_entries(books: _Books) -> list[Difference]:
    """Ledger entries of the deals (and the provider's clearing account) that no movement the core holds explains.

    Every entry there is the payments flow's: one made by hand (a correction through ``kit.ledger``, say) means
    the ledger no longer holds what the provider moved, and is reported as well.
    """
    found = []
    for entry in books.entries:
        if operation_of_entry(entry) in books.held:
            continue
        found.append(
            Difference(
                kind=DifferenceKind.EXTRA_IN_LEDGER,
                detail=f"ledger entry {entry.id} ({entry.kind}: {entry.memo or 'no memo'}) names operation "
                f"{entry.operation_id}, which the core does not hold",
                deal_id=entry.deal_id,
                entry_id=entry.id,
                theirs=_effect_text(posted_by_kind([entry]), entry.postings[0].amount.currency),
            )
        )
    return found


def _audit(change: Change, report: ReconciliationReport) -> None:
    workspace = change.actor.id if change.actor.kind is not PartyKind.SYSTEM else None
    change.audit(
        "payments.reconcile",
        "reconciliation",
        report.provider,
        {
            "provider": report.provider,
            "since": None if report.since is None else report.since.isoformat(),
            "operations_checked": report.operations_checked,
            "entries_checked": report.entries_checked,
            "movements_listed": report.movements_listed if report.listed_by_provider else None,
            "differences": report.counts(),
        },
        workspace=workspace,
    )
