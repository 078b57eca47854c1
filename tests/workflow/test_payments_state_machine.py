"""No money is lost: ``kit.payments`` against a reference model, over random sequences of deal moves and faults
(a Hypothesis state machine, issue 12).

Each sequence agrees one deal on drawn terms (JPY/KRW with no decimals, USD with two, KWD with three (BHD too when
the provider takes it); a prepaid, staged or postpaid schedule of one to three milestones with drawn triggers; a
creator-side or brand-side commission, with or without an agency's cut; drawn kill fees) and moves it through the
real services: both sign (the fund, and what falls due on signature), drafts, changes asked, approval and
publication (milestone releases), a cancellation before or after a draft (kill fee, refund), a dispute settled with
a drawn creator share or resumed, a deadline passing (expiry, auto-approval, completion, a dispute closed). Faults in
between: the provider times out after moving the money (echo_pay's switch), leaves a movement pending until the next
sync, or the process dies committing the provider's success (the store's commit raises once; a new kit then finds
the movement started and asks again with the same id); webhooks about the provider's operations are delivered
duplicated and out of order through ``kit.webhooks.receive``, each followed by the sync it hints at.

After every step: the movements made are the model's (``payments_model``), with exact amounts and splits, none
twice; ``kit.payments.money`` says held = funded - released - refunded, and held is the escrow account's balance;
every ledger account holds what the movements put there and none that cannot owe is below zero; the ledger verifies
(every entry balances); every split adds up to its gross, each part within one minor unit of its rate; and the
provider's own books hold each operation once, as the core asked it, with no movement the core does not know of.

Each sequence starts from the same parties on one database per store, put back before it (``ReusedDatabase``).
``CREATORKIT_PAYMENTS_PROFILE=payments-ci`` runs 2,000 sequences per store (``.ci/run`` sets it); by default 25 run
(``CREATORKIT_PAYMENTS_EXAMPLES`` sets another number).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from creatorkit import Actor, Creatorkit, Money
from creatorkit._change import View
from creatorkit.config import Config
from creatorkit.entities import (
    CancellationTerms,
    Contract,
    DealState,
    Dispute,
    DisputeStatus,
    LedgerAccountKind,
    MilestoneTrigger,
    PaymentOperationStatus,
    ScheduleKind,
)
from creatorkit.host import PluginHost
from creatorkit.ledger import account_id
from creatorkit.workflow import _payments
from creatorkit.workflow._payments import DealMoney
from creatorkit.workflow._states import timeout_action
from creatorkit_echo import EchoPlatform
from databases import DIALECTS, Contents, ReusedDatabase
from world import Clock

from .payments_model import WHOLE, DealModel, DealTerms, Fees
from .payments_world import (
    AGENCY,
    BRAND,
    CAPTION,
    CURRENCIES,
    ELEMENTS,
    PROVIDERS,
    REPRESENTED,
    SOLO,
    START,
    SYSTEM,
    CrashSwitch,
    Parties,
    ProviderUnderTest,
    SimulatedCrash,
    agree_deal,
    amend_to,
    crashing_commits,
    deal_terms,
    populate,
    receivers_of,
    sign,
    unit_of,
)

PROFILE_ENV = "CREATORKIT_PAYMENTS_PROFILE"
CI_PROFILE = "payments-ci"
_common = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], stateful_step_count=10)
settings.register_profile("payments", _common, max_examples=int(os.environ.get("CREATORKIT_PAYMENTS_EXAMPLES", "25")))
settings.register_profile(CI_PROFILE, _common, max_examples=2_000)

S = DealState
#: Where each timeout move takes a deal (the state table's ``timeout_action`` says which move it is).
TIMED_OUT = {"expire": S.EXPIRED, "auto_approve": S.APPROVED, "complete": S.COMPLETED, "resolve_cancel": S.CANCELLED}
#: Signed deals only: ending one before anything could move proves little (a deal is signed in one step).
CANCELLABLE = frozenset({S.EXECUTED, S.IN_PRODUCTION, S.IN_REVIEW, S.CHANGES_REQUESTED})
DISPUTABLE = frozenset({S.EXECUTED, S.IN_PRODUCTION, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.PUBLISHED})
CAN_OWE_NOTHING = ("deal_escrow", "creator_payable", "agency_share", "platform_fees")


def payments_settings() -> settings:
    return settings.get_profile(os.environ.get(PROFILE_ENV, "payments"))


class Suite:
    """One database of a dialect holding the parties every sequence starts from; the providers, each registered
    once beside the echo platform; the crash switch on the store's commits."""

    def __init__(self, reused: ReusedDatabase, switch: CrashSwitch) -> None:
        self.reused = reused
        self.switch = switch
        self.plain = PluginHost()  # the platform alone: a kit moving no money, to set a deal up without syncs
        self.plain.register(EchoPlatform(), name="echo")
        self.providers: dict[str, tuple[ProviderUnderTest, PluginHost]] = {}
        self.parties: Parties = populate(self.kit(self.fresh_store(), self.plain), CURRENCIES)
        parties = reused.snapshot()
        # A sequence starts from a deal of its currency and creator with its contract sent, which it amends to its
        # own terms: one write, where agreeing a deal from the invitation on takes five.
        self.starts: dict[tuple[str, str], tuple[Contents, Contract]] = {}
        for currency in CURRENCIES:
            for creator in (SOLO, REPRESENTED):
                contract = agree_deal(self.kit(self.fresh_store(parties), self.plain), self.parties, currency, creator)
                self.starts[currency, creator.id] = (reused.snapshot(), contract)

    def provider(self, name: str) -> tuple[ProviderUnderTest, PluginHost]:
        """The provider ``name`` with no history, and a plugin host holding it and the echo platform."""
        if name not in self.providers:
            provider = PROVIDERS[name]()
            host = PluginHost()
            host.register(EchoPlatform(), name="echo")
            host.register(provider.plugin, name=provider.name, group="creatorkit.payments")
            self.providers[name] = (provider, host)
        provider, host = self.providers[name]
        provider.reset()
        return provider, host

    def fresh_store(self, start: Contents | None = None) -> Any:
        """The database put back as migrated (or as it was at ``start``); its commits pass the crash switch first."""
        store: Any = self.reused.fresh_store(start)  # its commit and begin are wrapped below
        if not getattr(store, "_crash_switch", None):
            commit, begin = store._commit, store._begin

            def checked_commit(conn: Any) -> None:
                self.switch.before_commit()
                commit(conn)

            def begin_afresh(conn: Any, readonly: bool) -> None:
                self.switch.recording = False
                begin(conn, readonly)

            store._commit, store._begin, store._crash_switch = checked_commit, begin_afresh, True
        return store

    @staticmethod
    def kit(store: Any, plugins: PluginHost, config: Config | None = None, clock: Any = None) -> Creatorkit:
        return Creatorkit(store=store, plugins=plugins, config=config or Config(), clock=clock or (lambda: START))


