"""``kit.payments``: a deal's money moved by its contract's payment schedule as the deal changes state.

**What moves when.** The schedule's kind and each milestone's trigger say it (``docs/payments.md`` has the table):
a prepaid or staged deal is funded in full when its contract is executed (and then moves to production);
postpaid milestones are funded when they fall due. A milestone is released once its trigger is reached (signing,
draft approved, published, completed, its date), split into platform fee, agency cut and creator net. A
cancelled or expired deal pays the creator the kill fee of its cancellation terms (before or after a draft was
submitted), less what was already released, and refunds the rest of the escrow to the brand. A disputed deal
holds everything until the arbiter's :meth:`PaymentsService.settle_dispute` splits what is held.

**Exactly once.** The movements are computed from the deal's state, its contract and what has already moved,
so :meth:`PaymentsService.sync` can run as often as anyone likes: after every change of the deal (the kit does
it), from the deadline run, after a crash. Each movement has an operation id derived from the deal and the
step, stored (``started``) before the provider is called and sent as its idempotency key; its ledger entries
and its ``succeeded`` status are written in one transaction, and the ledger applies an operation id once. An
outcome the provider could not report is asked again with the same id or retrieved, never made anew.

Why this is long: planning the schedule's steps, asking the provider and writing a movement's ledger entries
share the operation record and must be read together to see that nothing moves twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from .._service import Service
from ..entities import (
    Actor,
    ContentSubmission,
    Contract,
    Deal,
    DealState,
    FeeBreakdown,
    LedgerAccountKind,
    LedgerBalance,
    LedgerEntry,
    LegRole,
    MilestoneTrigger,
    OperationKind,
    OperationStatus,
    PartyKind,
    PaymentOperation,
    PaymentOperationStatus,
    PaymentPurpose,
    PayoutAccount,
    Posting,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    RosterEntry,
    ScheduleKind,
    Settlement,
    SourceReference,
)
from ..errors import (
    ConfigError,
    NotFound,
    PaymentError,
    PaymentNotSupported,
    PermissionDenied,
    Problem,
    StateError,
    ValidationError,
)
from ..ledger import Commission, FeeContext, FeePolicy, OpenAccount, Transfer, account_id, load_fee_policy, split
from ..ledger._journal import Journal
from ..money import Money
from ..payments import granularity
from ._annual_fees import bill_annual_fee

if TYPE_CHECKING:
    from datetime import date

    from .._change import Change, View
    from ..host import PaymentClient
    from ._balances import AccountBalance
    from ._invoices import Invoice
    from ._reconcile import ReconciliationReport

__all__ = ["DealMoney", "PaymentsService", "SyncResult"]

_KIND = "payment_operation"
_SETTLEMENT = "settlement"

#: States in which a milestone with each trigger has fallen due (a disputed deal holds everything).
_SIGNED = frozenset(
    {
        DealState.EXECUTED,
        DealState.IN_PRODUCTION,
        DealState.IN_REVIEW,
        DealState.CHANGES_REQUESTED,
        DealState.APPROVED,
        DealState.PUBLISHED,
        DealState.COMPLETED,
    }
)
_DUE_IN: dict[MilestoneTrigger, frozenset[DealState]] = {
    MilestoneTrigger.ON_SIGNATURE: _SIGNED,
    MilestoneTrigger.ON_DRAFT_APPROVED: frozenset({DealState.APPROVED, DealState.PUBLISHED, DealState.COMPLETED}),
    MilestoneTrigger.ON_PUBLICATION: frozenset({DealState.PUBLISHED, DealState.COMPLETED}),
    MilestoneTrigger.ON_KPI_REPORT: frozenset({DealState.COMPLETED}),
    MilestoneTrigger.ON_DATE: _SIGNED,
}
_ENDED_UNFINISHED = frozenset({DealState.CANCELLED, DealState.EXPIRED})
#: What a deal's money moves out of escrow for (each split into fee, agency cut and creator net).
_TO_RECEIVERS = (PaymentPurpose.RELEASE, PaymentPurpose.KILL_FEE, PaymentPurpose.SETTLEMENT)


@attrs.frozen(kw_only=True)
class _Step:
    """One movement the schedule calls for now: its purpose, milestone, amount and split."""

    purpose: PaymentPurpose
    code: str  # the step's part of the operation id: f (whole fund), f0 (milestone 0's fund), r0, k, s, x
    amount: Money  # what the provider moves (a fund: what the brand pays)
    escrow: Money  # what escrow gains (fund) or gives up (the others)
    milestone: int | None = None
    fees: FeeBreakdown | None = None
    label: str = ""
    fund_id: str | None = None  # the fund a refund draws on, when it is not the one the milestone names


@attrs.frozen(kw_only=True)
class DealMoney:
    """Where a deal's money stands: what the schedule called for, what moved, what escrow holds.

    ``funded`` is what went into escrow (the brand also paid ``brand_fees`` on top: service and per-project
    fees); ``released`` went to receivers (gross of fees; ``platform_fees``, ``agency_cut``, ``creator_net`` are
    its split), ``refunded`` back to the brand. A movement the provider paid only in part counts as released what
    its paid legs took (see :func:`paid_in_part`). ``held = funded - released - refunded``, and it equals the escrow
    account's balance. ``open`` are movements waiting on the provider; ``failed`` ones need a new attempt.
    """

    deal_id: str
    state: DealState
    currency: str
    price: Money
    funded: Money
    brand_fees: Money
    released: Money
    platform_fees: Money
    agency_cut: Money
    creator_net: Money
    refunded: Money
    held: Money
    escrow_balance: LedgerBalance | None
    operations: tuple[PaymentOperation, ...]

    @property
    def open(self) -> tuple[PaymentOperation, ...]:
        return tuple(op for op in self.operations if op.status.open)

    @property
    def failed(self) -> tuple[PaymentOperation, ...]:
        return tuple(op for op in self.operations if op.status is PaymentOperationStatus.FAILED)


@attrs.frozen(kw_only=True)
class SyncResult:
    """What one :meth:`PaymentsService.sync` did: the movements it completed, left waiting, or saw fail."""

    deal_id: str
    succeeded: tuple[PaymentOperation, ...] = ()
    waiting: tuple[PaymentOperation, ...] = ()
    failed: tuple[PaymentOperation, ...] = ()


class _Unchanged(Exception):
    """A write call found nothing to write: its answer, with the transaction rolled back (nothing to audit)."""

    def __init__(self, result: PaymentOperation | None) -> None:
        self.result = result


class _Billed(Exception):
    """The annual fee had been billed: nothing written, the entry is the answer."""

    def __init__(self, entry: LedgerEntry | None) -> None:
        self.entry = entry


class PaymentsService(Service):
    """Fund, release, refund and settle a deal's money through the configured provider, on the ledger."""

    _drives_payments = False  # its own moves of a deal (``fund``) are followed by its own loop

    # --- configuration -----------------------------------------------------------------------------------------

    @property
    def provider_name(self) -> str:
        """``[money] provider``, or the one payment provider enabled; ConfigError when that is not clear."""
        named = self._kit.config.money.provider
        if named is not None:
            return named
        enabled = [p.name for p in self._kit.config.enabled("payments")]
        if len(enabled) != 1:
            listed = ", ".join(enabled) or "none is enabled"
            raise ConfigError([Problem("money.provider", f"name the payment provider to use ({listed})")])
        return enabled[0]

    def _client(self) -> PaymentClient:
        return self._kit.plugins.payments(self.provider_name)

    @property
    def fee_policy(self) -> FeePolicy:
        """The ``[money.fees]`` policy, built once per kit."""
        cached: FeePolicy | None = getattr(self._kit, "_fee_policy", None)
        if cached is None:
            fees = dict(self._kit.config.money.fees)
            name = fees.pop("policy", "flat")
            if name == "flat" and not fees:
                fees = {"rate_bp": 0}  # no [money.fees] at all: no commission, not a config error
            cached = load_fee_policy(name, fees)
            self._kit._fee_policy = cached  # type: ignore[attr-defined]
        return cached

    # --- reading -----------------------------------------------------------------------------------------------

    def money(self, actor: Actor, deal_id: str) -> DealMoney:
        """The deal's money view; the brand, the creator (or their manager) and the system may read it."""

        def work(view: View) -> DealMoney:
            deal = _readable_deal(view, actor, deal_id)
            return _money_view(view, deal, _operations(view, deal.id))

        return self._read(actor, work, "read_payments")

    def operations(self, actor: Actor, deal_id: str) -> list[PaymentOperation]:
        def work(view: View) -> list[PaymentOperation]:
            deal = _readable_deal(view, actor, deal_id)
            return _operations(view, deal.id)

        return self._read(actor, work, "read_payments")

    # --- moving money ------------------------------------------------------------------------------------------

    def sync(self, actor: Actor, deal_id: str) -> SyncResult:
        """Make every movement the deal's state calls for now, and see waiting ones through (see the module).

        The system or the deal's brand may ask; it is safe to ask again at any time.
        """
        client = self._client()
        succeeded: list[PaymentOperation] = []
        waiting: list[PaymentOperation] = []
        failed: list[PaymentOperation] = []
        # Each step may change what the next one is (a release needs its fund's provider_ref): plan again after
        # each movement, until the plan holds nothing new. A schedule has few steps; the bound is a safety net.
        for _ in range(64):
            started = self._start_next(actor, deal_id, client)
            if started is None:
                break
            done = self._see_through(started, client)
            if done.status is PaymentOperationStatus.SUCCEEDED:
                succeeded.append(done)
            elif done.status is PaymentOperationStatus.FAILED:
                failed.append(done)
                break
            else:
                waiting.append(done)
                break
        return SyncResult(deal_id=deal_id, succeeded=tuple(succeeded), waiting=tuple(waiting), failed=tuple(failed))

    def retry(self, actor: Actor, deal_id: str) -> SyncResult:
        """Start a new attempt (a new operation id) of the deal's failed movement, then :meth:`sync`."""

        def work(change: Change) -> None:
            deal = _movable_deal(change, actor, deal_id)
            failed = [op for op in _operations(change, deal.id) if op.status is PaymentOperationStatus.FAILED]
            if not failed:
                raise ValidationError([Problem("deal_id", "has no failed movement to retry")], "payments retry")
            waiting = [op for op in failed if not _retried(change, op)]  # the one that holds the deal's money up
            latest = max(waiting or failed, key=lambda op: (op.created_at, op.attempt))
            if latest.paid_legs:
                paid = ", ".join(latest.paid_legs)
                raise StateError(
                    f"payment operation {latest.id}",
                    "partially_succeeded",
                    "retry_payment",
                    [],
                    f"the provider paid its {paid} leg(s) already: a new attempt would pay them twice; "
                    "see `creatorkit payments reconcile` and settle the rest with the provider",
                )
            change.audit("payments.retry", _KIND, latest.id, {"attempt": latest.attempt + 1}, workspace=deal.brand_id)

        self._write(actor, "retry_payment", work)
        return self.sync(actor, deal_id)

    def refresh_from_notice(self, actor: Actor, source: str, operation_id: str) -> SyncResult | None:
        """Carry on the deal whose movement a provider's webhook names: what the kit does after accepting one.

        The notice is not trusted for what it says happened: the movement, if it is still waiting, is re-read from
        the provider (``retrieve``) by :meth:`sync`, which then makes whatever the deal calls for next. Deliveries
        in any order, or twice, change nothing more than one would. ``None`` when ``source`` is not the configured
        provider or the id is not one of ours (reconciliation reports what the provider holds that we do not).
        """
        if source != self.provider_name:
            return None

        def work(view: View) -> PaymentOperation | None:
            record = view.get(_KIND, operation_id)
            return None if record is None else view.entity(record, PaymentOperation)

        operation = self._read(actor, work, "read_payments")
        if operation is None:
            return None
        return self.sync(actor, operation.deal_id)

    def bill_annual_fee(self, actor: Actor, brand_id: str, year: int, currency: str) -> LedgerEntry | None:
        """Bill the ``[money.fees] annual_fee`` of ``brand_id`` for ``year`` in ``currency`` on the ledger, once.

        The kit does it with the brand's first funded deal of each year; call this to bill a year with no deal yet.
        Asked again, it returns the same entry and writes nothing. None when the policy has no fee in ``currency``.
        Only the system bills. See :mod:`._annual_fees`.
        """
        if actor.kind is not PartyKind.SYSTEM:
            raise PermissionDenied(str(actor), "bill_annual_fee", "only the system bills the platform's fees")
        policy = self.fee_policy

        def work(change: Change) -> LedgerEntry | None:
            entry, wrote = bill_annual_fee(change, policy, brand_id, year, currency)
            if not wrote:
                raise _Billed(entry)
            return entry

        try:
            return self._write(actor, "bill_annual_fee", work)
        except _Billed as billed:
            return billed.entry

    def sweep_holds(self, actor: Actor) -> list[SyncResult]:
        """Refund what each fund still holds once its provider hold ends within ``[money] hold_margin_days``.

        The deadline run (``creatorkit deadlines``) calls it. Each deal found is :meth:`sync`\\ ed, which plans the
        refund (and, later, the funding of the milestones the refunded fund had not paid); asking again is safe.
        Only the system sweeps.
        """
        if actor.kind is not PartyKind.SYSTEM:
            raise PermissionDenied(str(actor), "sweep_holds", "only the system runs the deadline sweep")
        horizon = self._now() + timedelta(days=self._kit.config.money.hold_margin_days)

        def work(view: View) -> list[str]:
            deal_ids: dict[str, None] = {}
            for record in view.records(_KIND, state=str(PaymentOperationStatus.SUCCEEDED)):
                operation = view.entity(record, PaymentOperation)
                ends = operation.hold_expires_at
                if operation.purpose is PaymentPurpose.FUND and ends is not None and ends <= horizon:
                    deal_ids[operation.deal_id] = None
            return list(deal_ids)

        results = []
        for deal_id in self._read(actor, work, "read_payments"):
            result = self.sync(actor, deal_id)
            if result.succeeded or result.waiting or result.failed:
                results.append(result)
        return results

    def settle_dispute(
        self, actor: Actor, dispute_id: str, *, creator_share: Money, resolution: str, outcome: str = "complete"
    ) -> SyncResult:
        """The arbiter's split of a disputed deal's escrow: ``creator_share`` to the creator (fees deducted as for a
        release), the rest back to the brand; then the dispute is resolved (``complete`` or ``cancel``).

        Only the system (the platform's arbiter) settles. Asked again with the same share, it changes nothing.
        """
        if actor.kind is not PartyKind.SYSTEM:
            raise PermissionDenied(str(actor), "settle_dispute", "only the platform's arbiter (the system) settles")
        if outcome not in ("complete", "cancel"):
            raise ValidationError([Problem("outcome", "must be complete or cancel")], "settlement")
        if not isinstance(creator_share, Money) or creator_share.amount < 0:
            raise ValidationError(
                [Problem("creator_share", f"must be Money of at least zero, got {creator_share!r}")], "settlement"
            )

        def work(change: Change) -> Settlement:
            from ..entities import Dispute

            dispute = change.load("dispute", dispute_id, Dispute)
            deal = change.load("deal", dispute.deal_id, Deal)
            if deal.state is not DealState.DISPUTED:
                raise ValidationError([Problem("dispute_id", f"its deal is {deal.state}, not disputed")], "settlement")
            money = _money_view(change, deal, _operations(change, deal.id))
            if creator_share.currency != money.currency:
                problem = Problem("creator_share", f"is in {creator_share.currency}, the deal in {money.currency}")
                raise ValidationError([problem], "settlement")
            if creator_share > money.held:
                raise ValidationError(
                    [Problem("creator_share", f"is more than escrow holds ({money.held})")], "settlement"
                )
            key = f"settle_{dispute_id}"
            existing = change.get(_SETTLEMENT, key)
            if existing is not None:
                known = change.entity(existing, Settlement)
                if known.creator_share != creator_share:
                    problem = Problem("creator_share", f"the dispute was settled with {known.creator_share}")
                    raise ValidationError([problem], "settlement")
                return known
            settlement = Settlement(
                id=key,
                deal_id=deal.id,
                dispute_id=dispute_id,
                creator_share=creator_share,
                decided_by=str(actor),
                decided_at=change.now,
                reason=resolution,
            )
            change.record(_SETTLEMENT, settlement, "payments.settle", workspace=deal.brand_id, parent=deal.id)
            return settlement

        settlement = self._write(actor, "settle_dispute", work)
        self._kit.deals.resolve_dispute(actor, dispute_id, outcome=outcome, resolution=resolution)
        return self.sync(actor, settlement.deal_id)

    # --- the steps ---------------------------------------------------------------------------------------------

    def _start_next(self, actor: Actor, deal_id: str, client: PaymentClient) -> PaymentOperation | None:
        """Record the next movement (``started``) or pick up one left waiting; None when nothing is due."""
        provider = client.name
        policy = self.fee_policy
        capabilities = client.metadata.payments
        margin = timedelta(days=self._kit.config.money.hold_margin_days)
        unit_of = _units_of(capabilities, provider)

        def work(change: Change) -> PaymentOperation | None:
            deal = _movable_deal(change, actor, deal_id)
            operations = _operations(change, deal.id)
            advanced = _advance_if_funded(change, deal, operations)
            deal = advanced or deal
            # Nothing more to start: roll back, unless the deal was moved on above (that move is kept).
            nothing = _nothing_to_write if advanced is None else _kept
            blocked, found = _blocked(change, deal, operations)
            if blocked:
                return nothing(found)
            assert deal.contract_id is not None
            contract = change.load("contract", deal.contract_id, Contract)
            step = _next_step(change, deal, contract, operations, policy, change.now, margin, unit_of)
            if step is None:
                return nothing(None)
            attempt = 1 + sum(1 for op in operations if _step_code(op) == step.code)
            operation_id = f"pay-{deal.id}-{step.code}-{attempt}"
            if len(operation_id) > 64:
                operation_id = f"pay-{deal.id[-40:]}-{step.code}-{attempt}"
            request = _request(change, deal, contract, step, operation_id, operations, provider, capabilities)
            record = PaymentOperation(
                id=operation_id,
                deal_id=deal.id,
                brand_id=deal.brand_id,
                creator_id=deal.creator_id,
                provider=provider,
                purpose=step.purpose,
                request=request,
                status=PaymentOperationStatus.STARTED,
                created_at=change.now,
                updated_at=change.now,
                attempt=attempt,
                milestone=step.milestone,
                fees=step.fees,
            )
            change.record(
                _KIND,
                record,
                f"payments.{step.purpose}.start",
                workspace=deal.brand_id,
                parent=deal.id,
                state="started",
            )
            return record

        try:
            return self._write(actor, "move_money", work)
        except _Unchanged as unchanged:
            return unchanged.result

    def _see_through(self, operation: PaymentOperation, client: PaymentClient) -> PaymentOperation:
        """Ask the provider (or ask again, or retrieve) and record what it answered."""
        request = operation.request
        answer: ProviderOperation | None = None
        # A release whose whole gross was fees sends nothing to the provider: its answer is None, ledger only.
        if not _provider_moves(request):
            answer = None
        elif operation.status is PaymentOperationStatus.PENDING or operation.provider_ref is not None:
            answer = self._retrieve(client, operation)
        else:
            answer = self._execute(client, operation)
            if answer is not None and not answer.status.resolved:
                answer = self._retrieve(client, operation, known=answer) or answer
        return self._record_answer(operation, answer)

    def _execute(self, client: PaymentClient, operation: PaymentOperation) -> ProviderOperation | None:
        try:
            return client.execute(operation.request)
        except PaymentNotSupported as refused:
            return _failed_answer(client.name, operation, str(refused), "not_supported")
        except PaymentError as error:
            if not error.outcome_unknown:
                return _failed_answer(client.name, operation, str(error), error.provider_code or "refused")
            # The money may have moved: the same id again is safe (it is the idempotency key), a new one is not.
            try:
                return client.execute(operation.request)
            except PaymentError as again:
                if again.outcome_unknown:
                    return None  # still unknown: left started, the next sync asks again
                return _failed_answer(client.name, operation, str(again), again.provider_code or "refused")

    def _retrieve(
        self, client: PaymentClient, operation: PaymentOperation, known: ProviderOperation | None = None
    ) -> ProviderOperation | None:
        try:
            return client.retrieve(operation.request, known=known)
        except NotFound:
            return self._execute(client, operation)  # the provider never got it: asking now is the first time
        except PaymentError as error:
            if error.outcome_unknown:
                return None
            raise

    def _record_answer(self, operation: PaymentOperation, answer: ProviderOperation | None) -> PaymentOperation:
        system = Actor.system("payments")
        policy = self.fee_policy

        def work(change: Change) -> PaymentOperation:
            record = change.lock(_KIND, operation.id)
            assert record is not None
            current = change.entity(record, PaymentOperation)
            if not current.status.open:
                raise _Unchanged(current)  # another process recorded it first
            status, ref, raw, reason = _outcome(answer, current)
            updated = attrs.evolve(
                current,
                status=status,
                provider_ref=ref,
                raw_status=raw,
                failure_reason=reason,
                paid_legs=_paid_legs(answer, current),
                updated_at=change.now,
                hold_expires_at=_hold_end(current, answer),
            )
            if status is PaymentOperationStatus.SUCCEEDED or paid_in_part(updated):
                _write_entries(change, updated)
            # The brand's first fund of a year bills its annual fee.
            if status is PaymentOperationStatus.SUCCEEDED and updated.purpose is PaymentPurpose.FUND:
                bill_annual_fee(
                    change,
                    policy,
                    updated.brand_id,
                    change.now.year,
                    updated.request.amount.currency,
                    deal_id=updated.deal_id,
                )
            if updated == current:
                raise _Unchanged(current)
            change.replace(_KIND, updated, expected_version=record.version, state=str(status))
            change.audit(
                f"payments.{updated.purpose}.{status}",
                _KIND,
                updated.id,
                change.document(updated),
                workspace=updated.brand_id,
            )
            if status is PaymentOperationStatus.SUCCEEDED:
                _advance_deal(change, updated)
            return updated

        try:
            return self._write(system, "move_money", work)
        except _Unchanged as unchanged:
            assert unchanged.result is not None
            return unchanged.result

    # --- auditing: reconciliation, balances, invoices (thin: each lives in its own module) ----------------------

    def reconcile(
        self, actor: Actor, provider: str | None = None, since: datetime | date | None = None
    ) -> ReconciliationReport:
        """Compare every movement with the provider's record and the ledger; see :mod:`._reconcile`."""
        from ._reconcile import Reconciler

        return Reconciler(self._kit).run(actor, provider=provider, since=since)

    def balances(self, actor: Actor) -> list[AccountBalance]:
        """The ledger accounts ``actor`` holds or answers for, with their balances; see :mod:`._balances`."""
        from ._balances import BalanceService

        return BalanceService(self._kit).balances(actor)

    def invoice(self, actor: Actor, deal_id: str) -> Invoice:
        """The deal's invoice over every movement so far; see :mod:`._invoices`."""
        from ._invoices import InvoiceService

        return InvoiceService(self._kit).invoice(actor, deal_id)

    def invoices(self, actor: Actor, party_id: str, start: date, end: date) -> list[Invoice]:
        """A brand's, creator's or agency's invoices, one per deal, for the movements from ``start`` to ``end``."""
        from ._invoices import InvoiceService

        return InvoiceService(self._kit).invoices(actor, party_id, start, end)

    @staticmethod
    def invoice_html(invoice: Invoice) -> str:
        """``invoice`` as a printable, self-contained HTML page."""
        from ._invoice_document import invoice_html

        return invoice_html(invoice)

    # --- payout accounts: where each party is paid (thin: see :mod:`._payout_accounts`) --------------------------

    def register_payout_account(
        self,
        actor: Actor,
        *,
        account_ref: str,
        provider: str | None = None,
        party_id: str | None = None,
        label: str | None = None,
        currency: str | None = None,
        account_kind: str | None = None,
    ) -> PayoutAccount:
        """Make ``account_ref`` where the party (``actor`` itself, or ``party_id`` named by the system) is paid at
        ``provider`` (the configured one by default); the account before it is kept, inactive."""
        from ._payout_accounts import PayoutAccountService

        return PayoutAccountService(self._kit).register(
            actor,
            provider=provider or self.provider_name,
            account_ref=account_ref,
            party_id=party_id,
            label=label,
            currency=currency,
            account_kind=account_kind,
        )

    def payout_accounts(self, actor: Actor, party_id: str) -> list[PayoutAccount]:
        """Every payout account of the creator or agency ``party_id``, active and inactive, oldest first."""
        from ._payout_accounts import PayoutAccountService

        return PayoutAccountService(self._kit).accounts(actor, party_id)

    def deactivate_payout_account(self, actor: Actor, account_id: str) -> PayoutAccount:
        """Stop paying the party into ``account_id``; kept, inactive."""
        from ._payout_accounts import PayoutAccountService

        return PayoutAccountService(self._kit).deactivate(actor, account_id)


