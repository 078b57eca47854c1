"""What the database holds whoever writes: beneath the service, and across connections racing each other."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creatorkit import Creatorkit, Money, StateError, StoreError
from creatorkit.entities import LedgerAccountKind as Kind
from creatorkit.entities import LedgerEntryStatus
from creatorkit.ledger import legs
from creatorkit.store import open_store
from databases import Database

from .conftest import SYSTEM, KitFactory, add_deal, open_accounts


def _database(kits: KitFactory, kit: Creatorkit) -> Database:
    return kits._databases[id(kit)]


def _refused(database: Database, sql: str, params: tuple[Any, ...] = ()) -> str:
    """The driver's message when the database refuses ``sql`` (raising if it is accepted)."""
    try:
        database.execute(sql, params)
    except Exception as exc:  # sqlite3.IntegrityError / psycopg.errors.* — whichever driver is underneath
        return str(exc)
    raise AssertionError(f"the database accepted {sql!r}")


@pytest.fixture
def setup(kits: KitFactory) -> tuple[Creatorkit, Database, dict[Kind, str]]:
    kit = kits.new()
    add_deal(kit, "deal_1")
    accounts = {kind: account.id for kind, account in open_accounts(kit, "USD", "deal_1").items()}
    kit.ledger.transfer(
        SYSTEM, "op_fund", legs(accounts[Kind.PROVIDER_CLEARING], accounts[Kind.DEAL_ESCROW], Money(500, "USD"))
    )
    return kit, _database(kits, kit), accounts


def test_entries_and_postings_cannot_be_changed_or_deleted(setup: tuple[Creatorkit, Database, dict[Kind, str]]) -> None:
    _, database, _ = setup
    for sql in (
        "UPDATE ledger_entries SET memo = 'rewritten'",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_postings SET amount = amount * 2",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_accounts SET kind = 'provider_clearing'",
        "DELETE FROM ledger_accounts",
    ):
        assert "never changed" in _refused(database, sql)


def test_an_account_that_cannot_owe_never_goes_below_zero(setup: tuple[Creatorkit, Database, dict[Kind, str]]) -> None:
    kit, database, accounts = setup
    escrow = accounts[Kind.DEAL_ESCROW]
    # Escrow is credit-normal: its posted counter is -500; taking 501 out of it would leave it owing.
    assert "ledger_accounts_cannot_owe" in _refused(
        database, "UPDATE ledger_accounts SET posted = posted + 501 WHERE id = ?", (escrow,)
    )
    assert "ledger_accounts_cannot_owe" in _refused(
        database, "UPDATE ledger_accounts SET pending_debits = 501 WHERE id = ?", (escrow,)
    )
    database.execute("UPDATE ledger_accounts SET posted = posted + 1 WHERE id = ?", (accounts[Kind.BRAND_FUNDING],))
    assert kit.ledger.verify(SYSTEM) == [
        f"account {accounts[Kind.BRAND_FUNDING]} holds (posted, pending debits, pending credits) (1, 0, 0)"
        " but its entries sum to (0, 0, 0)",
        "posted balances in USD sum to 1, not zero",
    ]


def test_a_pending_entry_is_resolved_once_even_beneath_the_service(
    setup: tuple[Creatorkit, Database, dict[Kind, str]],
) -> None:
    kit, database, accounts = setup
    hold = kit.ledger.pending(
        SYSTEM, "op_p", debit=accounts[Kind.DEAL_ESCROW], credit=accounts[Kind.CREATOR_PAYABLE], amount=Money(5, "USD")
    )
    kit.ledger.void(SYSTEM, "op_v", hold.id)
    row = (
        "INSERT INTO ledger_entries (id, operation_id, kind, resolves, memo, request, created_at)"
        " VALUES (?, ?, ?, ?, '', '{}', ?)"
    )
    when = "2026-03-02T09:00:00+00:00"
    second_resolution = _refused(database, row, ("le_x", "op_x", "post", hold.id, when))
    assert "ledger_entries.resolves" in second_resolution or "ledger_entries_one_resolution" in second_resolution
    assert _refused(database, row, ("le_y", "op_y", "transfer", hold.id, when))  # only posts and voids resolve


def test_a_posting_is_in_its_accounts_currency(setup: tuple[Creatorkit, Database, dict[Kind, str]]) -> None:
    # Through a store connection: SQLite checks foreign keys only on connections that ask (the store's do).
    kit, _, accounts = setup
    with pytest.raises(StoreError, match=r"(?i)foreign key"), kit.store._write_transaction() as tx:
        p = tx._P
        tx._cur.execute(
            f"INSERT INTO ledger_postings (entry, leg, account_id, currency, amount)"
            f" SELECT MIN(sequence), 9, {p}, 'JPY', 1 FROM ledger_entries",
            (accounts[Kind.DEAL_ESCROW],),
        )


def test_two_connections_posting_one_pending_entry_post_it_once(
    setup: tuple[Creatorkit, Database, dict[Kind, str]],
) -> None:
    kit, database, accounts = setup
    hold = kit.ledger.pending(
        SYSTEM,
        "op_p",
        debit=accounts[Kind.DEAL_ESCROW],
        credit=accounts[Kind.CREATOR_PAYABLE],
        amount=Money(300, "USD"),
    )
    kits = [Creatorkit(store=open_store(database.url, audit_keys=kit.store.audit_keys)) for _ in range(4)]
    start = threading.Barrier(len(kits))
    outcomes: list[object] = []

    def race(index: int, other: Creatorkit) -> None:
        start.wait()
        try:
            outcomes.append(other.ledger.post(SYSTEM, f"op_post_{index}", hold.id, Money(100 + index, "USD")))
        except StateError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=race, args=(i, other)) for i, other in enumerate(kits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in kits:
        other.close()
    refusals = [o for o in outcomes if isinstance(o, StateError)]
    assert len(outcomes) == 4 and len(refusals) == 3
    assert {r.state for r in refusals} == {"posted"}
    assert kit.ledger.status(SYSTEM, hold.id) is LedgerEntryStatus.POSTED
    assert kit.ledger.balance(SYSTEM, accounts[Kind.DEAL_ESCROW]).pending_out == Money(0, "USD")
    assert kit.ledger.verify(SYSTEM) == []
