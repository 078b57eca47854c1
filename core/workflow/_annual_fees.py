"""The annual fee a commission policy charges a brand (``annual_fee`` in ``[money.fees]``), once per brand and year.

It is billed on the ledger, not through the escrow provider: the brand's funding account is debited (below zero,
the brand owes it) and the platform's fee account credited, in one entry whose operation id names the brand,
the year and the currency (``annual-<brand>-<year>-<currency>``), so it is billed once however often it is asked
for. The kit bills it with the brand's first funded deal of each calendar year, in the transaction that records
that fund; :meth:`PaymentsService.bill_annual_fee` bills it on its own (a subscription starting before any
deal). Collecting it is the operator's billing, outside escrow: the invoice and the brand's balance show it owed.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..entities import Brand, LedgerAccountKind, LedgerEntry, Posting
from ..errors import Problem, ValidationError
from ..ledger import OpenAccount, Transfer, account_id
from ..ledger._journal import Journal
from ..money import is_currency

if TYPE_CHECKING:
    from .._change import Change
    from ..ledger import FeePolicy

__all__ = ["annual_fee_operation_id", "bill_annual_fee"]


def annual_fee_operation_id(brand_id: str, year: int, currency: str) -> str:
    """The ledger operation id of a brand's annual fee; brand ids too long for 64 characters are hashed."""
    operation_id = f"annual-{brand_id}-{year}-{currency}"
    if len(operation_id) <= 64:
        return operation_id
    digest = hashlib.sha256(brand_id.encode()).hexdigest()[:32]
    return f"annual-{digest}-{year}-{currency}"


def bill_annual_fee(
    change: Change, policy: FeePolicy, brand_id: str, year: int, currency: str, *, deal_id: str | None = None
) -> tuple[LedgerEntry | None, bool]:
    """Bill ``brand_id``'s fee for ``year`` in ``currency``, once: its ledger entry (None when the policy has no
    fee in ``currency``) and whether this call wrote it (False: it had been billed before).

    ``deal_id`` is the deal whose fund billed it, if one did: the entry names it, so that deal's invoice lists it.

    :raises ValidationError: a year outside 2000-9999.
    :raises NotFound: no such brand.
    :raises IdempotencyConflict: the year was billed with another fee (the policy changed since).
    """
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 9999:
        raise ValidationError([Problem("year", f"must be a calendar year (2000-9999), got {year!r}")], "annual fee")
    if not isinstance(currency, str) or not is_currency(currency):
        raise ValidationError([Problem("currency", f"must be an ISO 4217 code, got {currency!r}")], "annual fee")
    change.load("brand", brand_id, Brand)
    fee = policy.annual_fee(currency)
    if fee is None or fee.amount == 0:
        return None, False
    operation_id = annual_fee_operation_id(brand_id, year, currency)
    billed = change.ledger.ledger_entry_for_operation(operation_id)
    if billed is not None:
        deal_id = billed.entry.deal_id  # billed before (by another deal's fund, or on its own): asked as it was
    accounts = Journal(change)
    for kind, holder in ((LedgerAccountKind.BRAND_FUNDING, brand_id), (LedgerAccountKind.PLATFORM_FEES, None)):
        accounts.apply(OpenAccount(kind=kind, currency=currency, holder=holder))
    journal = Journal(change)
    entry = journal.apply(
        Transfer(
            operation_id=operation_id,
            postings=(
                Posting(account=account_id(LedgerAccountKind.BRAND_FUNDING, currency, holder=brand_id), amount=fee),
                Posting(account=account_id(LedgerAccountKind.PLATFORM_FEES, currency), amount=-fee),
            ),
            deal_id=deal_id,
            memo=f"annual fee {year} ({policy.name})",
        )
    )
    assert isinstance(entry, LedgerEntry)
    return entry, journal.wrote or accounts.wrote