# --- planning ----------------------------------------------------------------------------------------------------


def _next_step(
    view: View,
    deal: Deal,
    contract: Contract,
    operations: Sequence[PaymentOperation],
    policy: FeePolicy,
    now: datetime,
    margin: timedelta = timedelta(0),
    unit_of: Callable[[str], int] = lambda currency: 1,
) -> _Step | None:
    """The first movement the deal's state calls for that has not happened yet; None when all have."""
    done = {_step_code(op) for op in operations if op.status is PaymentOperationStatus.SUCCEEDED}
    lapsing = _lapsing_hold(operations, now + margin)
    if lapsing is not None:
        return lapsing
    schedule = contract.clauses.payment
    milestones = schedule.milestones
    price = schedule.total
    commission = policy.commission(
        FeeContext(
            price=price, platform=deal.platform, brand_id=deal.brand_id, creator_id=deal.creator_id, deal_id=deal.id
        )
    )
    agency_bp = _agency_cut_bp(view, deal)
    money = _money_view(view, deal, list(operations))
    settlement = _settlement(view, deal.id)
    unit = unit_of(price.currency)
    if deal.state is DealState.DISPUTED:
        return None
    if settlement is not None or deal.state in _ENDED_UNFINISHED:
        return _ending_step(view, deal, contract, money, settlement, commission, agency_bp, policy.name, done, unit)
    if deal.state not in _SIGNED:
        return None
    # A whole fund whose hold lapsed was refunded: the milestones it had not paid are funded as they fall due.
    whole = schedule.kind is not ScheduleKind.POSTPAY and "h" not in done
    if whole and "f" not in done:
        parts = [m.amount for m in milestones]
        return _fund_step("f", None, price, commission, parts, policy.name, agency_bp, unit=unit)
    for index, milestone in enumerate(milestones):
        if deal.state not in _DUE_IN[milestone.trigger] or f"r{index}" in done:
            continue
        if milestone.trigger is MilestoneTrigger.ON_DATE and milestone.due is not None and milestone.due > now:
            continue
        if not whole and f"f{index}" not in done:
            # The per-project fee is charged with the deal's first fund only (not again after a lapsed hold).
            first = not any(code.startswith("f") for code in done)
            amount = milestone.amount
            return _fund_step(f"f{index}", index, amount, commission, [amount], policy.name, agency_bp, first, unit)
        if f"r{index}" not in done:
            fees = split_in_units(milestone.amount, commission, agency_bp, policy=policy.name, unit=unit)
            return _Step(
                purpose=PaymentPurpose.RELEASE,
                code=f"r{index}",
                amount=fees.creator_net + fees.agency_cut,
                escrow=milestone.amount,
                milestone=index,
                fees=fees,
                label=milestone.label,
            )
    return None


