"""The account kinds as a table: each kind's normal side, whether it may go negative, and whose account it is.

An account holds one currency. Its id names its kind, what it is scoped to and its currency, so opening it twice
finds the same account: ``deal_escrow:deal_1:USD``, ``creator_payable:creator_ana:JPY``, ``platform_fees:KWD``.
``fund_escrow`` is for an escrow provider's own books: its holder is the fund's reference (``fund_escrow:le_op_1:USD``).

Money flows, for a deal the brand prepays: the provider takes the brand's money (debit ``provider_clearing``,
credit ``brand_funding``), the brand's money is held for the deal (debit ``brand_funding``, credit
``deal_escrow``), a milestone is released (debit ``deal_escrow``; credit ``platform_fees``, ``agency_share`` and
``creator_payable``), the creator is paid out (debit ``creator_payable``, credit ``provider_clearing``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ..entities import LedgerAccount, LedgerAccountKind, NormalBalance
from ..errors import Problem, ValidationError
from ..money import is_currency

__all__ = ["ACCOUNT_RULES", "AccountRule", "account_id", "new_account"]

Scope = Literal["deal", "holder", "platform"]


@attrs.frozen
class AccountRule:
    """What an account of one kind is: the side that increases it, whether it may owe, what it is scoped to."""

    normal_balance: NormalBalance
    may_go_negative: bool
    scope: Scope
    why: str


ACCOUNT_RULES: dict[LedgerAccountKind, AccountRule] = {
    LedgerAccountKind.BRAND_FUNDING: AccountRule(
        NormalBalance.CREDIT, True, "holder", "the brand's money not yet held for a deal; below zero, the brand owes"
    ),
    LedgerAccountKind.DEAL_ESCROW: AccountRule(
        NormalBalance.CREDIT, False, "deal", "money held for one deal: nothing can be released that was not funded"
    ),
    LedgerAccountKind.PLATFORM_FEES: AccountRule(
        NormalBalance.CREDIT, False, "platform", "the platform's commission: no more refunded than was earned"
    ),
    LedgerAccountKind.AGENCY_SHARE: AccountRule(
        NormalBalance.CREDIT, False, "holder", "owed to an agency: nothing paid out that is not owed"
    ),
    LedgerAccountKind.CREATOR_PAYABLE: AccountRule(
        NormalBalance.CREDIT, False, "holder", "owed to a creator: nothing paid out that is not owed"
    ),
    LedgerAccountKind.PROVIDER_CLEARING: AccountRule(
        NormalBalance.DEBIT, True, "holder", "money at a provider, in either direction while it settles"
    ),
    # An escrow provider that keeps its books on a ledger (creatorkit_payments.ledger_escrow) holds each fund
    # apart, in a store of its own where the workspace's deals are not: scoped to the fund, not to a deal.
    LedgerAccountKind.FUND_ESCROW: AccountRule(
        NormalBalance.CREDIT, False, "holder", "money an escrow provider holds for one fund: never released twice"
    ),
}


def account_id(kind: LedgerAccountKind, currency: str, *, holder: str | None = None, deal_id: str | None = None) -> str:
    """The id of the account of ``kind`` in ``currency`` for that holder or deal (see :data:`ACCOUNT_RULES`)."""
    scope = ACCOUNT_RULES[kind].scope
    if scope == "platform":
        return f"{kind}:{currency}"
    return f"{kind}:{deal_id if scope == 'deal' else holder}:{currency}"


def new_account(
    kind: object, currency: object, *, holder: str | None, deal_id: str | None, opened_at: datetime
) -> LedgerAccount:
    """The account ``kind`` ``currency`` for ``holder`` or ``deal_id``; ValidationError naming each wrong argument."""
    problems: list[Problem] = []
    try:
        kind = LedgerAccountKind(str(kind))
    except ValueError:
        kinds = ", ".join(str(k) for k in LedgerAccountKind)
        raise ValidationError(
            [Problem("kind", f"{kind!r} is not an account kind ({kinds})")], "ledger account"
        ) from None
    if not isinstance(currency, str) or not is_currency(currency):
        problems.append(Problem("currency", f"{currency!r} is not an ISO 4217 currency code with a minor unit"))
    scope = ACCOUNT_RULES[kind].scope
    for name, value, wanted in (("holder", holder, scope == "holder"), ("deal_id", deal_id, scope == "deal")):
        if wanted and not (isinstance(value, str) and value.strip() and ":" not in value):
            problems.append(Problem(name, f"a {kind} account needs a {name} (text without ':')"))
        elif not wanted and value is not None:
            problems.append(Problem(name, f"a {kind} account has no {name}"))
    if problems:
        raise ValidationError(problems, "ledger account")
    assert isinstance(currency, str)
    rule = ACCOUNT_RULES[kind]
    return LedgerAccount(
        id=account_id(kind, currency, holder=holder, deal_id=deal_id),
        kind=kind,
        currency=currency,
        normal_balance=rule.normal_balance,
        may_go_negative=rule.may_go_negative,
        opened_at=opened_at,
        holder=holder,
        deal_id=deal_id,
    )
