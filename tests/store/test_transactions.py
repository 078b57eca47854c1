"""Transaction boundaries: commit, rollback on any exception, no nesting, no use after the block."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorkit.audit import GENESIS, verify_chain
from creatorkit.errors import StoreError
from creatorkit.store import Store, open_store
from creatorkit.store._base import mask_url
from databases import Database


class Boom(Exception):
    pass


def _write_deal_and_event(store: Store, deal_id: str, fail: bool) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", deal_id, {"price": 100}, state="invited")
        tx.append_audit(
            actor_id="manager_1",
            action="deal.created",
            entity_kind="deal",
            entity_id=deal_id,
            payload={"price": 100},
        )
        if fail:
            raise Boom("crash after both writes")


def test_commit_makes_the_change_and_its_event_visible_to_another_store(db: Database, store: Store) -> None:
    _write_deal_and_event(store, "d1", fail=False)
    other = db.open()
    with other.read() as tx:
        assert tx.require("deal", "d1").state == "invited"
        assert [e.entity_id for e in tx.audit_for(entity_ids=["d1"])] == ["d1"]


def test_an_exception_rolls_back_the_document_and_its_audit_event(store: Store) -> None:
    _write_deal_and_event(store, "d0", fail=False)
    head_before = store.audit_head()
    with pytest.raises(Boom):
        _write_deal_and_event(store, "d1", fail=True)
    with store.read() as tx:
        assert tx.get("deal", "d1") is None
        assert tx.audit_for(entity_ids=["d1"]) == []
    assert store.audit_head() == head_before
    assert verify_chain(store).ok
    # The next append continues the chain from where the committed part ended.
    _write_deal_and_event(store, "d2", fail=False)
    assert store.audit_head()[0] == 2
    assert verify_chain(store).events == 2


def test_a_failure_of_the_store_itself_rolls_back_too(store: Store) -> None:
    with pytest.raises(StoreError), store._write_transaction() as tx:
        tx.insert("deal", "d1", {})
        tx.append_audit(actor_id="m", action="deal.created", entity_kind="deal", entity_id="d1", payload={})
        tx._cur.execute("SELECT * FROM no_such_table")  # a database error midway
    with store.read() as tx:
        assert tx.get("deal", "d1") is None
    assert store.audit_head() == (0, GENESIS)


def test_keyboard_interrupt_also_rolls_back(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), store._write_transaction() as tx:
        tx.insert("deal", "d1", {})
        raise KeyboardInterrupt
    with store.read() as tx:
        assert tx.get("deal", "d1") is None


def test_transactions_do_not_nest(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {})
        with pytest.raises(StoreError, match="nest"), store._write_transaction():
            pass
        with pytest.raises(StoreError, match="nest"), store.read():
            pass
    # The outer transaction was unaffected and committed; the store is usable again.
    with store.read() as tx:
        assert tx.get("deal", "d1") is not None


def test_a_transaction_cannot_be_used_after_its_block(store: Store) -> None:
    with store._write_transaction() as tx:
        pass
    with pytest.raises(StoreError, match="transaction is over"):
        tx.insert("deal", "d1", {})
    with pytest.raises(StoreError, match="transaction is over"):
        tx.get("deal", "d1")


def test_a_closed_store_refuses_work(db: Database) -> None:
    store = db.open()
    store.close()
    with pytest.raises(StoreError, match="closed"), store._write_transaction():
        pass


def test_store_describes_itself(store: Store, db: Database) -> None:
    assert store.dialect == db.dialect
    assert store.url in repr(store)


@pytest.mark.postgres
def test_postgres_password_never_shows(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a PostgreSQL URL")
    url = db.url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in url
    store = open_store(url)  # the test server trusts loopback, so any password works
    try:
        assert "s3cret-pw" not in store.url
        assert "s3cret-pw" not in repr(store)
        assert "postgres:***@" in store.url
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://alice:pw@db:5432/ck", "postgresql://alice:***@db:5432/ck"),
        ("postgresql://alice@db/ck", "postgresql://alice@db/ck"),
        (
            "postgresql://db/ck?user=alice&password=pw&sslmode=require",
            "postgresql://db/ck?user=alice&password=***&sslmode=require",
        ),
        ("postgresql://a:p%40ss@db/ck", "postgresql://a:***@db/ck"),
        ("sqlite:///data/ck.db", "sqlite:///data/ck.db"),
        ("sqlite:////abs/ck.db", "sqlite:////abs/ck.db"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_open_store_spellings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for spelling in ("plain.db", "sqlite:///relative.db", f"sqlite:///{tmp_path}/absolute.db"):
        store = open_store(spelling)
        try:
            assert store.dialect == "sqlite"
            assert store.schema_version() >= 1
        finally:
            store.close()
    assert (tmp_path / "plain.db").exists()
    assert (tmp_path / "relative.db").exists()
    assert (tmp_path / "absolute.db").exists()


def test_open_store_refuses_what_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="scheme"):
        open_store("mysql://db/ck")
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"{tmp_path}/missing-dir/ck.db")
    with pytest.raises(StoreError, match="three slashes"):
        open_store("sqlite://relative.db")


@pytest.mark.parametrize("spelling", [":memory:", "sqlite://", "sqlite:///:memory:"])
def test_in_memory_store_is_shared_by_threads(spelling: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(spelling)
    try:

        def insert(i: int) -> None:
            with store._write_transaction() as tx:
                tx.insert("deal", f"d{i}", {"i": i})
                tx.append_audit(
                    actor_id="m",
                    action="deal.created",
                    entity_kind="deal",
                    entity_id=f"d{i}",
                    payload={"i": i},
                )

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(insert, range(20)))
        with store.read() as tx:
            assert len(tx.find("deal")) == 20
        assert verify_chain(store).events == 20
    finally:
        store.close()
