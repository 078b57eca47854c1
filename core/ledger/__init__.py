"""The double-entry ledger: where the core keeps what money is where, as the source of truth (``kit.ledger``).

Accounts (:class:`~creatorkit.entities.LedgerAccount`) are of a kind (brand funding, deal escrow, platform fees,
agency share, creator payable, provider clearing; see :data:`ACCOUNT_RULES`), in one currency each, scoped to a
deal or a holder. Journal entries (:class:`~creatorkit.entities.LedgerEntry`) balance per currency and are never
changed: a mistake is corrected by a new entry reversing it. Money moves at once (:class:`Transfer`) or in two
phases, TigerBeetle's way: a :class:`Pending` entry reserves an amount, then one :class:`Post` (all of it or part,
the rest released) or one :class:`Void` resolves it, exactly once, linked to it. Each movement's operation id makes
it happen once, and names its entry (:func:`entry_id`: ``le_<operation id>``). See :class:`LedgerService` for the
guarantees and ``docs/ledger.md`` for how the store holds them.

```python
from creatorkit.entities import LedgerAccountKind as Kind
from creatorkit.ledger import legs

escrow = kit.ledger.open_account(system, Kind.DEAL_ESCROW, "JPY", deal_id=deal.id)
funding = kit.ledger.open_account(system, Kind.BRAND_FUNDING, "JPY", holder=deal.brand_id)
hold = kit.ledger.pending(system, "op_hold_1", debit=funding.id, credit=escrow.id, amount=Money(380_000, "JPY"))
kit.ledger.post(system, "op_hold_1_post", hold.id)  # hold.id == entry_id("op_hold_1")
```
"""

from __future__ import annotations

from ._accounts import ACCOUNT_RULES, AccountRule, account_id
from ._fees import FEE_POLICY_GROUP, Commission, FeeContext, FeePolicy, FeeSide, load_fee_policy, split
from ._journal import entry_id
from ._operations import Correction, LedgerOperation, OpenAccount, Pending, Post, Transfer, Void, legs
from ._service import LedgerService

__all__ = [
    "ACCOUNT_RULES",
    "FEE_POLICY_GROUP",
    "AccountRule",
    "Commission",
    "Correction",
    "FeeContext",
    "FeePolicy",
    "FeeSide",
    "LedgerOperation",
    "LedgerService",
    "OpenAccount",
    "Pending",
    "Post",
    "Transfer",
    "Void",
    "account_id",
    "entry_id",
    "legs",
    "load_fee_policy",
    "split",
]
