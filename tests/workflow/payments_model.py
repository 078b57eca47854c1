"""The reference model behind ``test_payments_state_machine``: what a deal's money must have done, step by step.

The model knows a deal's contract (its schedule, its cancellation terms), the ``[money.fees]`` table and the
agency's cut, follows the deal's state as the machine moves it, and says which movements ``kit.payments`` must
have made by now, each with its exact amounts: the fund (the price plus the brand's fees), the milestone releases
as their triggers are reached, the kill fee or the arbiter's share, the refund of the rest. It is the table of
``docs/payments.md`` written as plainly as it can be, not the kit's planner: only the order of the steps (the next
movement waits until the one before it has succeeded) is the kit's documented behaviour it relies on.

Faults are part of it: a movement the provider left pending, or whose success the core did not commit (a crash),
is *in flight*; the kit finishes it before it plans anything else, and so does the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from creatorkit import Money
from creatorkit.entities import (
    CancellationTerms,
    DealState,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentPurpose,
    PaymentSchedule,
    ScheduleKind,
)
from creatorkit.money import allocate

S = DealState
#: States in which a milestone with each trigger has fallen due (docs/payments.md, "What moves when").
SIGNED = frozenset(
    {S.EXECUTED, S.IN_PRODUCTION, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.PUBLISHED, S.COMPLETED}
)
DUE_IN = {
    MilestoneTrigger.ON_SIGNATURE: SIGNED,
    MilestoneTrigger.ON_DRAFT_APPROVED: frozenset({S.APPROVED, S.PUBLISHED, S.COMPLETED}),
    MilestoneTrigger.ON_PUBLICATION: frozenset({S.PUBLISHED, S.COMPLETED}),
    MilestoneTrigger.ON_KPI_REPORT: frozenset({S.COMPLETED}),
}
ENDED_UNFINISHED = frozenset({S.CANCELLED, S.EXPIRED})
WHOLE = 10_000  # basis points in the whole


@attrs.frozen
class Fees:
    """The ``[money.fees]`` table of a sequence: a flat commission, on the creator's side or the brand's."""

    rate_bp: int
    brand_side: bool = False
    per_project_fee: int = 0  # minor units, charged with the first fund (brand side only)

    def table(self, currency: str) -> dict[str, object]:
        table: dict[str, object] = {"policy": "flat", "rate_bp": self.rate_bp}
        if self.brand_side:
            table["side"] = "brand"
            if self.per_project_fee:
                table["per_project_fee"] = {currency: self.per_project_fee}
        return table

    @property
    def creator_side_bp(self) -> int:
        return 0 if self.brand_side else self.rate_bp

    def service_fee(self, gross: int) -> int:
        """What the brand pays on top of ``gross`` (brand side): the rate's share of it, rounded as every split is."""
        if not self.brand_side or not self.rate_bp:
            return 0
        return allocate(gross, [self.rate_bp, WHOLE - self.rate_bp])[0]


@attrs.frozen
class Split:
    """One payout's gross in its three parts, with the basis points each part stands for."""

    gross: int
    platform_fee: int
    agency_cut: int
    creator_net: int
    bps: tuple[int, int, int]

    @classmethod
    def of(cls, gross: int, platform_bp: int, agency_bp: int) -> Split:
        bps = (platform_bp, agency_bp, WHOLE - platform_bp - agency_bp)
        platform, agency, net = allocate(gross, list(bps))
        return cls(gross, platform, agency, net, bps)


@attrs.frozen
class Movement:
    """One movement the deal's money must make: its step code (``f``, ``f0``, ``r1``, ``k``, ``s``, ``x``),
    what the provider moves, what escrow gains or gives up, and (for a payout) its split."""

    code: str
    purpose: PaymentPurpose
    amount: int
    escrow: int
    split: Split | None = None

    @property
    def reaches_provider(self) -> bool:
        """A payout whose whole gross went to fees has no receiver: it is written to the ledger only."""
        return self.split is None or self.amount > 0


@attrs.frozen
class DealTerms:
    """What a sequence's deal was agreed on."""

    currency: str
    kind: ScheduleKind
    milestones: tuple[tuple[int, MilestoneTrigger], ...]
    cancellation: CancellationTerms
    fees: Fees
    agency_cut_bp: int  # 0: the creator is on no roster that takes a cut
    revision_limit: int = 2

    @property
    def price(self) -> int:
        return sum(amount for amount, _ in self.milestones)

    def schedule(self) -> PaymentSchedule:
        return PaymentSchedule(
            kind=self.kind,
            milestones=tuple(
                PaymentMilestone(label=f"part {index + 1}", amount=Money(amount, self.currency), trigger=trigger)
                for index, (amount, trigger) in enumerate(self.milestones)
            ),
        )