def _lapsing_hold(operations: Sequence[PaymentOperation], horizon: datetime) -> _Step | None:
    """A refund of what a fund still holds when the provider's hold of it ends before ``horizon``; else None.

    The provider would otherwise let the money go on its own (a Stripe payout, WeChat Pay's unfreeze to the
    merchant): before then it goes back to the brand, on the ledger and at the provider, and the deal's later
    milestones are funded again as they fall due. A deal in dispute is no exception: no hold outlives its maximum.
    """
    for fund in operations:
        if (
            fund.purpose is not PaymentPurpose.FUND
            or fund.status is not PaymentOperationStatus.SUCCEEDED
            or fund.hold_expires_at is None
            or fund.hold_expires_at > horizon
        ):
            continue
        held = _held_by(operations, fund)
        if held.amount > 0:
            code = "h" + _step_code(fund).removeprefix("f")
            return _Step(
                purpose=PaymentPurpose.REFUND,
                code=code,
                amount=held,
                escrow=held,
                milestone=fund.milestone,
                fund_id=fund.id,
                label=f"back to the brand before the provider's hold ends ({fund.hold_expires_at.date()})",
            )
    return None


def _held_by(operations: Sequence[PaymentOperation], fund: PaymentOperation) -> Money:
    """What escrow still holds of ``fund``: its escrow less what was released or refunded from it."""
    currency = fund.request.amount.currency
    held = Money(int(fund.request.metadata.get("escrow", fund.request.amount.amount)), currency)
    for op in operations:
        source = op.request.source
        if source is None or source.operation_id != fund.id:
            continue
        if op.status is PaymentOperationStatus.SUCCEEDED:
            held = held - Money(int(op.request.metadata.get("escrow", op.request.amount.amount)), currency)
        else:
            held = held - _paid_amount(op)  # what a movement paid in part took from it
    return held


