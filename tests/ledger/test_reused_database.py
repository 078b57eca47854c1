"""A reused database, reset, is what a newly migrated one is: the state machines start each sequence on one.

Held three ways, on each dialect: after writes to every table, a reset leaves what a new database holds (every row,
identity counter and guard); a kit on it finds nothing and starts the audit chain at genesis; and the same calls
then write exactly the rows (sequences, hashes) that they write on a new database. A reset that left one row, one
counter or one trigger behind fails one of them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from creatorkit import Creatorkit, Money
from creatorkit.audit import GENESIS
from creatorkit.entities import LedgerAccountKind as Kind
from creatorkit.errors import NotFound
from creatorkit.ledger import legs
from creatorkit.store import AcceptedEvent
from databases import Database, ReusedDatabase, empty_database

from .conftest import NOW, SYSTEM, ReusedDatabaseKits, add_deal, open_accounts


def write_to_every_table(kit: Creatorkit, tag: str) -> None:
    """A deal, its accounts, money in, a pending entry posted in part, a correction, a webhook event, a catalog row:
    every table."""
    deal = f"deal_{tag}"
    add_deal(kit, deal)
    accounts = open_accounts(kit, "USD", deal, tag)
    clearing, escrow = accounts[Kind.PROVIDER_CLEARING].id, accounts[Kind.DEAL_ESCROW].id
    payable = accounts[Kind.CREATOR_PAYABLE].id
    kit.ledger.transfer(SYSTEM, f"fund_{tag}", legs(clearing, escrow, Money(900, "USD")), deal_id=deal)
    pending = kit.ledger.pending(SYSTEM, f"hold_{tag}", debit=escrow, credit=payable, amount=Money(300, "USD"))
    post = kit.ledger.post(SYSTEM, f"release_{tag}", pending.id, Money(200, "USD"))
    kit.ledger.correct(SYSTEM, f"undo_{tag}", post.id, memo="posted by mistake")
    event = AcceptedEvent("stripe_connect", f"evt_{tag}", "payment", "payment_intent.succeeded", None, NOW, None, None)
    with kit.store._write_transaction() as tx:
        assert tx.record_webhook_event(event)
        # The local catalog's tables (kit.catalog writes them in bulk from a file).
        codes = tx.add_catalog_buckets(f"brand_{tag}", [("age", "18-24")])
        row = ("tiktok", f"cr_{tag}", 100, 0.05, "views", None, None, None, "US", "en", None, None, None, None)
        tx.write_catalog_rows([(f"brand_{tag}", *row, None, None, f"catimp_{tag}", tx.catalog_time(NOW))])
        assert codes == {("age", "18-24"): 0}


def refused(database: Database, sql: str) -> bool:
    try:
        database.execute(sql)
    except Exception:  # sqlite3.IntegrityError / psycopg.errors.RaiseException: whichever driver is underneath
        return True
    return False


def test_a_reset_leaves_every_table_counter_and_guard_as_a_new_database_has_them(
    reused_database: ReusedDatabase, tmp_path: Path
) -> None:
    fresh = empty_database(reused_database.database.dialect, tmp_path, "new.db")
    try:
        fresh.open().close()
        migrated = fresh.contents()
    finally:
        fresh.close()
    assert reused_database.migrated == migrated

    kit = Creatorkit(store=reused_database.fresh_store(), clock=lambda: NOW)
    write_to_every_table(kit, "a")
    written = reused_database.database.contents()
    untouched = {table for table, rows in written.rows.items() if rows == migrated.rows[table]}
    assert untouched == set(), "the writes above must reach every table, or the reset is not tested on all of them"
    assert written.counters != migrated.counters or reused_database.database.dialect == "sqlite"

    reused_database.reset()
    assert reused_database.database.contents() == migrated


def test_a_kit_after_a_reset_finds_nothing_and_starts_the_chain_at_genesis(reused_kits: ReusedDatabaseKits) -> None:
    kit = reused_kits.new()
    write_to_every_table(kit, "a")
    reused_kits.discard(kit)

    kit = reused_kits.new()  # on the same store, which has read and written all of it: none of it may be served
    assert kit.store.audit_head() == (0, GENESIS)
    assert list(kit.store.iter_audit()) == []
    assert kit.ledger.verify(SYSTEM) == []
    with pytest.raises(NotFound):
        kit.ledger.balance(SYSTEM, "deal_escrow:deal_a:USD")
    with kit.store.read() as tx:
        assert tx.get("deal", "deal_a") is None
        assert tx.accepted_webhook_events("stripe_connect", ["evt_a"]) == []
    # The guards are back: the reset lifted them only inside its own transaction (SQLite's fire row by row).
    write_to_every_table(kit, "c")
    database = reused_kits.database.database
    for table in ("ledger_entries", "ledger_postings", "ledger_accounts", "audit_events"):
        assert refused(database, f"DELETE FROM {table}"), table
    for sql in (
        "UPDATE ledger_entries SET memo = 'x'",
        "UPDATE ledger_postings SET leg = 9",
        "UPDATE audit_events SET hash = 'x'",
    ):
        assert refused(database, sql), sql


def test_the_same_calls_write_the_same_rows_after_a_reset_as_on_a_new_database(
    reused_database: ReusedDatabase, tmp_path: Path
) -> None:
    fresh = empty_database(reused_database.database.dialect, tmp_path, "new.db")
    try:
        write_to_every_table(Creatorkit(store=fresh.open(), clock=lambda: NOW), "b")
        expected = fresh.contents()
    finally:
        fresh.close()

    later = NOW + timedelta(days=3)  # other moments, ids and amounts first: the reset must forget all of them
    write_to_every_table(Creatorkit(store=reused_database.fresh_store(), clock=lambda: later), "a")
    kit = Creatorkit(store=reused_database.fresh_store(), clock=lambda: NOW)
    write_to_every_table(kit, "b")
    got = reused_database.database.contents()
    assert got == expected  # rows, entry and document sequences, the audit chain's hashes and head
    assert kit.store.audit_head() == expected_head(expected.rows["audit_head"])


def expected_head(rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    [(_, sequence, hash_, *_)] = rows
    return int(sequence), str(hash_)
