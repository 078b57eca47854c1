"""What a caller asks the ledger to do, as values: one per operation, applied together by ``kit.ledger.apply``.

Each operation but :class:`OpenAccount` carries its ``operation_id``: the key that makes it happen once. Its
:meth:`request` is what a retry with the same id is compared with, field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..entities import LedgerAccountKind, LedgerEntryKind, Posting
from ..money import Money

__all__ = [
    "Correction",
    "LedgerOperation",
    "OpenAccount",
    "Pending",
    "Post",
    "Transfer",
    "Void",
    "legs",
]


def _postings(value: Sequence[Posting]) -> tuple[Posting, ...]:
    return tuple(value)


def legs(debit: str, credit: str, amount: Money) -> tuple[Posting, Posting]:
    """The two postings that move ``amount`` from ``credit`` to ``debit`` (debits positive, credits negative)."""
    return Posting(account=debit, amount=amount), Posting(account=credit, amount=-amount)


def _money(amount: Money) -> list[Any]:
    return [amount.amount, amount.currency]


@attrs.frozen(kw_only=True)
class OpenAccount:
    """Open the account of ``kind`` in ``currency`` for ``holder`` or ``deal_id``; an open one is found again."""

    kind: LedgerAccountKind
    currency: str
    holder: str | None = None
    deal_id: str | None = None


@attrs.frozen(kw_only=True)
class Transfer:
    """Move money at once: ``postings`` (at least two, balanced per currency, each account once) are posted."""

    operation_id: str
    postings: tuple[Posting, ...] = attrs.field(converter=_postings)
    deal_id: str | None = None
    memo: str = ""

    kind = LedgerEntryKind.TRANSFER

    def request(self) -> dict[str, Any]:
        postings = [[p.account, *_money(p.amount)] for p in self.postings]
        return {"kind": str(self.kind), "postings": postings, "deal_id": self.deal_id, "memo": self.memo}


@attrs.frozen(kw_only=True)
class Pending:
    """Reserve ``amount`` from ``credit`` to ``debit``: counted against ``credit``'s available balance, not posted."""

    operation_id: str
    debit: str
    credit: str
    amount: Money
    deal_id: str | None = None
    memo: str = ""

    kind = LedgerEntryKind.PENDING

    def request(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "debit": self.debit,
            "credit": self.credit,
            "amount": _money(self.amount),
            "deal_id": self.deal_id,
            "memo": self.memo,
        }


@attrs.frozen(kw_only=True)
class Post:
    """Post a pending entry: ``amount`` of it (all of it when None, at least one minor unit); the rest is released."""

    operation_id: str
    pending_id: str
    amount: Money | None = None
    memo: str = ""

    kind = LedgerEntryKind.POST

    def request(self) -> dict[str, Any]:
        amount = None if self.amount is None else _money(self.amount)
        return {"kind": str(self.kind), "pending_id": self.pending_id, "amount": amount, "memo": self.memo}


@attrs.frozen(kw_only=True)
class Void:
    """Release a pending entry whole: nothing of it is posted."""

    operation_id: str
    pending_id: str
    memo: str = ""

    kind = LedgerEntryKind.VOID

    def request(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "pending_id": self.pending_id, "memo": self.memo}


@attrs.frozen(kw_only=True)
class Correction:
    """Reverse a posted entry (a transfer or a post) with a new entry of the opposite postings, at most once."""

    operation_id: str
    entry_id: str
    memo: str = ""

    kind = LedgerEntryKind.CORRECTION

    def request(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "entry_id": self.entry_id, "memo": self.memo}


LedgerOperation = OpenAccount | Transfer | Pending | Post | Void | Correction