@attrs.define
class DealModel:
    """Where the deal stands and what its money must have done; see the module docstring."""

    terms: DealTerms
    state: DealState = DealState.CONTRACT_SENT
    before_dispute: DealState | None = None
    drafted: bool = False
    revisions_used: int = 0
    settlement: int | None = None  # the arbiter's creator share, once settled
    done: dict[str, Movement] = attrs.Factory(dict)  # by step code, in the order they succeeded
    in_flight: Movement | None = None
    pend_next: bool = False  # the provider leaves the next movement it is asked for pending, once
    crash_next: bool = False  # the next commit of a provider's success fails (the process dies), once

    # --- what has moved --------------------------------------------------------------------------------------

    def total(self, *purposes: PaymentPurpose, field: str = "escrow") -> int:
        return sum(getattr(m, field) for m in self.done.values() if m.purpose in purposes)

    @property
    def funded(self) -> int:
        return self.total(PaymentPurpose.FUND)

    @property
    def brand_fees(self) -> int:
        return self.total(PaymentPurpose.FUND, field="amount") - self.funded

    @property
    def released(self) -> int:
        return self.total(PaymentPurpose.RELEASE, PaymentPurpose.KILL_FEE, PaymentPurpose.SETTLEMENT)

    @property
    def refunded(self) -> int:
        return self.total(PaymentPurpose.REFUND)

    @property
    def held(self) -> int:
        return self.funded - self.released - self.refunded

    @property
    def revisions_left(self) -> bool:
        return self.revisions_used < self.terms.revision_limit

    def splits(self) -> list[Split]:
        return [m.split for m in self.done.values() if m.split is not None]

    # --- the deal moves --------------------------------------------------------------------------------------

    def move(self, state: DealState) -> None:
        if state is DealState.DISPUTED:
            self.before_dispute = self.state
        self.state = state

    def sync(self) -> bool:
        """One ``kit.payments.sync``: finish what is in flight, then make each movement now due, in order, until
        one is left pending or nothing is due. False when the process died committing a success (a crash)."""
        if self.state is DealState.EXECUTED and "f" in self.done:
            self.state = DealState.IN_PRODUCTION  # funded while disputed, then resumed: production starts now
        while True:
            if self.in_flight is None:
                step = self.next_step()
                if step is None:
                    return True
                self.in_flight = step
                if self.pend_next:
                    self.pend_next = False
                    return True  # left waiting; the next sync retrieves it
            if self.crash_next:  # (a success the provider left pending is committed when it is retrieved)
                self.crash_next = False
                return False  # the provider moved it; the core never recorded that
            self.succeed(self.in_flight)

    def succeed(self, movement: Movement) -> None:
        self.done[movement.code] = movement
        self.in_flight = None
        if movement.code == "f" and self.state is DealState.EXECUTED:
            self.state = DealState.IN_PRODUCTION  # a funded schedule starts production

    # --- planning, as docs/payments.md's table says ----------------------------------------------------------

    def next_step(self) -> Movement | None:
        """The first movement the deal's state calls for that has not succeeded yet."""
        if self.state is DealState.DISPUTED:
            return None
        if self.settlement is not None or self.state in ENDED_UNFINISHED:
            return self.ending_step()
        if self.state not in SIGNED:
            return None
        whole = self.terms.kind is not ScheduleKind.POSTPAY
        if whole and "f" not in self.done:
            return self.fund("f", [amount for amount, _ in self.terms.milestones], first=True)
        for index, (amount, trigger) in enumerate(self.terms.milestones):
            if self.state not in DUE_IN[trigger]:
                continue
            if not whole and f"f{index}" not in self.done:
                return self.fund(f"f{index}", [amount], first=index == 0)
            if f"r{index}" not in self.done:
                return self.payout(f"r{index}", PaymentPurpose.RELEASE, amount)
        return None

    def fund(self, code: str, parts: Sequence[int], *, first: bool) -> Movement:
        fees = self.terms.fees
        brand_fees = sum(fees.service_fee(part) for part in parts)
        if first and fees.brand_side:
            brand_fees += fees.per_project_fee
        gross = sum(parts)
        return Movement(code, PaymentPurpose.FUND, amount=gross + brand_fees, escrow=gross)

    def payout(self, code: str, purpose: PaymentPurpose, gross: int) -> Movement:
        split = Split.of(gross, self.terms.fees.creator_side_bp, self.terms.agency_cut_bp)
        return Movement(code, purpose, amount=split.creator_net + split.agency_cut, escrow=gross, split=split)

    def ending_step(self) -> Movement | None:
        """An unfinished deal that ended, or was settled: the creator's part of what escrow holds, then the rest
        back to the brand."""
        held = self.held
        if held <= 0:
            return None
        code = "s" if self.settlement is not None else "k"
        if code not in self.done:
            gross = self.creator_part(held)
            if gross > 0:
                purpose = PaymentPurpose.SETTLEMENT if code == "s" else PaymentPurpose.KILL_FEE
                return self.payout(code, purpose, gross)
        if "x" not in self.done:
            return Movement("x", PaymentPurpose.REFUND, amount=held, escrow=held)
        return None

    def creator_part(self, held: int) -> int:
        if self.settlement is not None:
            return min(self.settlement, held)
        terms = self.terms.cancellation
        if not terms.refund_unreleased_escrow:
            return held  # nothing goes back: what escrow holds is the creator's
        owed_bp = terms.kill_fee_bp_at(draft_submitted=self.drafted)
        owed = allocate(self.terms.price, [owed_bp, WHOLE - owed_bp])[0] if owed_bp < WHOLE else self.terms.price
        return min(max(owed - self.released, 0), held)
