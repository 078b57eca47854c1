"""What a transaction already knows: its own writes, and (on SQLite) the committed documents its connection read.

Reads are served from memory only while that cannot be stale: a write from another connection or process
empties the cache, a rolled-back transaction leaves nothing behind, and several updates of one document in
a transaction reach the database once, before any query that could see them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from creatorkit.errors import ConflictError
from creatorkit.store import Store, open_store
from databases import Database


class Boom(Exception):
    pass


def test_a_transaction_reads_its_own_updates_and_queries_see_them(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"n": 0}, parent="c1", state="invited")
    with store._write_transaction() as tx:
        first = tx.update("deal", "d1", {"n": 1}, expected_version=1, state="negotiating")
        second = tx.update("deal", "d1", {"n": 2}, expected_version=first.version, state="agreed")
        assert tx.require("deal", "d1") == second
        found = tx.find("deal", parent="c1", state="agreed")
        assert [(r.id, r.version, r.doc) for r in found] == [("d1", 3, {"n": 2})]
        with pytest.raises(ConflictError):
            tx.update("deal", "d1", {"n": 9}, expected_version=first.version)
    with store.read() as tx:
        stored = tx.require("deal", "d1")
    assert (stored.version, stored.state, stored.doc) == (3, "agreed", {"n": 2})


def test_a_rolled_back_transaction_leaves_nothing_in_memory(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"n": 0})
    with pytest.raises(Boom), store._write_transaction() as tx:
        tx.update("deal", "d1", {"n": 1}, expected_version=1)
        tx.insert("deal", "d2", {"n": 0})
        raise Boom
    with store._write_transaction() as tx:
        assert tx.require("deal", "d1").doc == {"n": 0}
        assert tx.get("deal", "d2") is None
        # The version the rolled-back update claimed is free again, and it is the stored document that wins.
        assert tx.update("deal", "d1", {"n": 5}, expected_version=1).version == 2


def test_a_write_by_another_store_on_the_same_database_is_seen(db: Database) -> None:
    mine, theirs = db.open(), db.open()
    with mine._write_transaction() as tx:
        tx.insert("deal", "d1", {"n": 0})
    with mine.read() as tx:
        assert tx.require("deal", "d1").doc == {"n": 0}  # now known to this connection
    with theirs._write_transaction() as tx:
        tx.update("deal", "d1", {"n": 1}, expected_version=1)
    with mine.read() as tx:
        assert tx.require("deal", "d1").doc == {"n": 1}
    with pytest.raises(ConflictError), mine._write_transaction() as tx:
        tx.update("deal", "d1", {"n": 2}, expected_version=1)


def test_a_write_by_another_process_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = open_store(path)
    try:
        with store._write_transaction() as tx:
            tx.insert("deal", "d1", {"n": 0})
        with store.read() as tx:
            tx.require("deal", "d1")
        # Another program writing the file directly: no creatorkit object knows about it.
        other = sqlite3.connect(path)
        with other:
            other.execute("UPDATE documents SET doc = '{\"n\": 7}', version = 2 WHERE kind = 'deal' AND id = 'd1'")
        other.close()
        with store.read() as tx:
            record = tx.require("deal", "d1")
        assert (record.version, record.doc) == (2, {"n": 7})
    finally:
        store.close()


def test_coalesced_updates_reach_the_database_once_with_the_last_state(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.db")
    try:
        with store._write_transaction() as tx:
            tx.insert("deal", "d1", {"n": 0}, state="invited")
        with store.read() as tx:
            tx.require("deal", "d1")  # known: its updates may now be deferred
        statements: list[str] = []
        conn = store._acquire()
        conn.set_trace_callback(statements.append)
        try:
            with store._write_transaction() as tx:
                for n in range(1, 4):
                    tx.update("deal", "d1", {"n": n}, expected_version=n, state=f"s{n}")
        finally:
            conn.set_trace_callback(None)
        assert sum(s.startswith("UPDATE documents") for s in statements) == 1
        fresh = open_store(tmp_path / "store.db")
        with fresh.read() as tx:
            record = tx.require("deal", "d1")
        fresh.close()
        assert (record.version, record.state, record.doc) == (4, "s3", {"n": 3})
    finally:
        store.close()


def _append(store: Store, entity_id: str) -> None:
    with store._write_transaction() as tx:
        tx.append_audit(actor_id="a", action="x", entity_kind="deal", entity_id=entity_id, payload={})


def test_the_known_audit_head_follows_other_writers_and_rollbacks(db: Database) -> None:
    from creatorkit.audit import verify_chain

    first, second = db.open(), db.open()
    _append(first, "e1")
    _append(second, "e2")  # first's connection must not go on from e1
    _append(first, "e3")
    with pytest.raises(Boom), first._write_transaction() as tx:
        tx.append_audit(actor_id="a", action="x", entity_kind="deal", entity_id="rolled-back", payload={})
        raise Boom
    _append(first, "e4")
    events = list(first.iter_audit())
    assert [e.entity_id for e in events] == ["e1", "e2", "e3", "e4"]
    assert [e.sequence for e in events] == [1, 2, 3, 4]
    assert verify_chain(first).ok and verify_chain(second).ok


def test_an_interrupt_right_after_commit_leaves_nothing_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from creatorkit.audit import verify_chain

    store = open_store(tmp_path / "s.db")
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"n": 0})
    _append(store, "e1")
    real = type(store)._commit

    def interrupted(self: Store, conn: object) -> None:
        real(self, conn)
        raise KeyboardInterrupt  # the COMMIT went through; the caller never hears of it

    monkeypatch.setattr(type(store), "_commit", interrupted)
    with pytest.raises(KeyboardInterrupt), store._write_transaction() as tx:
        tx.update("deal", "d1", {"n": 1}, expected_version=1)
        tx.append_audit(actor_id="a", action="x", entity_kind="deal", entity_id="e2", payload={})
    monkeypatch.setattr(type(store), "_commit", real)

    with store._write_transaction() as tx:  # the committed version and head, not what the connection knew before
        assert tx.require("deal", "d1").version == 2
        tx.update("deal", "d1", {"n": 2}, expected_version=2)
    _append(store, "e3")
    assert [e.entity_id for e in store.iter_audit()] == ["e1", "e2", "e3"]
    assert verify_chain(store).ok
    store.close()
