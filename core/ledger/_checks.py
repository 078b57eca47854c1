"""The checks an operation passes before the ledger looks at the database: every problem at once, with its path."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._text import text_problem
from ..entities import Posting
from ..errors import Problem, ValidationError
from ..money import Money
from ._operations import Correction, LedgerOperation, OpenAccount, Pending, Post, Transfer, Void

__all__ = ["check_operation", "prefixed"]

# The provider's idempotency key too: what every provider accepts (see creatorkit.entities.ProviderRequest).
_OPERATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def prefixed(error: ValidationError, where: str) -> ValidationError:
    """``error`` with every path under ``where`` (``operations[2].``), for a batch that names its operation."""
    if not where:
        return error
    return ValidationError([Problem(where + p.path, p.message) for p in error.problems], error.what)


def check_operation(operation: LedgerOperation, where: str) -> None:
    """ValidationError listing what is wrong with ``operation`` on its face (each path under ``where``)."""
    problems: list[Problem] = []
    if not isinstance(operation, OpenAccount):
        if not isinstance(operation.operation_id, str) or not _OPERATION_ID.match(operation.operation_id):
            problems.append(Problem("operation_id", "must be 1 to 64 letters, digits, '_' or '-'"))
        problems += _text("memo", operation.memo, blank_ok=True)
    if isinstance(operation, Transfer):
        problems += _text("deal_id", operation.deal_id, optional=True)
        problems += _postings(operation.postings)
    elif isinstance(operation, Pending):
        problems += _text("deal_id", operation.deal_id, optional=True)
        problems += _text("debit", operation.debit) + _text("credit", operation.credit)
        if operation.debit == operation.credit:
            problems.append(Problem("credit", "a pending entry moves money between two different accounts"))
        problems += _positive("amount", operation.amount)
    elif isinstance(operation, Post | Void):
        problems += _text("pending_id", operation.pending_id)
        if isinstance(operation, Post) and operation.amount is not None:
            problems += _positive("amount", operation.amount)
    elif isinstance(operation, Correction):
        problems += _text("entry_id", operation.entry_id)
    if problems:
        raise prefixed(ValidationError(problems, f"ledger {_name(operation)}"), where)


def _name(operation: LedgerOperation) -> str:
    return "account" if isinstance(operation, OpenAccount) else str(operation.kind)


def _text(path: str, value: object, *, optional: bool = False, blank_ok: bool = False) -> list[Problem]:
    if value is None and optional:
        return []
    if not isinstance(value, str):
        return [Problem(path, f"must be text, got {type(value).__name__}")]
    if not blank_ok and not value.strip():
        return [Problem(path, "must not be empty")]
    why = text_problem(value)
    return [Problem(path, why)] if why else []


def _positive(path: str, amount: object) -> list[Problem]:
    if not isinstance(amount, Money):
        return [Problem(path, f"must be Money, got {type(amount).__name__}")]
    if amount.amount <= 0:
        return [Problem(path, f"must be at least one minor unit, got {amount}")]
    return []


def _postings(postings: Sequence[Posting]) -> list[Problem]:
    problems: list[Problem] = []
    if len(postings) < 2:
        problems.append(Problem("postings", "a journal entry needs at least two postings"))
    seen: set[str] = set()
    totals: dict[str, int] = {}
    for index, posting in enumerate(postings):
        path = f"postings[{index}]"
        if not isinstance(posting, Posting):
            problems.append(Problem(path, f"must be a Posting, got {type(posting).__name__}"))
            continue
        problems += _text(f"{path}.account", posting.account)
        if posting.account in seen:
            problems.append(Problem(f"{path}.account", f"{posting.account} is posted to twice: once per entry"))
        seen.add(posting.account)
        if posting.amount.amount == 0:
            problems.append(Problem(f"{path}.amount", "a posting moves at least one minor unit"))
        totals[posting.amount.currency] = totals.get(posting.amount.currency, 0) + posting.amount.amount
    for currency, total in sorted(totals.items()):
        if total:
            problems.append(Problem("postings", f"{currency} postings sum to {total} minor units, not zero"))
    return problems
