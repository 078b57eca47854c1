"""Applying operations to the ledger inside one service call: checked, applied once, balanced, audited.

Each operation runs in this order, so that a refusal at any step leaves nothing behind (the call's transaction
rolls back) and so that two writers of the same thing cannot both succeed:

1. its face: :func:`~._checks.check_operation` (``ValidationError``, every problem with its path);
2. the entry it builds on (post, void, correction): it exists and its kind may take this move;
3. the claim: the entry's row, which the database refuses when a unique rule already holds (the operation id, the
   pending entry's one resolution, the corrected entry's one correction), by this or any other process. Refused,
   the operation id decides: an entry already made with it is the answer (same request) or an
   ``IdempotencyConflict``; otherwise the link is taken (``StateError``). A refusal in step 2 asks the same;
4. the balances, one guarded update per account (in id order, so writers lock rows alike); an account that cannot
   owe and would go below zero refuses it (``InsufficientFunds``);
5. the postings, then the audit event carrying the entry as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ..entities import LedgerAccount, LedgerEntry, LedgerEntryKind, NormalBalance, Posting
from ..errors import (
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    Problem,
    StateError,
    StoreError,
    ValidationError,
)
from ..money import Money
from ._accounts import new_account
from ._checks import check_operation, prefixed
from ._operations import Correction, LedgerOperation, OpenAccount, Pending, Post, Transfer, Void

if TYPE_CHECKING:
    from .._change import Change
    from ..store._ledger import StoredEntry

__all__ = ["Journal", "allowed_moves", "entry_document", "entry_id"]

#: Per account: its currency, and the deltas to posted, pending debits and pending credits.
Moves = dict[str, list[object]]
#: The operations that write an entry.
EntryOperation = Transfer | Pending | Post | Void | Correction
#: The word each kind of operation has in a StateError's ``action``.
_ACTION = {
    LedgerEntryKind.POST: "post",
    LedgerEntryKind.VOID: "void",
    LedgerEntryKind.CORRECTION: "correct",
    LedgerEntryKind.TRANSFER: "transfer",
    LedgerEntryKind.PENDING: "pending",
}

#: What may still be done to an entry, by kind, while nothing has resolved or corrected it.
_MOVES: dict[LedgerEntryKind, tuple[str, ...]] = {
    LedgerEntryKind.PENDING: ("post", "void"),
    LedgerEntryKind.TRANSFER: ("correct",),
    LedgerEntryKind.POST: ("correct",),
    LedgerEntryKind.VOID: (),
    LedgerEntryKind.CORRECTION: (),
}


def allowed_moves(kind: LedgerEntryKind) -> tuple[str, ...]:
    return _MOVES[kind]


def entry_id(operation_id: str) -> str:
    """The id of the entry an operation makes: known before it exists (as TigerBeetle's client-chosen transfer ids),
    so that one batch can post the pending entry it holds, and unique as operation ids are."""
    return f"le_{operation_id}"


class Journal:
    """The ledger writes of one service call, through its :class:`~creatorkit._change.Change`."""

    __slots__ = ("_change", "_moment", "_tx", "_written", "wrote")

    def __init__(self, change: Change) -> None:
        self._change = change
        self._tx = change.ledger
        #: Whether any operation wrote (a call of replays alone writes nothing and needs no event).
        self.wrote = False
        # The entries this call wrote, as written: a batch that posts the pending entry it holds reads it here.
        self._written: dict[str, LedgerEntry] = {}
        # The last entry time put in a document, and its text: a call's entries share one stored moment.
        self._moment: tuple[datetime, str] | None = None

    def apply(self, operation: LedgerOperation, where: str = "") -> LedgerEntry | LedgerAccount:
        """Apply one operation (see the module docstring); its entry, or the account it opened or found."""
        check_operation(operation, where)
        if isinstance(operation, OpenAccount):
            return self._open(operation, where)
        try:
            draft, moves = self._build(operation, where)
        except (NotFound, StateError, ValidationError) as refused:
            return self._after_refused_build(operation, refused)
        new_id = entry_id(operation.operation_id)
        stored = self._tx.claim_ledger_entry(
            new_id,
            operation.operation_id,
            operation.kind,
            deal_id=draft.deal_id,
            resolves=draft.resolves,
            corrects=draft.corrects,
            memo=operation.memo,
            request=operation.request(),
            created_at=self._change.now,
        )
        if stored is None:
            return self._refused_claim(operation, new_id)
        # Built once, as stored: its sequence and its time as the database gives it back.
        claimed = LedgerEntry(
            id=new_id,
            operation_id=operation.operation_id,
            kind=operation.kind,
            postings=draft.postings,
            created_at=stored[1],
            deal_id=draft.deal_id,
            resolves=draft.resolves,
            corrects=draft.corrects,
            memo=operation.memo,
            sequence=stored[0],
        )
        for account in sorted(moves):
            currency, posted, debits, credits = moves[account]
            assert isinstance(currency, str) and isinstance(posted, int)
            assert isinstance(debits, int) and isinstance(credits, int)
            if not self._tx.move_ledger_balance(account, currency, posted, debits, credits):
                self._refused_move(operation, account, currency, (posted, debits, credits), where)
        self._tx.write_ledger_postings(claimed)
        self._written[claimed.id] = claimed
        change = self._change
        change.audit(f"ledger.{claimed.kind}", "ledger_entry", claimed.id, self._document(claimed))
        change.event(f"ledger.{claimed.kind}", "ledger_entry", claimed.id, operation_id=claimed.operation_id)
        self.wrote = True
        return claimed

    def _document(self, entry: LedgerEntry) -> dict[str, Any]:
        moment = self._moment
        if moment is None or moment[0] is not entry.created_at:  # identity: see TransactionBase._utc_text
            moment = self._moment = (entry.created_at, entry.created_at.isoformat())
        return entry_document(entry, moment[1])

    # --- accounts --------------------------------------------------------------------------------------------------

    def _open(self, operation: OpenAccount, where: str) -> LedgerAccount:
        change = self._change
        try:
            account = new_account(
                operation.kind,
                operation.currency,
                holder=operation.holder,
                deal_id=operation.deal_id,
                opened_at=change.now,
            )
        except ValidationError as error:
            raise prefixed(error, where) from None
        if account.deal_id is not None and change.get("deal", account.deal_id) is None:
            raise NotFound("deal", account.deal_id)
        opened = self._tx.open_ledger_account(account)
        if opened is None:
            return self._tx.ledger_accounts([account.id])[account.id][0]
        change.audit("ledger.account_opened", "ledger_account", opened.id, change.document(opened))
        self.wrote = True
        return opened

    # --- building the entry ----------------------------------------------------------------------------------------

    def _build(self, operation: LedgerOperation, where: str) -> tuple[_Draft, Moves]:
        deal_id = operation.deal_id if isinstance(operation, Transfer | Pending) else None
        if deal_id is not None and self._change.get("deal", deal_id) is None:
            raise NotFound("deal", deal_id)
        if isinstance(operation, Transfer):
            postings = operation.postings
            return _Draft(postings, operation.deal_id), _moves(postings, posted=1)
        if isinstance(operation, Pending):
            postings = (
                Posting(account=operation.debit, amount=operation.amount),
                Posting(account=operation.credit, amount=-operation.amount),
            )
            return _Draft(postings, operation.deal_id), _moves(postings, pending=1)
        if isinstance(operation, Post | Void):
            return self._resolve(operation, where)
        assert isinstance(operation, Correction)
        target = self._target(operation.entry_id, "correct")
        reversed_ = tuple(Posting(account=p.account, amount=-p.amount) for p in target.postings)
        return _Draft(reversed_, target.deal_id, corrects=target.id), _moves(reversed_, posted=1)

    def _resolve(self, operation: Post | Void, where: str) -> tuple[_Draft, Moves]:
        action = "post" if isinstance(operation, Post) else "void"
        pending = self._target(operation.pending_id, action)
        released = _moves(pending.postings, pending=-1)
        if isinstance(operation, Void):
            return _Draft(pending.postings, pending.deal_id, resolves=pending.id), released
        reserved = max(p.amount for p in pending.postings)  # the debit leg: what was reserved
        amount = reserved if operation.amount is None else operation.amount
        if amount.currency != reserved.currency or amount > reserved:
            problem = Problem(f"{where}amount", f"must be in {reserved.currency} and at most the pending {reserved}")
            raise ValidationError([problem], "ledger post")
        postings = tuple(
            Posting(account=p.account, amount=amount if p.amount.amount > 0 else -amount) for p in pending.postings
        )
        moves = _moves(postings, posted=1)
        for account, (_, _, debits, credits) in released.items():
            moves[account][2], moves[account][3] = debits, credits
        return _Draft(postings, pending.deal_id, resolves=pending.id), moves

    def _target(self, entry_id: str, action: str) -> LedgerEntry:
        """The entry ``action`` builds on, if it exists and its kind may take that move (whether another entry took it
        already, the claim finds out: see :meth:`_refused_claim`)."""
        target = self._written.get(entry_id)
        if target is None:
            stored = self._tx.ledger_entry(entry_id)
            if stored is None:
                raise NotFound("ledger entry", entry_id)
            target = stored.entry
        allowed = _MOVES[target.kind]
        if action not in allowed:
            raise StateError(f"ledger entry {entry_id}", str(target.kind), action, allowed)
        return target

    def _after_refused_build(self, operation: EntryOperation, refused: Exception) -> LedgerEntry:
        """A refused request may be a retry: its first result (or its conflict) is the answer, even where the request
        no longer fits (a post of the pending entry its first attempt resolved). Otherwise what was asked of an entry
        (a post's amount) matters only once the entry's state allows the move at all."""
        stored = self._tx.ledger_entry_for_operation(operation.operation_id)
        if stored is not None:
            return _replayed(operation, stored)
        if isinstance(refused, ValidationError):
            self._refuse_if_taken(operation)
        raise refused

    def _refuse_if_taken(self, operation: EntryOperation) -> None:
        """StateError when the entry a post, void or correction builds on was already resolved or corrected."""
        link: Literal["resolves", "corrects"]
        if isinstance(operation, Post | Void):
            link, target_id = "resolves", operation.pending_id
        elif isinstance(operation, Correction):
            link, target_id = "corrects", operation.entry_id
        else:
            return
        taken = self._tx.ledger_entry_linked(link, target_id)
        if taken is not None:
            raise _taken(target_id, taken.entry, _ACTION[operation.kind])

    # --- refusals --------------------------------------------------------------------------------------------------

    def _refused_claim(self, operation: EntryOperation, new_id: str) -> LedgerEntry:
        """The claim was refused: the operation id was used (a retry, or a conflict), or the link is taken."""
        stored = self._tx.ledger_entry_for_operation(operation.operation_id)
        if stored is not None:
            return _replayed(operation, stored)
        self._refuse_if_taken(operation)
        raise StoreError(f"ledger entry {new_id} could not be written: its id is taken")

    def _refused_move(
        self, operation: LedgerOperation, account: str, currency: str, deltas: tuple[int, int, int], where: str
    ) -> None:
        found = self._tx.ledger_accounts([account]).get(account)
        if found is None:
            raise NotFound("ledger account", account)
        held, balance = found
        if held.currency != currency:
            problem = Problem(
                f"{where}{_path_of(operation, account)}", f"{account} holds {held.currency}, not {currency}"
            )
            raise ValidationError([problem], f"ledger {getattr(operation, 'kind', 'operation')}")
        posted, debits, credits = deltas
        normal = 1 if held.normal_balance is NormalBalance.DEBIT else -1
        change = normal * posted - (credits if normal == 1 else debits)
        raise InsufficientFunds(
            account,
            currency,
            balance.available.amount,
            -change,
            operation_id=getattr(operation, "operation_id", None),
        )


def entry_document(entry: LedgerEntry, created_at: str) -> dict[str, Any]:
    """``unstructure(entry)`` (its audit payload), built directly; ``created_at`` is ``entry.created_at.isoformat()``.

    Every entry is audited as written, and the generic converter cost some 35,000 machine instructions an entry
    (``bench/ledger_instructions.py --without entry_document``); the tests hold this to the converter's output
    for every kind of entry and every field.
    """
    return {
        "id": entry.id,
        "operation_id": entry.operation_id,
        "kind": entry.kind._value_,
        "postings": [
            {"account": p.account, "amount": {"amount": p.amount.amount, "currency": p.amount.currency}}
            for p in entry.postings
        ],
        "created_at": created_at,
        "deal_id": entry.deal_id,
        "resolves": entry.resolves,
        "corrects": entry.corrects,
        "memo": entry.memo,
        "sequence": entry.sequence,
    }


class _Draft(NamedTuple):
    """What an operation's entry will be, but for what the claim gives it (its sequence, its stored time)."""

    postings: tuple[Posting, ...]
    deal_id: str | None
    resolves: str | None = None
    corrects: str | None = None


def _moves(postings: tuple[Posting, ...], *, posted: int = 0, pending: int = 0) -> Moves:
    """Per account, the counter deltas of ``postings``: posted (``posted=1``), reserved (1) or released (-1)."""
    moves: Moves = {}
    for posting in postings:
        amount: Money = posting.amount
        value = amount.amount
        moves[posting.account] = [
            amount.currency,
            posted * value,
            pending * value if value > 0 else 0,
            -pending * value if value < 0 else 0,
        ]
    return moves


def _replayed(operation: EntryOperation, stored: StoredEntry) -> LedgerEntry:
    """The first result of a retried operation, or IdempotencyConflict naming what differs from the first request."""
    asked = operation.request()
    first = stored.request
    differing = sorted(name for name in asked.keys() | first.keys() if asked.get(name) != first.get(name))
    if differing:
        raise IdempotencyConflict(operation.operation_id, differing)
    return stored.entry


def _taken(target_id: str, taken: LedgerEntry, action: str) -> StateError:
    if taken.kind is LedgerEntryKind.CORRECTION:
        state, detail = "corrected", f"corrected by {taken.id}"
    else:
        state = "posted" if taken.kind is LedgerEntryKind.POST else "voided"
        detail = f"{state} by {taken.id}: a pending entry is resolved once"
    return StateError(f"ledger entry {target_id}", state, action, (), detail)


def _path_of(operation: LedgerOperation, account: str) -> str:
    if isinstance(operation, Transfer):
        index = next(i for i, p in enumerate(operation.postings) if p.account == account)
        return f"postings[{index}].amount.currency"
    if isinstance(operation, Pending):
        return "amount.currency"
    return "account"