def _units_of(capabilities: Any, provider: str) -> Callable[[str], int]:
    """The smallest amount of a currency the provider takes (tens of fils, say): what splits are made in."""

    def unit_of(currency: str) -> int:
        if capabilities is None:
            return 1
        try:
            return granularity(currency, capabilities, provider=provider)
        except PaymentNotSupported:
            return 1  # the request itself is refused, naming the currency

    return unit_of


def split_in_units(gross: Money, commission: Commission, agency_cut_bp: int, *, policy: str, unit: int) -> FeeBreakdown:
    """:func:`creatorkit.ledger.split` in steps of ``unit`` minor units, the smallest amount the provider takes
    (10 for KWD at a provider that counts tens of fils), so that every part is one it can move. A gross that is
    not a whole number of units is split in minor units: the provider then refuses it, naming the currency."""
    if unit <= 1 or gross.amount % unit:
        return split(gross, commission, agency_cut_bp, policy=policy)
    coarse = split(Money(gross.amount // unit, gross.currency), commission, agency_cut_bp, policy=policy)

    def scaled(part: Money) -> Money:
        return Money(part.amount * unit, part.currency)

    return attrs.evolve(
        coarse,
        gross=gross,
        platform_fee=scaled(coarse.platform_fee),
        agency_cut=scaled(coarse.agency_cut),
        creator_net=scaled(coarse.creator_net),
        service_fee=None if coarse.service_fee is None else scaled(coarse.service_fee),
    )


def _fund_step(
    code: str,
    milestone: int | None,
    gross: Money,
    commission: Commission,
    parts: Sequence[Money],
    policy: str,
    agency_bp: int,
    first: bool = True,
    unit: int = 1,
) -> _Step:
    """What the brand pays into escrow for ``parts``: their gross, their service fees and (with the deal's
    ``first`` fund) the per-project fee."""
    brand_fees = Money.zero(gross.currency)
    for part in parts:
        service = split_in_units(part, commission, agency_bp, policy=policy, unit=unit).service_fee
        if service is not None:
            brand_fees = brand_fees + service
    if commission.per_project_fee is not None and first:
        brand_fees = brand_fees + commission.per_project_fee
    return _Step(
        purpose=PaymentPurpose.FUND,
        code=code,
        amount=gross + brand_fees,
        escrow=gross,
        milestone=milestone,
        label="escrow for the schedule" if milestone is None else f"escrow for milestone {milestone}",
    )


def _ending_step(
    view: View,
    deal: Deal,
    contract: Contract,
    money: DealMoney,
    settlement: Settlement | None,
    commission: Commission,
    agency_bp: int,
    policy: str,
    done: set[str],
    unit: int = 1,
) -> _Step | None:
    """A deal that ended without finishing (or was settled): the creator's part of what escrow holds, then the rest
    back to the brand."""
    held = money.held
    if held.amount <= 0:
        return None
    creator_code = "s" if settlement is not None else "k"
    if creator_code not in done:
        if settlement is not None:
            creator_gross = min(settlement.creator_share, held)
        else:
            terms = contract.clauses.cancellation
            drafted = bool(view.find("submission", ContentSubmission, parent=deal.id))
            if terms.refund_unreleased_escrow:
                owed_bp = terms.kill_fee_bp_at(draft_submitted=drafted)
                owed = money.price.allocate([owed_bp, 10_000 - owed_bp])[0] if owed_bp < 10_000 else money.price
                creator_gross = min(max(owed - money.released, Money.zero(held.currency)), held)
            else:
                creator_gross = held  # nothing goes back: what escrow holds is the creator's
        if creator_gross.amount > 0:
            fees = split_in_units(
                creator_gross, attrs.evolve(commission, per_project_fee=None), agency_bp, policy=policy, unit=unit
            )
            purpose = PaymentPurpose.SETTLEMENT if settlement is not None else PaymentPurpose.KILL_FEE
            # A brand-side service fee was paid at funding; none is charged on what is paid out now.
            fees = attrs.evolve(fees, service_fee=None)
            return _Step(
                purpose=purpose,
                code=creator_code,
                amount=fees.creator_net + fees.agency_cut,
                escrow=creator_gross,
                fees=fees,
                label="the creator's share of the settlement" if settlement else "the kill fee",
            )
    if "x" not in done:
        return _Step(purpose=PaymentPurpose.REFUND, code="x", amount=held, escrow=held, label="back to the brand")
    return None


def _request(
    change: Change,
    deal: Deal,
    contract: Contract,
    step: _Step,
    operation_id: str,
    operations: Sequence[PaymentOperation],
    provider: str,
    capabilities: Any,
) -> ProviderRequest:
    """What the provider is asked for ``step``: a fund (its hold within the provider's maximum), a refund or a
    release from the fund it draws on, with a receiver leg for the creator and one for the agency.

    Why this is long: each kind of request carries its own parts, built from the same deal, step and source.
    """
    metadata = {"deal_id": deal.id, "step": step.code, "escrow": str(step.escrow.amount)}
    if step.purpose is PaymentPurpose.FUND:
        hold_days = None
        if capabilities is not None and capabilities.max_hold_days is not None:
            hold_days = capabilities.max_hold_days
            timeline = contract.clauses.timeline
            # The last release falls due after publication and the measurement window at the latest.
            ends = timeline.publish_by + timedelta(days=change.flow.measurement_days)
            latest = change.now + timedelta(days=capabilities.max_hold_days)
            if ends > latest:
                raise PaymentNotSupported(
                    provider,
                    "max_hold_days",
                    capabilities.max_hold_days,
                    f"a hold until {ends.date()} (publish_by and the measurement window); fund in postpaid stages",
                    operation_id=operation_id,
                )
        return ProviderRequest(
            operation_id=operation_id,
            kind=OperationKind.FUND,
            amount=step.amount,
            deal_id=deal.id,
            reason=f"{step.label} of deal {deal.id}",
            hold_days=hold_days,
            metadata=metadata,
        )
    fund = _source_fund(operations, step.milestone, step.fund_id)
    released_from_fund = _released_to_receivers(operations, fund)
    source = SourceReference(
        ref=fund.provider_ref or fund.id,
        operation_id=fund.id,
        amount=fund.request.amount,
        released=released_from_fund,
    )
    if step.purpose is PaymentPurpose.REFUND:
        return ProviderRequest(
            operation_id=operation_id,
            kind=OperationKind.REFUND,
            amount=step.amount,
            deal_id=deal.id,
            reason=f"{step.label}: deal {deal.id} ended {deal.state}",
            source=source,
            metadata=metadata,
        )
    fees = step.fees
    assert fees is not None
    # Each receiver is paid into its payout account at the provider; one that needs accounts and finds none for a
    # receiver refuses here, before the movement is recorded (see :mod:`._payout_accounts`).
    from ._payout_accounts import receiver_leg

    legs = []
    if fees.creator_net.amount > 0:
        legs.append(
            receiver_leg(
                change, deal.creator_id, LegRole.CREATOR, fees.creator_net, provider, capabilities, operation_id
            )
        )
    agency = _agency_entry(change, deal.creator_id) if fees.agency_cut.amount > 0 else None
    if agency is not None:
        legs.append(
            receiver_leg(
                change, agency.agency_id, LegRole.AGENCY, fees.agency_cut, provider, capabilities, operation_id
            )
        )
    amount = step.amount if step.amount.amount > 0 else step.escrow
    return ProviderRequest(
        operation_id=operation_id,
        kind=OperationKind.RELEASE,
        amount=amount,
        deal_id=deal.id,
        reason=f"{step.label} of deal {deal.id}",
        legs=tuple(legs),
        source=source,
        final=_is_final(contract, step),
        metadata=metadata,
    )


def _is_final(contract: Contract, step: _Step) -> bool:
    last = len(contract.clauses.payment.milestones) - 1
    return step.purpose is not PaymentPurpose.RELEASE or step.milestone == last


def _source_fund(
    operations: Sequence[PaymentOperation], milestone: int | None, fund_id: str | None = None
) -> PaymentOperation:
    """The fund a movement draws on: ``fund_id``, else the schedule's whole fund, or (postpay, or once the whole
    fund's hold lapsed) its milestone's own."""
    lapsed = {
        op.request.source.operation_id
        for op in operations
        if op.status is PaymentOperationStatus.SUCCEEDED and _step_code(op).startswith("h") and op.request.source
    }
    funds = [
        op
        for op in operations
        if op.purpose is PaymentPurpose.FUND
        and op.status is PaymentOperationStatus.SUCCEEDED
        and (op.id == fund_id if fund_id is not None else op.id not in lapsed)
    ]
    for fund in funds:
        if _step_code(fund) == "f":
            return fund
    for fund in funds:
        if fund.milestone == milestone:
            return fund
    if funds:
        return funds[-1]
    raise ValidationError([Problem("deal_id", "has no funded escrow to move money from")], "payment")


def _released_to_receivers(operations: Sequence[PaymentOperation], fund: PaymentOperation) -> Money:
    total = Money.zero(fund.request.amount.currency)
    for op in operations:
        source = op.request.source
        if source is None or source.operation_id != fund.id:
            continue
        if (
            op.status is PaymentOperationStatus.SUCCEEDED
            and op.purpose in _TO_RECEIVERS
            and _provider_moves(op.request)
        ):
            total = total + op.request.amount
        else:
            total = total + _paid_amount(op)
    return total


def _provider_moves(request: ProviderRequest) -> bool:
    """Whether the provider moves anything: a release whose gross went wholly to fees has no receiver."""
    return request.kind is not OperationKind.RELEASE or bool(request.legs)


def _step_code(operation: PaymentOperation) -> str:
    return operation.request.metadata.get("step", "")


def _retried(view: View, operation: PaymentOperation) -> bool:
    """A failed movement is retried once a later attempt of its step exists or a retry was asked for."""
    return any(e.action == "payments.retry" for e in view.audit_for([operation.id]))


# --- the ledger ---------------------------------------------------------------------------------------------------


def _write_entries(change: Change, operation: PaymentOperation) -> None:
    """The ledger entries of a movement that succeeded or was paid in part, in the transaction recording it."""
    journal = Journal(change)
    request = operation.request
    currency = request.amount.currency
    deal_id = operation.deal_id

    def open_(kind: LedgerAccountKind, *, holder: str | None = None, deal: str | None = None) -> str:
        journal.apply(OpenAccount(kind=kind, currency=currency, holder=holder, deal_id=deal))
        return account_id(kind, currency, holder=holder, deal_id=deal)

    clearing = open_(LedgerAccountKind.PROVIDER_CLEARING, holder=operation.provider)
    funding = open_(LedgerAccountKind.BRAND_FUNDING, holder=operation.brand_id)
    escrow = open_(LedgerAccountKind.DEAL_ESCROW, deal=deal_id)
    escrow_amount = Money(int(request.metadata["escrow"]), currency)

    def transfer(suffix: str, postings: list[Posting], memo: str) -> None:
        if len(moved := tuple(p for p in postings if p.amount.amount != 0)) >= 2:
            journal.apply(Transfer(operation_id=operation.id + suffix, postings=moved, deal_id=deal_id, memo=memo))

    if operation.purpose is PaymentPurpose.FUND:
        brand_fees = request.amount - escrow_amount
        fees_account = open_(LedgerAccountKind.PLATFORM_FEES) if brand_fees.amount else None
        transfer(
            "-in",
            [Posting(account=clearing, amount=request.amount), Posting(account=funding, amount=-request.amount)],
            "paid in",
        )
        held = [Posting(account=funding, amount=request.amount), Posting(account=escrow, amount=-escrow_amount)]
        if fees_account is not None:
            held.append(Posting(account=fees_account, amount=-brand_fees))
        transfer("", held, "held in escrow")
    elif operation.purpose is PaymentPurpose.REFUND:
        transfer(
            "",
            [Posting(account=escrow, amount=escrow_amount), Posting(account=funding, amount=-escrow_amount)],
            "refunded",
        )
        transfer(
            "-out",
            [Posting(account=funding, amount=escrow_amount), Posting(account=clearing, amount=-escrow_amount)],
            "paid back",
        )
    elif paid_in_part(operation):
        transfer("", _paid_leg_postings(operation, escrow, open_), f"{operation.purpose}, paid in part")
    else:
        fees = operation.fees
        assert fees is not None
        postings = [Posting(account=escrow, amount=fees.gross)]
        if fees.platform_fee.amount:
            postings.append(Posting(account=open_(LedgerAccountKind.PLATFORM_FEES), amount=-fees.platform_fee))
        if fees.agency_cut.amount:
            agency = open_(LedgerAccountKind.AGENCY_SHARE, holder=_agency_of(change, operation))
            postings.append(Posting(account=agency, amount=-fees.agency_cut))
        if fees.creator_net.amount:
            payable = open_(LedgerAccountKind.CREATOR_PAYABLE, holder=operation.creator_id)
            postings.append(Posting(account=payable, amount=-fees.creator_net))
        transfer("", postings, f"{operation.purpose}")


def _paid_leg_postings(operation: PaymentOperation, escrow: str, open_: Callable[..., str]) -> list[Posting]:
    """Only the receivers the provider paid had their money leave escrow: the rest (the platform's fee too, earned
    by a release that completes) is still held, at the provider and here."""
    currency = operation.request.amount.currency
    legs_paid: dict[str, Money] = {}
    for leg in paid_in_part(operation):
        if leg.role is LegRole.CREATOR:
            account = open_(LedgerAccountKind.CREATOR_PAYABLE, holder=operation.creator_id)
        elif leg.role is LegRole.AGENCY:
            account = open_(LedgerAccountKind.AGENCY_SHARE, holder=leg.party_id)
        else:
            account = open_(LedgerAccountKind.PLATFORM_FEES)
        legs_paid[account] = legs_paid.get(account, Money.zero(currency)) + leg.amount
    postings = [Posting(account=escrow, amount=sum(legs_paid.values(), Money.zero(currency)))]
    return postings + [Posting(account=account, amount=-amount) for account, amount in legs_paid.items()]


def _agency_of(view: View, operation: PaymentOperation) -> str:
    """The agency the release's agency leg paid: the one named in the request the provider was sent."""
    for leg in operation.request.legs:
        if leg.role is LegRole.AGENCY:
            return leg.party_id
    entry = _agency_entry(view, operation.creator_id)  # the whole release was fees: no leg went to the provider
    if entry is None:
        raise ValidationError([Problem("fees.agency_cut", "an agency cut with no agency to pay")], "payment")
    return entry.agency_id


def _nothing_to_write(found: PaymentOperation | None) -> PaymentOperation | None:
    raise _Unchanged(found)


def _kept(found: PaymentOperation | None) -> PaymentOperation | None:
    return found


def _blocked(view: View, deal: Deal, operations: Sequence[PaymentOperation]) -> tuple[bool, PaymentOperation | None]:
    """Whether nothing new may start now, and the movement left waiting if that is why."""
    waiting = [op for op in operations if op.status.open]
    if waiting:
        return True, waiting[0]
    if any(op.status is PaymentOperationStatus.FAILED and not _retried(view, op) for op in operations):
        return True, None  # a failed movement waits for retry(); nothing after it moves
    return deal.contract_id is None, None


def _advance_if_funded(change: Change, deal: Deal, operations: Sequence[PaymentOperation]) -> Deal | None:
    """The deal moved into production if it waits in executed for a fund that already succeeded; else None.

    A fund's success moves its deal only while the deal is executed: one that succeeded while the deal was disputed
    found it held, and the deal, resumed into executed, would otherwise wait for a fund that is done.
    """
    if deal.state is not DealState.EXECUTED:
        return None
    fund = next((op for op in operations if _moves_into_production(op)), None)
    if fund is None:
        return None
    _advance_deal(change.as_actor(Actor.system("payments")), fund)
    return change.load("deal", deal.id, Deal)


def _moves_into_production(operation: PaymentOperation) -> bool:
    """Whether ``operation`` is the succeeded fund of the whole schedule, which starts the creator's work."""
    whole_fund = operation.purpose is PaymentPurpose.FUND and _step_code(operation) == "f"
    return whole_fund and operation.status is PaymentOperationStatus.SUCCEEDED


def _advance_deal(change: Change, operation: PaymentOperation) -> None:
    """A funded schedule moves its deal from executed into production (the state table's ``fund`` move)."""
    if not _moves_into_production(operation):
        return
    from ..workflow._machine import apply

    deal = change.load("deal", operation.deal_id, Deal)
    if deal.state is not DealState.EXECUTED:
        return
    contract = change.load("contract", deal.contract_id or "", Contract)
    apply(change, deal, "fund", payload={"operation_id": operation.id}, deadline=contract.clauses.timeline.draft_due)


def _outcome(
    answer: ProviderOperation | None, current: PaymentOperation
) -> tuple[PaymentOperationStatus, str | None, str | None, str | None]:
    if answer is None:
        if _provider_moves(current.request):
            return current.status, current.provider_ref, current.raw_status, current.failure_reason
        return PaymentOperationStatus.SUCCEEDED, current.provider_ref, None, None
    status = answer.status
    if status in (OperationStatus.SUCCEEDED, OperationStatus.PARTIALLY_SUCCEEDED):
        mapped = (
            PaymentOperationStatus.SUCCEEDED if status is OperationStatus.SUCCEEDED else PaymentOperationStatus.FAILED
        )
    elif status in (OperationStatus.FAILED, OperationStatus.CANCELED, OperationStatus.REVERSED):
        mapped = PaymentOperationStatus.FAILED
    else:
        mapped = PaymentOperationStatus.PENDING
    reason = answer.failure_reason
    if status is OperationStatus.PARTIALLY_SUCCEEDED:
        reason = reason or "some receivers were not paid: see the provider's legs and reconcile"
    return mapped, answer.provider_ref or None, answer.raw_status, reason


def _paid_legs(answer: ProviderOperation | None, current: PaymentOperation) -> tuple[LegRole, ...]:
    """The roles of the receivers a partially successful movement paid (matched to the request by party or
    account); a leg the provider reports paid but the request cannot place counts as every leg paid."""
    if answer is None or answer.status is not OperationStatus.PARTIALLY_SUCCEEDED:
        return current.paid_legs
    paid: list[LegRole] = []
    for result in answer.legs:
        if result.status is not OperationStatus.SUCCEEDED:
            continue
        asked = [
            leg
            for leg in current.request.legs
            if (result.party_id is not None and leg.party_id == result.party_id)
            or (result.account_ref and leg.account_ref == result.account_ref)
        ]
        if not asked:
            return tuple(leg.role for leg in current.request.legs)
        paid.extend(leg.role for leg in asked if leg.role not in paid)
    return tuple(paid)


def paid_in_part(operation: PaymentOperation) -> tuple[ReceiverLeg, ...]:
    """The receiver legs a failed movement paid all the same (its ``paid_legs``): their money left escrow at the
    provider, so the ledger, the money view and what a fund still holds count them moved. Empty for any other."""
    if operation.status is not PaymentOperationStatus.FAILED or not operation.paid_legs:
        return ()
    return tuple(leg for leg in operation.request.legs if leg.role in operation.paid_legs)


def _paid_amount(operation: PaymentOperation) -> Money:
    return sum((leg.amount for leg in paid_in_part(operation)), Money.zero(operation.request.amount.currency))


def _hold_end(operation: PaymentOperation, answer: ProviderOperation | None) -> datetime | None:
    """When the provider stops holding a fund: what it says, else the hold asked for from when it was asked."""
    if operation.purpose is not PaymentPurpose.FUND:
        return None
    if answer is not None and answer.hold_expires_at is not None:
        return answer.hold_expires_at
    if operation.hold_expires_at is not None:
        return operation.hold_expires_at
    days = operation.request.hold_days
    return operation.created_at + timedelta(days=days) if days is not None else None


def _failed_answer(provider: str, operation: PaymentOperation, reason: str, code: str) -> ProviderOperation:
    request = operation.request
    return ProviderOperation(
        provider=provider,
        operation_id=request.operation_id,
        kind=request.kind,
        status=OperationStatus.FAILED,
        raw_status=code,
        amount=request.amount,
        provider_ref="",
        updated_at=operation.updated_at,
        failure_code=code,
        failure_reason=reason,
    )


# --- reading helpers ------------------------------------------------------------------------------------------------


def _operations(view: View, deal_id: str) -> list[PaymentOperation]:
    return sorted(view.find(_KIND, PaymentOperation, parent=deal_id), key=lambda op: (op.created_at, op.id))


def _settlement(view: View, deal_id: str) -> Settlement | None:
    found = view.find(_SETTLEMENT, Settlement, parent=deal_id)
    return found[0] if found else None


def _agency_entry(view: View, creator_id: str) -> RosterEntry | None:
    """The creator's active roster entry whose agency takes a cut of their deals; None when none does.

    A creator on two rosters that both take a cut is refused: which agency is paid must not be a guess.
    """
    entries = [
        entry
        for entry in view.find("roster_entry", RosterEntry, parent=creator_id)
        if entry.active and entry.agency_cut_bp
    ]
    if len(entries) > 1:
        agencies = ", ".join(sorted(entry.agency_id for entry in entries))
        problem = Problem("roster_entry", f"creator {creator_id} is on several rosters that take a cut ({agencies})")
        raise ValidationError([problem], "agency cut")
    return entries[0] if entries else None


def _agency_cut_bp(view: View, deal: Deal) -> int:
    entry = _agency_entry(view, deal.creator_id)
    return 0 if entry is None else entry.agency_cut_bp


def _money_view(view: View, deal: Deal, operations: Sequence[PaymentOperation]) -> DealMoney:
    price = deal.price
    if price is None and deal.contract_id is not None:
        price = view.load("contract", deal.contract_id, Contract).clauses.payment.total
    if price is None:
        raise ValidationError(
            [Problem("deal_id", f"deal {deal.id} has no agreed price: no money moves yet")], "payments"
        )
    currency = price.currency
    zero = Money.zero(currency)
    funded = brand_fees = released = platform = agency = net = refunded = zero
    for op in operations:
        for leg in paid_in_part(op):
            released = released + leg.amount
            if leg.role is LegRole.CREATOR:
                net = net + leg.amount
            elif leg.role is LegRole.AGENCY:
                agency = agency + leg.amount
            else:
                platform = platform + leg.amount
        if op.status is not PaymentOperationStatus.SUCCEEDED:
            continue
        escrow = Money(int(op.request.metadata.get("escrow", op.request.amount.amount)), currency)
        if op.purpose is PaymentPurpose.FUND:
            funded = funded + escrow
            brand_fees = brand_fees + (op.request.amount - escrow)
        elif op.purpose is PaymentPurpose.REFUND:
            refunded = refunded + escrow
        elif op.fees is not None:
            released = released + op.fees.gross
            platform = platform + op.fees.platform_fee
            agency = agency + op.fees.agency_cut
            net = net + op.fees.creator_net
    escrow_id = account_id(LedgerAccountKind.DEAL_ESCROW, currency, deal_id=deal.id)
    found = view.ledger.ledger_accounts([escrow_id]).get(escrow_id)
    balance = None if found is None else found[1]
    return DealMoney(
        deal_id=deal.id,
        state=deal.state,
        currency=currency,
        price=price,
        funded=funded,
        brand_fees=brand_fees,
        released=released,
        platform_fees=platform,
        agency_cut=agency,
        creator_net=net,
        refunded=refunded,
        held=funded - released - refunded,
        escrow_balance=balance,
        operations=tuple(operations),
    )


def _readable_deal(view: View, actor: Actor, deal_id: str) -> Deal:
    from ..workflow._machine import load_deal

    deal, _ = load_deal(view, actor, deal_id)
    return deal


def _movable_deal(view: View, actor: Actor, deal_id: str) -> Deal:
    """The deal, if ``actor`` may make its money move: the system, or the deal's brand."""
    deal = _readable_deal(view, actor, deal_id)
    if actor.kind is PartyKind.SYSTEM or (actor.kind is PartyKind.BRAND and actor.id == deal.brand_id):
        return deal
    raise PermissionDenied(str(actor), "move_money", f"only the system or the brand moves deal {deal_id}'s money")
