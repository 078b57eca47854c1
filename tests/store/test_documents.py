"""Documents: insert, read, optimistic update, find with filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from creatorkit.errors import ConflictError, NotFound, StoreError, ValidationError
from creatorkit.store import Record, Store
from databases import Database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_insert_then_get_returns_the_same_record(store: Store) -> None:
    doc = {"title": "Spring launch", "budget": {"amount": 150_000, "currency": "USD"}, "tags": ["beauty"]}
    with store._write_transaction() as tx:
        inserted = tx.insert("brief", "brief_1", doc, workspace="brand_1", parent="campaign_1", state="draft", now=T0)
    with store.read() as tx:
        got = tx.get("brief", "brief_1")
    assert got == inserted
    assert got == Record("brief", "brief_1", "brand_1", "campaign_1", "draft", 1, doc, T0, T0)


def test_get_missing_is_none_and_require_raises_not_found(store: Store) -> None:
    with store.read() as tx:
        assert tx.get("deal", "nope") is None
        with pytest.raises(NotFound) as caught:
            tx.require("deal", "nope")
    assert (caught.value.kind, caught.value.id) == ("deal", "nope")


def test_kind_is_part_of_the_key(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "x", {"k": "deal"})
        tx.insert("brief", "x", {"k": "brief"})
    with store.read() as tx:
        assert tx.require("deal", "x").doc == {"k": "deal"}
        assert tx.require("brief", "x").doc == {"k": "brief"}


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {}, now=datetime(2025, 3, 1, 20, 0, 0, 123456, tzinfo=shanghai))
        tx.insert("deal", "d2", {})
    with store.read() as tx:
        first, second = tx.require("deal", "d1"), tx.require("deal", "d2")
    assert first.created_at == datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert first.created_at.utcoffset() == timedelta(0)
    assert second.created_at.tzinfo is not None and second.created_at.utcoffset() == timedelta(0)


def test_naive_now_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError), store._write_transaction() as tx:
        tx.insert("deal", "d1", {}, now=datetime(2025, 1, 1))


def test_unicode_documents_round_trip(store: Store) -> None:
    doc = {"name": "小红 ✨", "note": "emoji 🎬 and quotes \"'", "nested": {"list": [1, 2.5, None, True]}}
    with store._write_transaction() as tx:
        tx.insert("creator", "c1", doc)
    with store.read() as tx:
        assert tx.require("creator", "c1").doc == doc


def test_documents_orjson_refuses_are_still_written(db: Database) -> None:
    # Integer keys and integers past 64 bits are written by the stdlib encoder (keys become strings, as JSON has it).
    doc = {"big": 2**70, "by_day": {1: "mon"}, "deep": [[[["x"]]]]}
    with db.open()._write_transaction() as tx:
        tx.insert("metric", "m1", doc)
    with db.open().read() as tx:  # another store: read from the database, not from a cache
        assert tx.require("metric", "m1").doc == {"big": 2**70, "by_day": {"1": "mon"}, "deep": [[[["x"]]]]}


def test_duplicate_insert_is_a_conflict_and_the_transaction_can_go_on(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"v": 1})
    with store._write_transaction() as tx:
        with pytest.raises(ConflictError) as caught:
            tx.insert("deal", "d1", {"v": "again"})
        tx.insert("deal", "d2", {"v": 2})  # the failed insert did not poison the transaction
    assert caught.value.entity == "deal d1"
    assert (caught.value.expected_version, caught.value.actual_version) == (0, 1)
    with store.read() as tx:
        assert tx.require("deal", "d1").doc == {"v": 1}
        assert tx.get("deal", "d2") is not None


def test_update_bumps_the_version_and_keeps_created_at(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"price": 100}, workspace="agency_1", parent="brief_1", state="invited", now=T0)
    later = T0 + timedelta(hours=1)
    with store._write_transaction() as tx:
        updated = tx.update("deal", "d1", {"price": 120}, expected_version=1, state="negotiating", now=later)
    assert updated == Record("deal", "d1", "agency_1", "brief_1", "negotiating", 2, {"price": 120}, T0, later)
    with store.read() as tx:
        assert tx.require("deal", "d1") == updated


def test_update_keeps_the_state_unless_given_and_can_clear_it(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {}, state="invited")
        assert tx.update("deal", "d1", {"a": 1}, expected_version=1).state == "invited"
        assert tx.update("deal", "d1", {"a": 2}, expected_version=2, state=None).state is None
    with store.read() as tx:
        record = tx.require("deal", "d1")
    assert (record.state, record.version, record.doc) == (None, 3, {"a": 2})


def test_update_with_a_stale_version_is_a_conflict(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"price": 100})
        tx.update("deal", "d1", {"price": 110}, expected_version=1)
    with pytest.raises(ConflictError) as caught, store._write_transaction() as tx:
        tx.update("deal", "d1", {"price": 90}, expected_version=1)
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    assert "deal d1" in str(caught.value)
    with store.read() as tx:
        assert tx.require("deal", "d1").doc == {"price": 110}


def test_update_of_a_missing_document_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound), store._write_transaction() as tx:
        tx.update("deal", "ghost", {}, expected_version=1)


@pytest.fixture
def populated(store: Store) -> Store:
    rows = [
        ("d1", "agency_a", "brief_1", "invited"),
        ("d2", "agency_a", "brief_1", "negotiating"),
        ("d3", "agency_a", "brief_2", "signed"),
        ("d4", "agency_b", "brief_1", "invited"),
        ("d5", None, None, None),
    ]
    with store._write_transaction() as tx:
        for i, (id, workspace, parent, state) in enumerate(rows):
            tx.insert(
                "deal",
                id,
                {"n": i},
                workspace=workspace,
                parent=parent,
                state=state,
                now=T0 + timedelta(minutes=i),
            )
        tx.insert("brief", "brief_1", {}, workspace="agency_a")
    return store


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["d1", "d2", "d3", "d4", "d5"]),
        ({"workspace": "agency_a"}, ["d1", "d2", "d3"]),
        ({"workspace": ["agency_a", "agency_b"]}, ["d1", "d2", "d3", "d4"]),
        ({"workspace": []}, []),
        ({"parent": "brief_1"}, ["d1", "d2", "d4"]),
        ({"state": "invited"}, ["d1", "d4"]),
        ({"state": ("invited", "signed")}, ["d1", "d3", "d4"]),
        ({"state": []}, []),
        ({"workspace": "agency_a", "parent": "brief_1", "state": ["invited", "negotiating"]}, ["d1", "d2"]),
        ({"limit": 2}, ["d1", "d2"]),
        ({"order": "-created"}, ["d5", "d4", "d3", "d2", "d1"]),
        ({"order": "-created", "limit": 1, "workspace": "agency_a"}, ["d3"]),
        ({"order": "id", "state": "invited"}, ["d1", "d4"]),
    ],
)
def test_find_filters(populated: Store, filters: dict[str, Any], expected: list[str]) -> None:
    with populated.read() as tx:
        found = tx.find("deal", **filters)
    assert [r.id for r in found] == expected
    assert all(r.kind == "deal" for r in found)


def test_find_orders_by_update_time(populated: Store) -> None:
    with populated._write_transaction() as tx:
        tx.update("deal", "d1", {"n": 0}, expected_version=1, now=T0 + timedelta(hours=1))
    with populated.read() as tx:
        assert [r.id for r in tx.find("deal", order="-updated", limit=2)] == ["d1", "d5"]
        assert [r.id for r in tx.find("deal", order="updated")][-1] == "d1"


def test_find_refuses_an_unknown_order(populated: Store) -> None:
    with pytest.raises(ValueError, match="order"), populated.read() as tx:
        unknown: Any = "price"
        tx.find("deal", order=unknown)


def test_find_returns_full_records(populated: Store) -> None:
    with populated.read() as tx:
        (record,) = tx.find("deal", state="signed")
        assert record == tx.require("deal", "d3")


def test_read_only_transactions_refuse_writes(store: Store) -> None:
    with store.read() as tx:
        with pytest.raises(StoreError, match="read-only"):
            tx.insert("deal", "d1", {})
        with pytest.raises(StoreError, match="read-only"):
            tx.update("deal", "d1", {}, expected_version=1)
        with pytest.raises(StoreError, match="read-only"):
            tx.append_audit(actor_id="a", action="x", entity_kind="deal", entity_id="d1", payload={})


def test_records_written_at_the_same_instant_come_back_in_insertion_order(store: Store) -> None:
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    ids = ["zz", "aa", "mm", "bb"]  # deliberately not in id order
    with store._write_transaction() as tx:
        for id in ids:
            tx.insert("review", id, {"n": id}, parent="deal_1", now=moment)
    with store.read() as tx:
        assert [r.id for r in tx.find("review", parent="deal_1")] == ids
        assert [r.id for r in tx.find("review", parent="deal_1", order="-created")] == ids[::-1]
