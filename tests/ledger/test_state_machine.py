"""The ledger against a reference model, over random sequences of operations (Hypothesis state machine).

Each sequence starts from nothing, on one migrated database per store (a SQLite file, a PostgreSQL schema) put back
as migrating left it before each sequence (``reused_kits``: see ``databases.ReusedDatabase``, and
``test_reused_database`` for the proof that a reset database is a new one). It holds one deal, with every kind of
account opened in one to three currencies drawn from JPY/KRW (no decimals), USD/CNY (two) and KWD/BHD (three).
Steps: money in from a provider, plain transfers (two to four legs, sometimes in two currencies), pending entries,
posts (whole, partial, too much), voids, corrections, batches (all or nothing), retries of an operation with the
same id (applied once) and with other parameters (IdempotencyConflict). After every step: the balances are the
model's, no account that cannot owe is below zero, every pending entry's status is the model's (so none is resolved
twice), and the stored ledger sums up (every entry balances per currency, every account's counters are its
entries').

At the end of each sequence, every entry is in the audit trail, as written.

``CREATORKIT_LEDGER_PROFILE=ledger-ci`` runs 2,000 sequences per store (``.ci/run`` sets it: CI runs them); by
default 40 run (``CREATORKIT_LEDGER_EXAMPLES`` sets another number).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from creatorkit import Money
from creatorkit.audit import payload_hash
from creatorkit.converter import unstructure
from creatorkit.entities import LedgerEntry, LedgerEntryKind, LedgerEntryStatus, NormalBalance, Posting
from creatorkit.errors import IdempotencyConflict, InsufficientFunds, StateError, ValidationError
from creatorkit.ledger import Correction, LedgerOperation, Pending, Post, Transfer, Void
from creatorkit.money import allocate, currency_exponent

from .conftest import SYSTEM, Kits, ReusedDatabaseKits, add_deal, ledger_settings, open_accounts

CURRENCIES = ("JPY", "KRW", "USD", "CNY", "KWD", "BHD")
Moves = dict[str, tuple[int, int, int]]  # account -> (posted, pending debits, pending credits) deltas
T = TypeVar("T")


@attrs.define
class ModelAccount:
    normal: int  # 1: debit-normal, -1: credit-normal
    may_owe: bool
    currency: str
    posted: int = 0  # debits positive
    pending_debits: int = 0
    pending_credits: int = 0

    def available(self, posted: int = 0, debits: int = 0, credits: int = 0) -> int:
        reserved = self.pending_credits + credits if self.normal == 1 else self.pending_debits + debits
        return self.normal * (self.posted + posted) - reserved


@attrs.define
class Model:
    """The simplest ledger that could work: counters per account, all-or-nothing moves."""

    accounts: dict[str, ModelAccount] = attrs.Factory(dict)

    def allows(self, moves: Moves) -> bool:
        return all(self.accounts[a].may_owe or self.accounts[a].available(*d) >= 0 for a, d in moves.items())

    def move(self, moves: Moves) -> None:
        for account_id, (posted, debits, credits) in moves.items():
            account = self.accounts[account_id]
            account.posted += posted
            account.pending_debits += debits
            account.pending_credits += credits

    def copy(self) -> Model:
        """A model to try moves on (its accounts are copies: moving them leaves this one as it is)."""
        return Model({account_id: attrs.evolve(account) for account_id, account in self.accounts.items()})


def posted_moves(postings: tuple[Posting, ...], sign: int = 1) -> Moves:
    return {p.account: (sign * p.amount.amount, 0, 0) for p in postings}


# Each strategy is built once per argument and kept: Hypothesis validates a strategy when it is first drawn from,
# which costs about as much as the draw, and a sequence draws some 150 times. Same strategies, same draws.


@functools.cache
def amounts(currency: str) -> st.SearchStrategy[int]:
    """Amounts in minor units scaled to the currency: up to 10,000 major units, with 1 and the round ones often."""
    top = 10 ** (currency_exponent(currency) + 4)
    return st.one_of(st.just(1), st.sampled_from([10 ** currency_exponent(currency), top]), st.integers(1, top))


@functools.lru_cache(maxsize=4096)
def one_of_these(options: tuple[T, ...]) -> st.SearchStrategy[T]:
    return st.sampled_from(options)


@functools.lru_cache(maxsize=4096)
def orders_of(options: tuple[T, ...]) -> st.SearchStrategy[list[T]]:
    return st.permutations(options)


@functools.lru_cache(maxsize=4096)
def between(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.lru_cache(maxsize=4096)
def amounts_to_post(reserved: int) -> st.SearchStrategy[int | None]:
    """What a post asks for of ``reserved``: all (None), some, or one unit too many."""
    return st.one_of(st.none(), st.integers(1, reserved), st.just(reserved + 1))


def draw_one(data: st.DataObject, options: Sequence[T]) -> T:
    drawn: T = data.draw(one_of_these(tuple(options)))  # the cache's wrapper does not keep the type
    return drawn


BOOLEANS = st.booleans()
MEMOS = st.sampled_from(["", "release", "payout", "refund"])


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, kits: Kits) -> None:
        super().__init__()
        self.kits = kits
        self.kit = kits.new()
        add_deal(self.kit, "deal_m")
        self.model = Model()
        self.ids = itertools.count()
        self.done: dict[str, tuple[LedgerOperation, LedgerEntry]] = {}  # operation id -> it, applied, and its entry
        self.entries: dict[str, LedgerEntry] = {}
        self.status: dict[str, LedgerEntryStatus] = {}  # pending entry -> where it stands
        self.corrected: set[str] = set()

    def teardown(self) -> None:
        try:
            events = {e.entity_id: e for e in self.kit.store.iter_audit() if e.entity_kind == "ledger_entry"}
            for entry in self.entries.values():  # every entry is in the audit trail, as written
                assert events[entry.id].payload_hash == payload_hash(unstructure(entry))
            assert len(events) == len(self.entries)
        finally:
            self.kits.discard(self.kit)

    # --- helpers -------------------------------------------------------------------------------------------------

    def op_id(self) -> str:
        return f"op_{next(self.ids)}"

    def accounts_in(self, currency: str) -> list[str]:
        return sorted(a for a, account in self.model.accounts.items() if account.currency == currency)

    def currencies(self) -> list[str]:
        return sorted({account.currency for account in self.model.accounts.values()})

    def expect(self, operation: LedgerOperation, moves: Moves | None, error: type[Exception] | None = None) -> None:
        """Apply ``operation``: it must succeed with ``moves`` when the model allows them, else raise as predicted."""
        if error is None and moves is not None and not self.model.allows(moves):
            error = InsufficientFunds
        if error is not None:
            with pytest.raises(error):
                self.kit.ledger.apply(SYSTEM, [operation])
            return
        assert moves is not None
        [entry] = self.kit.ledger.apply(SYSTEM, [operation])
        assert isinstance(entry, LedgerEntry) and entry.operation_id == operation.operation_id  # type: ignore[union-attr]
        self.model.move(moves)
        self.record(operation, entry)

    def record(self, operation: LedgerOperation, entry: LedgerEntry) -> None:
        self.done[entry.operation_id] = (operation, entry)
        self.entries[entry.id] = entry
        if entry.kind is LedgerEntryKind.PENDING:
            self.status[entry.id] = LedgerEntryStatus.PENDING
        elif entry.kind in (LedgerEntryKind.POST, LedgerEntryKind.VOID):
            assert entry.resolves is not None
            posted = entry.kind is LedgerEntryKind.POST
            self.status[entry.resolves] = LedgerEntryStatus.POSTED if posted else LedgerEntryStatus.VOIDED
        elif entry.kind is LedgerEntryKind.CORRECTION:
            assert entry.corrects is not None
            self.corrected.add(entry.corrects)

    def draw_transfer(self, data: st.DataObject) -> tuple[Transfer, Moves]:
        currencies = self.currencies()
        chosen = [draw_one(data, currencies)]
        if len(currencies) > 1 and data.draw(BOOLEANS):
            chosen.append(draw_one(data, [c for c in currencies if c != chosen[0]]))
        postings: list[Posting] = []
        for currency in chosen:
            legs = data.draw(between(2, 4 if len(chosen) == 1 else 2))
            accounts = data.draw(orders_of(tuple(self.accounts_in(currency))))[:legs]
            split = data.draw(between(1, legs - 1))
            total = max(data.draw(amounts(currency)), legs)
            debits = allocate(total, [1] * split)
            credits = allocate(total, [1] * (legs - split))
            for account, amount in zip(accounts, [*debits, *(-c for c in credits)], strict=True):
                postings.append(Posting(account=account, amount=Money(amount, currency)))
        memo = data.draw(MEMOS)
        transfer = Transfer(operation_id=self.op_id(), postings=tuple(postings), deal_id="deal_m", memo=memo)
        return transfer, posted_moves(transfer.postings)

    def draw_pending(self, data: st.DataObject) -> tuple[Pending, Moves]:
        currency = draw_one(data, self.currencies())
        debit, credit = data.draw(orders_of(tuple(self.accounts_in(currency))))[:2]
        amount = data.draw(amounts(currency))
        pending = Pending(operation_id=self.op_id(), debit=debit, credit=credit, amount=Money(amount, currency))
        return pending, {debit: (0, amount, 0), credit: (0, 0, amount)}

    # --- rules ---------------------------------------------------------------------------------------------------

    @initialize(currencies=st.lists(st.sampled_from(CURRENCIES), min_size=1, max_size=3, unique=True))
    def open(self, currencies: list[str]) -> None:
        for currency in currencies:
            for account in open_accounts(self.kit, currency, "deal_m").values():
                normal = 1 if account.normal_balance is NormalBalance.DEBIT else -1
                self.model.accounts[account.id] = ModelAccount(normal, account.may_go_negative, currency)

    @precondition(lambda self: self.model.accounts)
    @rule(data=st.data())
    def fund(self, data: st.DataObject) -> None:
        """Money in from a provider (its clearing account may owe): it always posts, and gives the others a balance."""
        currency = draw_one(data, self.currencies())
        accounts = self.accounts_in(currency)
        clearing = next(a for a in accounts if a.startswith("provider_clearing:"))
        into = draw_one(data, [a for a in accounts if a != clearing])
        amount = Money(data.draw(amounts(currency)), currency)
        transfer = Transfer(
            operation_id=self.op_id(),
            postings=(Posting(account=clearing, amount=amount), Posting(account=into, amount=-amount)),
        )
        self.expect(transfer, posted_moves(transfer.postings))

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.expect(*self.draw_transfer(data))

    @rule(data=st.data())
    def pending(self, data: st.DataObject) -> None:
        self.expect(*self.draw_pending(data))

    @precondition(lambda self: self.status)
    @rule(data=st.data())
    def post(self, data: st.DataObject) -> None:
        pending = self.entries[draw_one(data, list(self.status))]
        debit = next(p for p in pending.postings if p.amount.amount > 0)
        credit = next(p for p in pending.postings if p.amount.amount < 0)
        reserved = debit.amount.amount
        asked = data.draw(amounts_to_post(reserved))
        amount = None if asked is None else Money(asked, debit.amount.currency)
        post = Post(operation_id=self.op_id(), pending_id=pending.id, amount=amount)
        if self.status[pending.id] is not LedgerEntryStatus.PENDING:
            return self.expect(post, None, StateError)
        if asked is not None and asked > reserved:
            return self.expect(post, None, ValidationError)
        taken = reserved if asked is None else asked
        self.expect(post, {debit.account: (taken, -reserved, 0), credit.account: (-taken, 0, -reserved)})
        return None

    @precondition(lambda self: self.status)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        pending = self.entries[draw_one(data, list(self.status))]
        void = Void(operation_id=self.op_id(), pending_id=pending.id)
        if self.status[pending.id] is not LedgerEntryStatus.PENDING:
            return self.expect(void, None, StateError)
        reserved = {p.account: p.amount.amount for p in pending.postings}
        moves = {a: (0, -v, 0) if v > 0 else (0, 0, v) for a, v in reserved.items()}
        self.expect(void, moves)
        return None

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        target = self.entries[draw_one(data, list(self.entries))]
        correction = Correction(operation_id=self.op_id(), entry_id=target.id, memo="posted by mistake")
        if target.kind not in (LedgerEntryKind.TRANSFER, LedgerEntryKind.POST) or target.id in self.corrected:
            return self.expect(correction, None, StateError)
        self.expect(correction, posted_moves(target.postings, sign=-1))
        return None

    @rule(data=st.data())
    def batch(self, data: st.DataObject) -> None:
        """Several operations in one call, a retry among them sometimes: all of them apply, or (one refused) none."""
        drawn = [
            (self.draw_transfer if data.draw(BOOLEANS) else self.draw_pending)(data)
            for _ in range(data.draw(between(2, 3)))
        ]
        operations: list[LedgerOperation] = [operation for operation, _ in drawn]
        if data.draw(BOOLEANS):
            operations.append(operations[0])
        trial = self.model.copy()
        allowed = True
        for _, moves in drawn:
            allowed = allowed and trial.allows(moves)
            if allowed:
                trial.move(moves)
        if not allowed:
            with pytest.raises(InsufficientFunds):
                self.kit.ledger.apply(SYSTEM, operations)
            return
        results = self.kit.ledger.apply(SYSTEM, operations)
        self.model = trial
        for operation, entry in zip(operations[: len(drawn)], results, strict=False):
            assert isinstance(entry, LedgerEntry)
            self.record(operation, entry)
        assert results[len(drawn) :] == results[:1] * (len(operations) - len(drawn))

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        """The same operation id with the same parameters: the first entry again, nothing moved."""
        operation, entry = self.done[draw_one(data, list(self.done))]
        assert self.kit.ledger.apply(SYSTEM, [operation]) == [entry]

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def retry_changed(self, data: st.DataObject) -> None:
        """The same operation id with other parameters: IdempotencyConflict naming them, nothing moved."""
        operation: Any = self.done[draw_one(data, list(self.done))][0]  # each kind that is done has a memo
        changed = attrs.evolve(operation, memo=operation.memo + " (again)")
        with pytest.raises(IdempotencyConflict) as caught:
            self.kit.ledger.apply(SYSTEM, [changed])
        assert caught.value.fields == ("memo",)

    # --- invariants ----------------------------------------------------------------------------------------------

    @invariant()
    def balances_are_the_models(self) -> None:
        if not self.model.accounts:
            return
        balances = self.kit.ledger.balances(SYSTEM, sorted(self.model.accounts))
        for account_id, balance in balances.items():
            expected = self.model.accounts[account_id]
            pending_in, pending_out = (
                (expected.pending_debits, expected.pending_credits)
                if expected.normal == 1
                else (expected.pending_credits, expected.pending_debits)
            )
            assert balance.posted.amount == expected.normal * expected.posted, account_id
            assert (balance.pending_in.amount, balance.pending_out.amount) == (pending_in, pending_out), account_id
            assert balance.available.amount == expected.available()
            if not expected.may_owe:
                assert balance.available.amount >= 0, f"{account_id} cannot owe, yet is below zero"

    @invariant()
    def pending_entries_stand_where_the_model_says(self) -> None:
        for pending_id, status in self.status.items():
            assert self.kit.ledger.status(SYSTEM, pending_id) is status

    @invariant()
    def the_stored_ledger_sums_up(self) -> None:
        assert self.kit.ledger.verify(SYSTEM) == []


def test_the_ledger_matches_its_reference_model(reused_kits: ReusedDatabaseKits) -> None:
    # Hypothesis accepts any factory of machines (its annotation says a class): each gets the dialect's kits.
    run_state_machine_as_test(lambda: LedgerMachine(reused_kits), settings=ledger_settings())  # type: ignore[arg-type]
