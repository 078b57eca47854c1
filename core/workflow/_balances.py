"""``kit.payments.balances``: the ledger accounts a party holds or answers for, with their balances.

What each party sees: a brand its funding accounts and the escrow of its deals; a creator what the platform owes
them (``creator_payable``); an agency its share and what is owed to the creators on its roster; a talent manager
what is owed to the creators they manage; the system the platform's own books (fees, each provider's clearing
account, every deal's escrow) and every party's accounts the payments flow opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .._service import Service
from ..entities import Actor, LedgerAccount, LedgerAccountKind, LedgerBalance, PartyKind, PaymentOperation
from ..ledger import account_id
from ..parties._access import represented_creators

if TYPE_CHECKING:
    from .._change import View

__all__ = ["AccountBalance", "BalanceService"]


@attrs.frozen(kw_only=True)
class AccountBalance:
    account: LedgerAccount
    balance: LedgerBalance


class BalanceService(Service):
    """Runs :meth:`PaymentsService.balances`."""

    def balances(self, actor: Actor) -> list[AccountBalance]:
        """The accounts ``actor`` holds or answers for, by kind and id (see the module)."""

        def work(view: View) -> list[AccountBalance]:
            ids = sorted(_account_ids(view, actor))
            found = view.ledger.ledger_accounts(ids)
            rows = [AccountBalance(account=found[i][0], balance=found[i][1]) for i in ids if i in found]
            return sorted(rows, key=lambda row: (str(row.account.kind), row.account.id))

        return self._read(actor, work, "read_balances")


def _held_by(view: View, holder: str, *kinds: LedgerAccountKind) -> set[str]:
    return {a.id for a in view.ledger.ledger_accounts_of(holder=holder) if a.kind in kinds}


def _of_deal(view: View, deal_id: str) -> set[str]:
    return {a.id for a in view.ledger.ledger_accounts_of(deal_id=deal_id)}


def _account_ids(view: View, actor: Actor) -> set[str]:
    payable = LedgerAccountKind.CREATOR_PAYABLE
    if actor.kind is PartyKind.BRAND:
        ids = _held_by(view, actor.id, LedgerAccountKind.BRAND_FUNDING)
        for record in view.records("deal", workspace=actor.id):
            ids |= _of_deal(view, record.id)
        return ids
    if actor.kind is PartyKind.CREATOR:
        return _held_by(view, actor.id, payable)
    if actor.kind in (PartyKind.AGENCY, PartyKind.TALENT_MANAGER):
        ids = _held_by(view, actor.id, LedgerAccountKind.AGENCY_SHARE) if actor.kind is PartyKind.AGENCY else set()
        for creator_id in represented_creators(view, actor):
            ids |= _held_by(view, creator_id, payable)
        return ids
    if actor.kind is PartyKind.SYSTEM:
        return _platform_books(view)
    return set()


def _platform_books(view: View) -> set[str]:
    """Every account the payments flow opened: found from the movements it made, and the holders they name."""
    ids: set[str] = set()
    holders: set[str] = set()
    deals: set[str] = set()
    currencies: set[str] = set()
    for operation in view.find("payment_operation", PaymentOperation):
        holders |= {operation.provider, operation.brand_id, operation.creator_id}
        holders |= {leg.party_id for leg in operation.request.legs}
        deals.add(operation.deal_id)
        currencies.add(operation.request.amount.currency)
    for holder in holders:
        ids |= {a.id for a in view.ledger.ledger_accounts_of(holder=holder)}
    for deal_id in deals:
        ids |= _of_deal(view, deal_id)
    ids |= {account_id(LedgerAccountKind.PLATFORM_FEES, currency) for currency in currencies}
    return ids