@functools.cache
def picks(count: int) -> st.SearchStrategy[list[int]]:
    """Indexes into ``count`` things, one to four of them, repeats and any order allowed (duplicated, reordered)."""
    return st.lists(st.integers(0, count - 1), min_size=1, max_size=4)


@functools.cache
def shares(most: int, unit: int) -> st.SearchStrategy[int]:
    """A creator share of what escrow holds (``most``): nothing, all of it, or any whole number of ``unit`` between."""
    return st.one_of(st.just(0), st.just(most), st.integers(0, most // unit).map(lambda n: n * unit))


SIDES = st.sampled_from(["brand", "creator"])
FAULTS = st.sampled_from(["timeouts", "no timeouts", "pending", "crash"])


def in_state(*states: DealState) -> Callable[[PaymentsMachine], bool]:
    """A rule's precondition: the model's deal is in one of ``states``."""
    return lambda machine: machine.model.state in states


class PaymentsMachine(RuleBasedStateMachine):
    def __init__(self, suite: Suite, provider_name: str) -> None:
        super().__init__()
        self.suite = suite
        suite.switch.armed = False
        self.provider, self.plugins = suite.provider(provider_name)
        self.clock = Clock(START)
        self.units = {c: unit_of(c, self.provider.capabilities, self.provider.name) for c in self.currencies()}
        self.accepted_events: set[str] = set()
        self.syncs = 0
        self.touched = False  # whether a step since the last check reached the kit

    def currencies(self) -> tuple[str, ...]:
        return tuple(c for c in CURRENCIES if self.provider.capabilities.currency(c) is not None)

    # --- the kit, and a process that dies ------------------------------------------------------------------------

    def start_kit(self) -> None:
        """A kit (a process) on the sequence's store and provider; each ``kit.payments.sync`` it runs is counted."""
        config = Config.from_mapping(
            {"money": {"provider": self.provider.name, "fees": self.terms.fees.table(self.terms.currency)}}
        )
        self.kit: Creatorkit = Suite.kit(self.store, self.plugins, config, self.clock)
        payments = self.kit.payments
        sync = payments.sync

        def counted(actor: Actor, deal_id: str) -> Any:
            self.syncs += 1
            return sync(actor, deal_id)

        payments.sync = counted  # type: ignore[method-assign]

    def act(self, call: Callable[[], object], state: DealState | None = None) -> None:
        """Make ``call``; the model moves the deal to ``state`` and syncs as often as the kit did. A crash the model
        predicts must happen, and then a new process takes over."""
        self.syncs = 0
        self.touched = True
        try:
            call()
            crashed = False
        except SimulatedCrash:
            crashed = True
        if state is not None:
            self.model.move(state)
        alive = all(self.model.sync() for _ in range(self.syncs))  # stops at the first sync that crashed
        assert crashed == (not alive), "the crash came where the model expected it" if crashed else "no crash came"
        if crashed:
            event("a process died committing a provider's success")
            self.start_kit()

    # --- the deal --------------------------------------------------------------------------------------------------

    @initialize(data=st.data())
    def agree(self, data: st.DataObject) -> None:
        self.terms: DealTerms = data.draw(deal_terms(self.currencies(), self.units))
        self.model = DealModel(self.terms)
        creator = REPRESENTED if self.terms.agency_cut_bp else SOLO
        start, sent = self.suite.starts[self.terms.currency, creator.id]
        self.store = self.suite.fresh_store(start)
        self.start_kit()
        self.contract: Contract = amend_to(self.kit, sent, self.terms)
        self.touched = True
        self.deal_id = self.contract.deal_id
        self.creator = Actor.creator(self.contract.creator_id)

    def actor(self, side: str) -> Actor:
        return BRAND if side == "brand" else self.creator

    @precondition(in_state(S.CONTRACT_SENT))
    @rule(first=SIDES)
    def sign_both(self, first: str) -> None:
        second = "creator" if first == "brand" else "brand"
        self.act(lambda: sign(self.kit, self.suite.parties, self.actor(first), self.contract))
        # A postpaid deal has nothing to fund before the work: it goes into production when executed.
        executed = S.IN_PRODUCTION if self.terms.kind is ScheduleKind.POSTPAY else S.EXECUTED
        self.act(lambda: sign(self.kit, self.suite.parties, self.actor(second), self.contract), executed)

    @precondition(in_state(S.IN_PRODUCTION, S.CHANGES_REQUESTED))
    @rule()
    def submit_draft(self) -> None:
        self.model.drafted = True
        self.act(
            lambda: self.kit.content.submit_draft(self.creator, self.deal_id, caption=CAPTION, elements=ELEMENTS),
            S.IN_REVIEW,
        )

    @precondition(lambda self: self.model.state is S.IN_REVIEW and self.model.revisions_left)
    @rule()
    def request_changes(self) -> None:
        self.model.revisions_used += 1
        self.act(
            lambda: self.kit.content.review(BRAND, self.deal_id, approve=False, items=["brighter light"]),
            S.CHANGES_REQUESTED,
        )

    @precondition(in_state(S.IN_REVIEW))
    @rule()
    def approve(self) -> None:
        self.act(lambda: self.kit.content.review(BRAND, self.deal_id, approve=True), S.APPROVED)

    @precondition(in_state(S.APPROVED))
    @rule()
    def publish(self) -> None:
        self.act(
            lambda: self.kit.content.record_published(
                self.creator, self.deal_id, platform_post_id=f"post-{self.deal_id}", url="https://echo.example/p"
            ),
            S.PUBLISHED,
        )

    @precondition(in_state(*CANCELLABLE))
    @rule(side=SIDES)
    def cancel(self, side: str) -> None:
        self.act(lambda: self.kit.deals.cancel(self.actor(side), self.deal_id, reason="campaign dropped"), S.CANCELLED)

    @precondition(in_state(*DISPUTABLE))
    @rule(side=SIDES)
    def dispute(self, side: str) -> None:
        self.act(lambda: self.kit.deals.open_dispute(self.actor(side), self.deal_id, reason="off brief"), S.DISPUTED)

    def open_dispute_id(self) -> str:
        """The deal's open dispute (read from the store: a crash after opening it lost the call's answer)."""
        with self.kit.store.read() as tx:
            disputes = View(tx, self.kit._entities).find("dispute", Dispute, parent=self.deal_id)
        [dispute] = [d for d in disputes if d.status is DisputeStatus.OPEN]
        return dispute.id

    @precondition(in_state(S.DISPUTED))
    @rule(data=st.data(), outcome=st.sampled_from(["complete", "cancel"]))
    def settle(self, data: st.DataObject, outcome: str) -> None:
        share = data.draw(shares(self.model.held, self.units[self.terms.currency]))
        self.model.settlement = share
        self.act(
            lambda: self.kit.payments.settle_dispute(
                SYSTEM,
                self.open_dispute_id(),
                creator_share=Money(share, self.terms.currency),
                resolution="split",
                outcome=outcome,
            ),
            S.COMPLETED if outcome == "complete" else S.CANCELLED,
        )

    @precondition(in_state(S.DISPUTED))
    @rule()
    def resume(self) -> None:
        state = self.model.before_dispute
        assert state is not None
        self.act(
            lambda: self.kit.deals.resolve_dispute(
                SYSTEM, self.open_dispute_id(), outcome="resume", resolution="go on"
            ),
            state,
        )

    @precondition(lambda self: self.model.state is not S.CONTRACT_SENT and timeout_action(self.model.state) is not None)
    @rule()
    def deadline_passes(self) -> None:
        deal = self.kit.deals.get(BRAND, self.deal_id)
        assert deal.deadline is not None, f"a {deal.state} deal waits for its deadline"
        self.clock.now = max(self.clock.now, deal.deadline)
        action = timeout_action(self.model.state)
        assert action is not None
        self.act(lambda: self.kit.deals.process_deadlines(), TIMED_OUT[action])

    # --- faults, syncs and webhooks ----------------------------------------------------------------------------

    @rule(fault=FAULTS)
    def a_fault_is_coming(self, fault: str) -> None:
        """What goes wrong from now on: the provider's first answer to each movement is lost after it moved the money
        (the core asks again with the same id: nothing changes for the model, each moves once), or no longer; the
        provider leaves the next movement pending (the next sync retrieves it); the process dies at the next commit
        of a provider's success (the next kit asks again with the same id). One a provider cannot do is skipped."""
        provider, model = self.provider, self.model
        if fault in ("timeouts", "no timeouts") and provider.timeouts:
            provider.configure(timeout_after_success=fault == "timeouts")
        elif fault == "pending" and provider.pending and not model.pend_next:
            provider.pend_next()
            model.pend_next = True
        elif fault == "crash" and not model.crash_next:
            self.suite.switch.armed = True
            model.crash_next = True

    @precondition(lambda self: self.model.in_flight is not None)
    @rule()
    def sync(self) -> None:
        """What the deadline run or an operator does for a movement left waiting or crashed: see it through. (A sync
        with nothing waiting moving nothing is what every webhook delivery's sync shows.)"""
        self.act(lambda: self.kit.payments.sync(SYSTEM, self.deal_id))

    @precondition(lambda self: self.provider.webhooks and self.provider.movements())
    @rule(data=st.data())
    def webhooks_arrive(self, data: st.DataObject) -> None:
        """Events about the provider's operations, some twice, in any order: each is accepted once, and the sync it
        hints at moves nothing that was not due."""
        answers = list(self.provider.answers())
        self.touched = True
        picked = data.draw(picks(len(answers)))

        def deliver() -> None:
            # The kit re-reads what an accepted event names (a sync) after the delivery's commit: a crash there
            # comes out of receive, with the event already kept.
            for index in picked:
                answer = answers[index]
                event_id = f"evt_{answer.operation_id}_{answer.raw_status}"
                request = self.provider.webhook_request(answer, event_id, self.clock.now)
                again = event_id in self.accepted_events
                try:
                    received = self.kit.webhooks.receive(self.provider.name, request)
                except SimulatedCrash:
                    self.accepted_events.add(event_id)
                    raise
                accepted = [notice.event_id for notice in received.notices]
                duplicates = [notice.event_id for notice in received.duplicates]
                if again:
                    event("a webhook event delivered again")
                    assert (accepted, duplicates) == ([], [event_id]), "an event delivered again is dropped"
                else:
                    assert (accepted, duplicates) == ([event_id], []), "a new event is accepted"
                    self.accepted_events.add(event_id)
                assert received.notices[0].operation_id == answer.operation_id if received.notices else True
            self.kit.payments.sync(SYSTEM, self.deal_id)

        self.act(deliver)

    # --- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def no_money_is_lost(self) -> None:
        """Everything the module docstring lists, from one read of the deal's money and one of the ledger's."""
        if not self.touched:
            return  # the step changed nothing the kit or the provider holds (a fault switched on, say)
        self.touched = False
        money = self.kit.payments.money(SYSTEM, self.deal_id)
        assert money.state is self.model.state
        self.movements_are_the_models(money)
        self.money_adds_up(money)
        self.every_split_is_exact()
        self.the_ledger_holds_what_moved()
        self.the_providers_books_agree(money)

    def movements_are_the_models(self, money: DealMoney) -> None:
        model = self.model
        succeeded = [op for op in money.operations if op.status is PaymentOperationStatus.SUCCEEDED]
        codes = [op.request.metadata["step"] for op in succeeded]
        # (Listed by creation time, then id: in one instant of the test's clock that is not the order they ran in.)
        assert sorted(codes) == sorted(model.done), "the movements the model calls for, each once"
        assert len(codes) == len(set(codes)), "no movement succeeded twice"
        for op in succeeded:
            expected = model.done[op.request.metadata["step"]]
            assert op.purpose is expected.purpose
            assert op.request.amount == Money(expected.amount, model.terms.currency), op.id
            assert int(op.request.metadata["escrow"]) == expected.escrow, op.id
            split = expected.split
            if split is None:
                assert op.fees is None
                continue
            assert op.fees is not None
            fees = op.fees
            parts = (fees.gross, fees.platform_fee, fees.agency_cut, fees.creator_net)
            assert tuple(part.amount for part in parts) == (
                split.gross,
                split.platform_fee,
                split.agency_cut,
                split.creator_net,
            ), op.id
            assert (fees.platform_fee_bp, fees.agency_cut_bp) == split.bps[:2]
        open_codes = [op.request.metadata["step"] for op in money.operations if op.status.open]
        assert open_codes == ([model.in_flight.code] if model.in_flight else []), "what waits is what the model says"
        assert not money.failed
        assert len({op.id for op in money.operations}) == len(money.operations)

    def money_adds_up(self, money: DealMoney) -> None:
        model = self.model
        amounts = (money.funded, money.brand_fees, money.released, money.refunded, money.held)
        assert tuple(m.amount for m in amounts) == (
            model.funded,
            model.brand_fees,
            model.released,
            model.refunded,
            model.held,
        )
        assert money.held + money.released + money.refunded == money.funded, "escrow + released + refunded = funded"
        assert money.released == money.platform_fees + money.agency_cut + money.creator_net
        escrow = money.escrow_balance.posted if money.escrow_balance else Money.zero(money.currency)
        assert escrow == money.held, "the escrow account holds what is held"

    def every_split_is_exact(self) -> None:
        for split in self.model.splits():
            parts = (split.platform_fee, split.agency_cut, split.creator_net)
            assert sum(parts) == split.gross
            for part, bp in zip(parts, split.bps, strict=True):
                assert abs(part * WHOLE - split.gross * bp) < WHOLE, f"{part} is not {bp} bp of {split.gross}"

    def expected_balances(self) -> dict[str, int]:
        """Each ledger account the deal's movements opened, with what it must hold (on its normal side)."""
        currency, model = self.terms.currency, self.model
        splits = model.splits()
        if not model.done:
            return {}
        moved = {
            # Paid in and back out again at once: what the brand paid is in escrow, the fees' account or refunded.
            account_id(LedgerAccountKind.BRAND_FUNDING, currency, holder=BRAND.id): (0, True),
            account_id(LedgerAccountKind.DEAL_ESCROW, currency, deal_id=self.deal_id): (model.held, True),
            account_id(LedgerAccountKind.CREATOR_PAYABLE, currency, holder=self.creator.id): (
                sum(s.creator_net for s in splits),
                any(s.creator_net for s in splits),
            ),
            account_id(LedgerAccountKind.AGENCY_SHARE, currency, holder=AGENCY.id): (
                sum(s.agency_cut for s in splits),
                any(s.agency_cut for s in splits),
            ),
            account_id(LedgerAccountKind.PLATFORM_FEES, currency): (
                sum(s.platform_fee for s in splits) + model.brand_fees,
                any(s.platform_fee for s in splits) or model.brand_fees > 0,
            ),
        }
        return {account: amount for account, (amount, opened) in moved.items() if opened}

    def the_ledger_holds_what_moved(self) -> None:
        assert self.kit.ledger.verify(SYSTEM) == [], "every entry balances; every account's counters are its entries'"
        expected = self.expected_balances()
        balances = self.kit.ledger.balances(SYSTEM, sorted(expected)) if expected else {}
        for account, balance in balances.items():
            assert balance.posted.amount == expected[account], account
            assert balance.available.amount >= 0, f"{account} cannot owe, yet is below zero"

    def the_providers_books_agree(self, money: DealMoney) -> None:
        """The provider moved each operation once, as the core asked it; all it moved the core has recorded, but
        what is in flight; what its receivers hold is what the releases paid them."""
        moved = self.provider.movements()
        operations = {op.id: op for op in money.operations}
        for op_id, request in moved.items():
            assert op_id in operations and operations[op_id].request == request, f"{op_id} moved as the core asked"
        steps = [request.metadata["step"] for request in moved.values()]
        assert len(steps) == len(set(steps)), "no movement reached the provider twice"
        in_flight = {self.model.in_flight.code} if self.model.in_flight else set()
        assert set(steps) - set(self.model.done) <= in_flight, "what the provider moved is recorded, or in flight"
        for code, movement in self.model.done.items():
            assert code in steps or not movement.reaches_provider, f"{code} succeeded without reaching the provider"
        paid = receivers_of(list(moved.values()))
        received = self.provider.received(self.terms.currency)
        assert {a: m.amount for a, m in received.items() if m.amount} == {a: n for a, n in paid.items() if n}


@pytest.fixture(params=DIALECTS)
def suite(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Suite]:
    """A database of each dialect holding the parties, with a crash switch on the commits that record a success."""
    switch = CrashSwitch()
    monkeypatch.setattr(_payments, "_write_entries", crashing_commits(switch, _payments._write_entries))
    with ReusedDatabase.of(request.param, tmp_path) as reused:
        yield Suite(reused, switch)


@pytest.mark.parametrize("provider", ["echo_pay"])
def test_no_money_is_lost(suite: Suite, provider: str) -> None:
    # Hypothesis accepts any factory of machines (its annotation says a class).
    run_state_machine_as_test(lambda: PaymentsMachine(suite, provider), settings=payments_settings())  # type: ignore[arg-type]


def test_a_coarse_currencys_release_is_one_the_provider_can_make(suite: Suite) -> None:
    """4.010 KWD released at a 25 % commission: the creator's net must be whole tens of fils for echo_pay."""
    provider, plugins = suite.provider("echo_pay")
    start, sent = suite.starts["KWD", SOLO.id]
    terms = DealTerms(
        currency="KWD",
        kind=ScheduleKind.PREPAY,
        milestones=((4_010, MilestoneTrigger.ON_SIGNATURE),),
        cancellation=CancellationTerms(),
        fees=Fees(rate_bp=2_500),
        agency_cut_bp=0,
    )
    config = Config.from_mapping({"money": {"provider": provider.name, "fees": terms.fees.table("KWD")}})
    kit = Suite.kit(suite.fresh_store(start), plugins, config)
    contract = amend_to(kit, sent, terms)
    for party in (BRAND, SOLO):
        sign(kit, suite.parties, party, contract)
    money = kit.payments.money(SYSTEM, contract.deal_id)
    assert [op.failure_reason for op in money.failed] == []
    assert money.released == Money(4_010, "KWD")
