"""A transaction's ledger operations: accounts and their balances, journal entries and their postings (migration 7).

The rules live in :mod:`creatorkit.ledger`; this module is the SQL, and the database holds what must hold whatever
process writes (see the migration): an account that cannot owe never goes below zero, a pending entry is resolved
once, an entry corrected once, an operation id used once, a posting is in its account's currency, nothing written
is changed. Every statement here also asks the way that cannot fail on those rules (``ON CONFLICT DO NOTHING``, a
balance update guarded by its own condition), so a refusal leaves the transaction usable on PostgreSQL too, for
the service to say why; the constraints stay as the guarantee beneath.

Writes work only on the services' write path (a read-only transaction refuses them), where the ledger service
appends every entry's audit event in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

import attrs
import orjson

from ..entities import (
    LedgerAccount,
    LedgerAccountKind,
    LedgerBalance,
    LedgerEntry,
    LedgerEntryKind,
    NormalBalance,
    Posting,
)
from ..money import Money
from ._migrations import LEDGER_ACCOUNTS_TABLE as ACCOUNTS
from ._migrations import LEDGER_ENTRIES_TABLE as ENTRIES
from ._migrations import LEDGER_POSTINGS_TABLE as POSTINGS
from ._transaction_base import TransactionBase

__all__ = ["LedgerOperations", "StoredEntry"]

_ACCOUNT_COLUMNS = (
    "id, kind, currency, holder, deal_id, normal, may_go_negative, opened_at, posted, pending_debits, pending_credits"
)
_ENTRY_COLUMNS = (
    "e.sequence, e.id, e.operation_id, e.kind, e.deal_id, e.resolves, e.corrects, e.memo, e.request, e.created_at"
)
_NORMAL = {NormalBalance.DEBIT: 1, NormalBalance.CREDIT: -1}
_SIDE = {1: NormalBalance.DEBIT, -1: NormalBalance.CREDIT}


@attrs.frozen
class StoredEntry:
    """An entry as stored, with the request that made it (what a retry with the same operation id is compared to)."""

    entry: LedgerEntry
    request: dict[str, Any]


class LedgerOperations(TransactionBase):
    """The ledger half of :class:`~creatorkit.store.Transaction`."""

    __slots__ = ()

    # The statements each ledger write sends, spelled once per dialect (every entry sends them; see
    # Transaction.__init_subclass__ for the documents' and the audit trail's).
    _SQL_OPEN_ACCOUNT: ClassVar[str]
    _SQL_MOVE_BALANCE: ClassVar[str]
    _SQL_CLAIM_ENTRY: ClassVar[str]
    _SQL_WRITE_POSTINGS: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        p = cls._P
        cls._SQL_OPEN_ACCOUNT = (
            f"INSERT INTO {ACCOUNTS} (id, kind, currency, holder, deal_id, normal, may_go_negative, opened_at)"
            f" VALUES ({', '.join([p] * 8)}) ON CONFLICT DO NOTHING"
        )
        # The guard: an account that cannot owe keeps a non-negative available balance (posted on its normal
        # side, less what pending entries reserve), said in the update's own condition.
        cls._SQL_MOVE_BALANCE = (
            f"UPDATE {ACCOUNTS} SET posted = posted + {p}, pending_debits = pending_debits + {p},"
            f" pending_credits = pending_credits + {p}"
            f" WHERE id = {p} AND currency = {p} AND (may_go_negative = 1 OR normal * (posted + {p})"
            f" - CASE WHEN normal = 1 THEN pending_credits + {p} ELSE pending_debits + {p} END >= 0)"
        )
        cls._SQL_CLAIM_ENTRY = (
            f"INSERT INTO {ENTRIES} (id, operation_id, kind, deal_id, resolves, corrects, memo, request, created_at)"
            f" VALUES ({', '.join([p] * 9)}) ON CONFLICT DO NOTHING RETURNING sequence"
        )
        cls._SQL_WRITE_POSTINGS = (
            f"INSERT INTO {POSTINGS} (entry, leg, account_id, currency, amount) VALUES ({p}, {p}, {p}, {p}, {p})"
        )

    # --- accounts --------------------------------------------------------------------------------------------------

    def open_ledger_account(self, account: LedgerAccount) -> LedgerAccount | None:
        """Store a new account with zero balances and return it as stored; None, writing nothing, if its id is taken."""
        self._check(True)
        self._cur.execute(
            self._SQL_OPEN_ACCOUNT,
            (
                account.id,
                str(account.kind),
                account.currency,
                account.holder,
                account.deal_id,
                _NORMAL[account.normal_balance],
                int(account.may_go_negative),
                self._encode_time(account.opened_at),
            ),
        )
        if self._cur.rowcount != 1:
            return None
        return attrs.evolve(account, opened_at=self._as_stored(account.opened_at))

    def ledger_accounts(self, account_ids: Iterable[str]) -> dict[str, tuple[LedgerAccount, LedgerBalance]]:
        """The accounts among ``account_ids`` that exist, each with its balance."""
        self._check(False)
        wanted = list(dict.fromkeys(account_ids))
        if not wanted:
            return {}
        params: list[Any] = []
        where = self._in("id", wanted, params)
        self._cur.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM {ACCOUNTS} WHERE {where}", params)
        found = (self._account(row) for row in self._cur.fetchall())
        return {account.id: (account, balance) for account, balance in found}

    def ledger_accounts_of(self, *, holder: str | None = None, deal_id: str | None = None) -> list[LedgerAccount]:
        """The accounts of ``holder`` or of ``deal_id`` (whichever is given), by id."""
        self._check(False)
        column, value = ("holder", holder) if holder is not None else ("deal_id", deal_id)
        self._cur.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM {ACCOUNTS} WHERE {column} = {self._P} ORDER BY id", (value,))
        return [self._account(row)[0] for row in self._cur.fetchall()]

    def move_ledger_balance(
        self, account_id: str, currency: str, posted: int, pending_debits: int, pending_credits: int
    ) -> bool:
        """Add the three deltas to an account's counters; False, changing nothing, when that is refused.

        Refused when the account does not exist, is in another currency, or cannot owe and would then have less
        than nothing available (posted on its normal side, less what pending entries reserve). The update says so
        in its own condition, so the refusal is a row count and the transaction stays usable; the table's CHECK
        holds the same rule for any other writer.
        """
        self._check(True)
        self._cur.execute(
            self._SQL_MOVE_BALANCE,
            (posted, pending_debits, pending_credits, account_id, currency, posted, pending_credits, pending_debits),
        )
        return bool(self._cur.rowcount == 1)

    def _account(self, row: Sequence[Any]) -> tuple[LedgerAccount, LedgerBalance]:
        normal = int(row[5])
        account = LedgerAccount(
            id=row[0],
            kind=LedgerAccountKind(row[1]),
            currency=row[2],
            holder=row[3],
            deal_id=row[4],
            normal_balance=_SIDE[normal],
            may_go_negative=bool(row[6]),
            opened_at=self._decode_time(row[7]),
        )
        posted, pending_debits, pending_credits = int(row[8]), int(row[9]), int(row[10])
        pending_in, pending_out = (
            (pending_debits, pending_credits) if normal == 1 else (pending_credits, pending_debits)
        )
        currency = account.currency
        balance = LedgerBalance(
            account_id=account.id,
            posted=Money(normal * posted, currency),
            pending_in=Money(pending_in, currency),
            pending_out=Money(pending_out, currency),
            available=Money(normal * posted - pending_out, currency),
        )
        return account, balance

    # --- entries ---------------------------------------------------------------------------------------------------

    def claim_ledger_entry(
        self,
        entry_id: str,
        operation_id: str,
        kind: LedgerEntryKind,
        *,
        deal_id: str | None,
        resolves: str | None,
        corrects: str | None,
        memo: str,
        request: dict[str, Any],
        created_at: datetime,
    ) -> tuple[int, datetime] | None:
        """Store an entry's row; its sequence and its time as stored, or None when a unique rule refuses it.

        None, writing nothing, when its id or operation id is taken, its pending entry already resolved, or the
        entry it corrects already corrected, by this transaction or a committed one (on PostgreSQL a concurrent
        one is waited for, then counted). Claiming comes first, so that of two writers only one moves balances.
        Its postings follow with :meth:`write_ledger_postings`, once the balances they move have moved.
        """
        self._check(True)
        self._cur.execute(
            self._SQL_CLAIM_ENTRY,
            (
                entry_id,
                operation_id,
                str(kind),
                deal_id,
                resolves,
                corrects,
                memo,
                _request_text(request),
                self._encode_time(created_at),
            ),
        )
        row = self._cur.fetchone()
        if row is None:
            return None
        return int(row[0]), self._as_stored(created_at)

    def write_ledger_postings(self, entry: LedgerEntry) -> None:
        """Store the postings of a claimed entry (one with its sequence); their accounts exist in their currency."""
        self._check(True)
        self._cur.executemany(
            self._SQL_WRITE_POSTINGS,
            [
                (entry.sequence, leg, posting.account, posting.amount.currency, posting.amount.amount)
                for leg, posting in enumerate(entry.postings)
            ],
        )

    def ledger_entry(self, entry_id: str) -> StoredEntry | None:
        """The entry with this id, or None."""
        return self._one_entry("e.id", entry_id)

    def ledger_entry_for_operation(self, operation_id: str) -> StoredEntry | None:
        """The entry the operation id made, or None."""
        return self._one_entry("e.operation_id", operation_id)

    def ledger_entry_linked(self, link: Literal["resolves", "corrects"], entry_id: str) -> StoredEntry | None:
        """The entry that resolves (or corrects) ``entry_id``, or None: at most one, the database holds it."""
        return self._one_entry(f"e.{link}", entry_id)

    def ledger_entries(self, *, deal_id: str | None = None, account_id: str | None = None) -> list[LedgerEntry]:
        """The entries of a deal, or those with a posting on an account, in the order they were written."""
        self._check(False)
        if account_id is not None:
            where = f"e.sequence IN (SELECT entry FROM {POSTINGS} WHERE account_id = {self._P})"
            value = account_id
        else:
            where, value = f"e.deal_id = {self._P}", deal_id or ""
        return [stored.entry for stored in self._entries(where, (value,))]

    def _one_entry(self, column: str, value: str) -> StoredEntry | None:
        self._check(False)
        found = self._entries(f"{column} = {self._P}", (value,))
        return found[0] if found else None

    def _entries(self, where: str, params: Sequence[Any]) -> list[StoredEntry]:
        self._cur.execute(
            f"SELECT {_ENTRY_COLUMNS}, p.account_id, p.currency, p.amount FROM {ENTRIES} e"
            f" JOIN {POSTINGS} p ON p.entry = e.sequence WHERE {where} ORDER BY e.sequence, p.leg",
            params,
        )
        rows = self._cur.fetchall()
        grouped: dict[int, list[Sequence[Any]]] = {}
        for row in rows:
            grouped.setdefault(int(row[0]), []).append(row)
        return [self._entry(legs) for legs in grouped.values()]

    def _entry(self, legs: list[Sequence[Any]]) -> StoredEntry:
        first = legs[0]
        request = first[8]
        entry = LedgerEntry(
            id=first[1],
            operation_id=first[2],
            kind=LedgerEntryKind(first[3]),
            postings=tuple(Posting(account=row[10], amount=Money(int(row[12]), row[11])) for row in legs),
            created_at=self._decode_time(first[9]),
            deal_id=first[4],
            resolves=first[5],
            corrects=first[6],
            memo=first[7],
            sequence=int(first[0]),
        )
        return StoredEntry(entry, json.loads(request) if isinstance(request, str) else request)

    # --- checks ----------------------------------------------------------------------------------------------------

    def ledger_problems(self) -> list[str]:
        """What in the stored ledger breaks its rules, recomputed from the postings; empty when it is sound.

        Each entry balances per currency; each account's counters are the sum of its entries (posted: transfers,
        posts and corrections; pending: pending entries not yet resolved); each currency's posted balances sum to
        zero. A ledger written only by creatorkit has none of these problems; a database changed underneath it may.
        """
        self._check(False)
        problems: list[str] = []
        self._cur.execute(
            f"SELECT e.id, p.currency, SUM(p.amount) FROM {ENTRIES} e JOIN {POSTINGS} p ON p.entry = e.sequence"
            " GROUP BY e.id, p.currency HAVING SUM(p.amount) <> 0 ORDER BY e.id"
        )
        problems += [f"entry {row[0]} does not balance in {row[1]}: off by {row[2]}" for row in self._cur.fetchall()]
        self._cur.execute(_RECOMPUTED_BALANCES)
        for account_id, stored, recomputed in ((row[0], row[1:4], row[4:7]) for row in self._cur.fetchall()):
            if tuple(map(int, stored)) != tuple(map(int, recomputed)):
                problems.append(
                    f"account {account_id} holds (posted, pending debits, pending credits) {tuple(map(int, stored))}"
                    f" but its entries sum to {tuple(map(int, recomputed))}"
                )
        self._cur.execute(f"SELECT currency, SUM(posted) FROM {ACCOUNTS} GROUP BY currency HAVING SUM(posted) <> 0")
        problems += [f"posted balances in {row[0]} sum to {row[1]}, not zero" for row in self._cur.fetchall()]
        return problems


def _request_text(request: dict[str, Any]) -> str:
    """The request as stored: compact JSON with sorted keys, read back with ``json.loads`` and compared as data."""
    try:
        return orjson.dumps(request, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        # An integer beyond 64 bits, which orjson refuses: the store's integer columns refuse it next.
        return json.dumps(request, separators=(",", ":"), sort_keys=True)


# Per account: its stored counters beside what its postings add up to. A pending entry counts while nothing
# resolves it; posted amounts come from transfers, posts and corrections.
_RECOMPUTED_BALANCES = f"""
SELECT a.id, a.posted, a.pending_debits, a.pending_credits,
       COALESCE(s.posted, 0), COALESCE(s.pending_debits, 0), COALESCE(s.pending_credits, 0)
FROM {ACCOUNTS} a LEFT JOIN (
    SELECT p.account_id,
           SUM(CASE WHEN e.kind IN ('transfer', 'post', 'correction') THEN p.amount ELSE 0 END) AS posted,
           SUM(CASE WHEN e.kind = 'pending' AND r.id IS NULL AND p.amount > 0 THEN p.amount ELSE 0 END)
               AS pending_debits,
           SUM(CASE WHEN e.kind = 'pending' AND r.id IS NULL AND p.amount < 0 THEN -p.amount ELSE 0 END)
               AS pending_credits
    FROM {POSTINGS} p
    JOIN {ENTRIES} e ON e.sequence = p.entry
    LEFT JOIN {ENTRIES} r ON r.resolves = e.id
    GROUP BY p.account_id
) s ON s.account_id = a.id
ORDER BY a.id
"""
