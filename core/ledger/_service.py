"""``kit.ledger``: open accounts, move money (at once, or pending and then posted or voided), correct, read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._service import Service
from ..entities import (
    Actor,
    LedgerAccount,
    LedgerAccountKind,
    LedgerBalance,
    LedgerEntry,
    LedgerEntryKind,
    LedgerEntryStatus,
    PartyKind,
    Posting,
)
from ..errors import NotFound, PermissionDenied, Problem, ValidationError
from ..money import Money
from ._journal import Journal
from ._operations import Correction, LedgerOperation, OpenAccount, Pending, Post, Transfer, Void

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["LedgerService"]

_WRITE = "write_ledger"
_READ = "read_ledger"


class _OnlyReplays(Exception):
    """Every operation of a call had been applied before: nothing was written, the first results are the answer."""

    def __init__(self, results: list[LedgerEntry | LedgerAccount]) -> None:
        self.results = results


class LedgerService(Service):
    """The double-entry ledger: accounts, journal entries, pending transfers, balances.

    **Idempotency.** Every money movement carries an ``operation_id`` (1 to 64 letters, digits, ``_`` or ``-``; the
    provider's idempotency key too). The ledger applies an operation id once, for good: called again with the same
    parameters, the same call returns the entry the first call made and writes nothing (a retry after a timeout is
    safe); with other parameters it raises :class:`~creatorkit.errors.IdempotencyConflict` naming the fields that
    differ (``amount``, ``postings``, ``kind``, ...). Opening an account that is open returns it.

    **Exactly once.** A pending entry is posted or voided once: a second post or void, under any operation id or
    from any process, raises :class:`~creatorkit.errors.StateError` (its ``state`` is ``posted`` or ``voided``); an
    entry is corrected once. The database holds both with unique indexes.

    **Never below zero.** Escrow, payables and fees cannot owe: a movement that would take one's available balance
    (posted, less what pending entries reserve) below zero raises :class:`~creatorkit.errors.InsufficientFunds`.

    Every refusal is typed (``ValidationError`` with field paths, ``NotFound``, ``StateError`` with the allowed
    moves, ``IdempotencyConflict``, ``InsufficientFunds``) and leaves nothing written: a call is one transaction,
    :meth:`apply` with several operations too. Every entry and account opened is in the audit trail, its payload the
    entry as written.

    **Who may act**, for now: only the system writes; the system reads everything, and a brand reads the accounts and
    entries of its own deals and its own funding account. ``kit.payments`` will bring the full rules.
    """

    # --- writing ---------------------------------------------------------------------------------------------------

    def apply(self, actor: Actor, operations: Sequence[LedgerOperation]) -> list[LedgerEntry | LedgerAccount]:
        """Apply ``operations`` in order, in one transaction: all of them, or (on any error) none.

        Returns, for each operation, its entry (an :class:`OpenAccount`: its account). Problems are reported under
        ``operations[<index>]``. A batch is how a deal's movements share one durable commit.
        """
        return self._apply(actor, list(operations), name_each=True)

    def open_account(
        self,
        actor: Actor,
        kind: LedgerAccountKind | str,
        currency: str,
        *,
        holder: str | None = None,
        deal_id: str | None = None,
    ) -> LedgerAccount:
        """The account of ``kind`` in ``currency`` for ``holder`` (or ``deal_id``), opened now if it is not open."""
        operation = OpenAccount(kind=LedgerAccountKind(kind), currency=currency, holder=holder, deal_id=deal_id)
        account = self._apply(actor, [operation])[0]
        assert isinstance(account, LedgerAccount)
        return account

    def transfer(
        self,
        actor: Actor,
        operation_id: str,
        postings: Sequence[Posting],
        *,
        deal_id: str | None = None,
        memo: str = "",
    ) -> LedgerEntry:
        """Post ``postings`` at once (balanced per currency, each account once); see :func:`creatorkit.ledger.legs`."""
        return self._entry(actor, Transfer(operation_id=operation_id, postings=postings, deal_id=deal_id, memo=memo))

    def pending(
        self,
        actor: Actor,
        operation_id: str,
        *,
        debit: str,
        credit: str,
        amount: Money,
        deal_id: str | None = None,
        memo: str = "",
    ) -> LedgerEntry:
        """Reserve ``amount`` from ``credit`` to ``debit``, to be posted (wholly or in part) or voided later."""
        operation = Pending(
            operation_id=operation_id, debit=debit, credit=credit, amount=amount, deal_id=deal_id, memo=memo
        )
        return self._entry(actor, operation)

    def post(
        self, actor: Actor, operation_id: str, pending_id: str, amount: Money | None = None, *, memo: str = ""
    ) -> LedgerEntry:
        """Post ``amount`` (at least one minor unit; all when None) of a pending entry; the rest is released."""
        return self._entry(actor, Post(operation_id=operation_id, pending_id=pending_id, amount=amount, memo=memo))

    def void(self, actor: Actor, operation_id: str, pending_id: str, *, memo: str = "") -> LedgerEntry:
        """Release a pending entry whole."""
        return self._entry(actor, Void(operation_id=operation_id, pending_id=pending_id, memo=memo))

    def correct(self, actor: Actor, operation_id: str, entry_id: str, *, memo: str = "") -> LedgerEntry:
        """Reverse a transfer or a post with a new entry of opposite postings; an entry is corrected once."""
        return self._entry(actor, Correction(operation_id=operation_id, entry_id=entry_id, memo=memo))

    def _entry(self, actor: Actor, operation: LedgerOperation) -> LedgerEntry:
        entry = self._apply(actor, [operation])[0]
        assert isinstance(entry, LedgerEntry)
        return entry

    def _apply(
        self, actor: Actor, operations: list[LedgerOperation], *, name_each: bool = False
    ) -> list[LedgerEntry | LedgerAccount]:
        if not operations:
            raise ValidationError([Problem("operations", "name at least one operation")], "ledger batch")

        def work(change: Change) -> list[LedgerEntry | LedgerAccount]:
            if actor.kind is not PartyKind.SYSTEM:
                raise PermissionDenied(str(actor), _WRITE, "only the system writes the ledger (until kit.payments)")
            journal = Journal(change)
            results = [
                journal.apply(operation, f"operations[{index}]." if name_each else "")
                for index, operation in enumerate(operations)
            ]
            if not journal.wrote:
                raise _OnlyReplays(results)
            return results

        try:
            return self._write(actor, _WRITE, work)
        except _OnlyReplays as replays:
            return replays.results

    # --- reading ---------------------------------------------------------------------------------------------------

    def account(self, actor: Actor, account_id: str) -> LedgerAccount:
        return self._account_and_balance(actor, account_id)[0]

    def balance(self, actor: Actor, account_id: str) -> LedgerBalance:
        """The account's balance on its normal side, with what pending entries would add and have reserved."""
        return self._account_and_balance(actor, account_id)[1]

    def balances(self, actor: Actor, account_ids: Sequence[str]) -> dict[str, LedgerBalance]:
        """The balances of those accounts (NotFound for one that is not open), read in one snapshot."""

        def work(view: View) -> dict[str, LedgerBalance]:
            found = view.ledger.ledger_accounts(account_ids)
            for account_id in account_ids:
                if account_id not in found:
                    raise NotFound("ledger account", account_id)
                _may_read_account(view, actor, found[account_id][0])
            return {account_id: found[account_id][1] for account_id in account_ids}

        return self._read(actor, work, _READ)

    def entry(self, actor: Actor, entry_id: str) -> LedgerEntry:
        def work(view: View) -> LedgerEntry:
            stored = view.ledger.ledger_entry(entry_id)
            if stored is None:
                raise NotFound("ledger entry", entry_id)
            _may_read_deal(view, actor, stored.entry.deal_id, f"ledger_entry {entry_id}")
            return stored.entry

        return self._read(actor, work, _READ)

    def entries(self, actor: Actor, *, deal_id: str | None = None, account_id: str | None = None) -> list[LedgerEntry]:
        """The entries of a deal, or those posting to an account, in the order they were written."""
        if (deal_id is None) == (account_id is None):
            raise ValidationError([Problem("deal_id", "name a deal_id or an account_id, one of them")], "ledger query")

        def work(view: View) -> list[LedgerEntry]:
            if account_id is not None:
                found = view.ledger.ledger_accounts([account_id]).get(account_id)
                if found is None:
                    raise NotFound("ledger account", account_id)
                _may_read_account(view, actor, found[0])
            else:
                _may_read_deal(view, actor, deal_id, f"deal {deal_id}")
            return view.ledger.ledger_entries(deal_id=deal_id, account_id=account_id)

        return self._read(actor, work, _READ)

    def status(self, actor: Actor, pending_id: str) -> LedgerEntryStatus:
        """Where a pending entry stands: pending, posted or voided."""

        def work(view: View) -> LedgerEntryStatus:
            stored = view.ledger.ledger_entry(pending_id)
            if stored is None or stored.entry.kind is not LedgerEntryKind.PENDING:
                raise NotFound("pending ledger entry", pending_id)
            _may_read_deal(view, actor, stored.entry.deal_id, f"ledger_entry {pending_id}")
            resolution = view.ledger.ledger_entry_linked("resolves", pending_id)
            if resolution is None:
                return LedgerEntryStatus.PENDING
            posted = resolution.entry.kind is LedgerEntryKind.POST
            return LedgerEntryStatus.POSTED if posted else LedgerEntryStatus.VOIDED

        return self._read(actor, work, _READ)

    def verify(self, actor: Actor) -> list[str]:
        """What in the stored ledger breaks its rules, recomputed from every posting; empty when sound (system only)."""

        def work(view: View) -> list[str]:
            if actor.kind is not PartyKind.SYSTEM:
                raise PermissionDenied(str(actor), "verify_ledger", "only the system checks the whole ledger")
            return view.ledger.ledger_problems()

        return self._read(actor, work, "verify_ledger")

    def _account_and_balance(self, actor: Actor, account_id: str) -> tuple[LedgerAccount, LedgerBalance]:
        def work(view: View) -> tuple[LedgerAccount, LedgerBalance]:
            found = view.ledger.ledger_accounts([account_id]).get(account_id)
            if found is None:
                raise NotFound("ledger account", account_id)
            _may_read_account(view, actor, found[0])
            return found

        return self._read(actor, work, _READ)


def _may_read_account(view: View, actor: Actor, account: LedgerAccount) -> None:
    if actor.kind is PartyKind.BRAND and account.kind is LedgerAccountKind.BRAND_FUNDING and account.holder == actor.id:
        return
    _may_read_deal(view, actor, account.deal_id, f"ledger_account {account.id}")


def _may_read_deal(view: View, actor: Actor, deal_id: str | None, entity: str) -> None:
    """The system reads everything; a brand what is of its own deals; nobody else anything, for now."""
    if actor.kind is PartyKind.SYSTEM:
        return
    if actor.kind is PartyKind.BRAND and deal_id is not None:
        deal = view.get("deal", deal_id)
        if deal is not None and deal.doc.get("brand_id") == actor.id:
            return
    raise PermissionDenied(str(actor), _READ, "only the system and the brand of the deal read the ledger", entity)
