"""Several connections at once: optimistic updates cannot both win; appends form one linear chain."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from creatorkit.audit import verify_chain
from creatorkit.errors import ConflictError
from creatorkit.store import Store
from creatorkit.store import _migrations as migrations
from databases import Database

T = TypeVar("T")
TIMEOUT = 30


def run_together(*calls: Callable[[], T]) -> list[T | BaseException]:
    """Run each call in its own thread; return its result or the exception it raised."""

    def capture(call: Callable[[], T]) -> T | BaseException:
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(capture, call) for call in calls]
        return [f.result(timeout=TIMEOUT) for f in futures]


def _seed(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"price": 100}, state="negotiating")


def test_two_writers_from_the_same_version_exactly_one_wins(db: Database, store: Store) -> None:
    """Each thread is its own store (its own connection, like another process): read, then write."""
    _seed(store)
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def writer(price: int) -> Callable[[], int]:
        def run() -> int:
            other = db.open()
            with other.read() as tx:
                seen = tx.require("deal", "d1")
            barrier.wait()  # both have read version 1 before either writes
            with other._write_transaction() as tx:
                tx.update("deal", "d1", {"price": price}, expected_version=seen.version)
                tx.append_audit(
                    actor_id=f"manager_{price}",
                    action="deal.price_changed",
                    entity_kind="deal",
                    entity_id="d1",
                    payload={"price": price},
                )
            return price

        return run

    outcomes = run_together(writer(110), writer(120))
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert (losers[0].expected_version, losers[0].actual_version) == (1, 2)
    with store.read() as tx:
        record = tx.require("deal", "d1")
        assert (record.version, record.doc) == (2, {"price": winners[0]})
        assert len(tx.audit_for(entity_ids=["d1"])) == 1  # the loser's event was rolled back with it
    assert verify_chain(store).events == 1


@pytest.mark.postgres
def test_two_open_transactions_updating_one_row_exactly_one_wins(db: Database, store: Store) -> None:
    """Both transactions are open at once and both read version 1; the second blocks, then conflicts.

    (SQLite cannot have two write transactions open at once: BEGIN IMMEDIATE queues the second.)
    """
    if db.dialect != "postgresql":
        pytest.skip("needs concurrent write transactions")
    _seed(store)
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def writer(price: int) -> Callable[[], int]:
        def run() -> int:
            other = db.open()
            with other._write_transaction() as tx:
                seen = tx.require("deal", "d1")
                barrier.wait()
                tx.update("deal", "d1", {"price": price}, expected_version=seen.version)
                tx.append_audit(
                    actor_id="m",
                    action="deal.price_changed",
                    entity_kind="deal",
                    entity_id="d1",
                    payload={"price": price},
                )
            return price

        return run

    outcomes = run_together(writer(110), writer(120))
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "int"], outcomes
    with store.read() as tx:
        assert tx.require("deal", "d1").version == 2
    assert verify_chain(store).events == 1


def test_threads_sharing_one_store_each_get_their_own_connection(store: Store) -> None:
    _seed(store)
    connections: list[object] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3, timeout=TIMEOUT)

    def work() -> None:
        barrier.wait()  # three live threads, so no pool thread runs two of these
        done = 0
        while done < 5:
            try:
                with store._write_transaction() as tx:
                    record = tx.require("deal", "d1")
                    tx.update("deal", "d1", {"price": record.doc["price"] + 1}, expected_version=record.version)
                    with lock:
                        connections.append(tx._conn)
                done += 1
            except ConflictError:
                continue  # another thread got there first (PostgreSQL): reload and retry, as services do

    results = run_together(work, work, work)
    assert results == [None, None, None]
    assert len({id(c) for c in connections}) == 3
    with store.read() as tx:
        assert tx.require("deal", "d1").doc == {"price": 115}


def test_concurrent_appends_form_one_intact_chain(db: Database, store: Store) -> None:
    threads, transactions, per_transaction = 4, 15, 2
    barrier = threading.Barrier(threads, timeout=TIMEOUT)

    def appender(n: int) -> Callable[[], list[int]]:
        def run() -> list[int]:
            own = db.open()
            sequences = []
            barrier.wait()
            for t in range(transactions):
                with own._write_transaction() as tx:
                    for k in range(per_transaction):
                        event = tx.append_audit(
                            actor_id=f"worker_{n}",
                            action="note.added",
                            entity_kind="note",
                            entity_id=f"n{n}-{t}-{k}",
                            payload={"n": n, "t": t, "k": k},
                        )
                        sequences.append(event.sequence)
            return sequences

        return run

    outcomes = run_together(*(appender(n) for n in range(threads)))
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    every = sorted(s for o in outcomes if isinstance(o, list) for s in o)
    total = threads * transactions * per_transaction
    assert every == list(range(1, total + 1))
    for sequences in outcomes:
        assert isinstance(sequences, list)
        # One transaction's events are consecutive: appends serialize per transaction.
        for i in range(0, len(sequences), per_transaction):
            assert sequences[i + 1] == sequences[i] + 1
    assert verify_chain(store, raise_on_error=True).events == total


def test_stores_opening_a_fresh_database_at_once_migrate_it_once(db: Database) -> None:
    barrier = threading.Barrier(4, timeout=TIMEOUT)

    def opener() -> int:
        barrier.wait()
        return db.open().schema_version()

    outcomes = run_together(opener, opener, opener, opener)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert db.execute("SELECT COUNT(*) FROM schema_migrations") == [(len(migrations.MIGRATIONS),)]
