"""Schema migrations: applied once, recorded, all-or-nothing, and never run against a newer database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest

from creatorkit.audit import AuditKey, AuditKeys, verify_chain
from creatorkit.converter import structure, unstructure
from creatorkit.entities import Awaiting, Deal, DealState
from creatorkit.errors import StoreError
from creatorkit.store import _migrations as migrations
from creatorkit.store import open_store
from databases import Database
from samples import SAMPLES


def test_versions_are_contiguous_from_one() -> None:
    assert [m.version for m in migrations.MIGRATIONS] == list(range(1, len(migrations.MIGRATIONS) + 1))
    assert migrations.MIGRATIONS[-1].version == migrations.LATEST
    for migration in migrations.MIGRATIONS:
        assert migration.sqlite and migration.postgresql and migration.description


def test_a_new_store_is_at_the_latest_version(db: Database) -> None:
    store = db.open()
    assert store.schema_version() == migrations.LATEST
    versions = db.execute("SELECT version, description FROM schema_migrations ORDER BY version")
    assert versions == [(m.version, m.description) for m in migrations.MIGRATIONS]


def test_opening_again_applies_nothing_and_keeps_the_data(db: Database) -> None:
    first = db.open()
    with first._write_transaction() as tx:
        tx.insert("deal", "d1", {"kept": True})
        tx.append_audit(actor_id="m", action="deal.created", entity_kind="deal", entity_id="d1", payload={})
    first.close()
    second = db.open()
    third = db.open()
    assert second.schema_version() == third.schema_version() == migrations.LATEST
    assert db.execute("SELECT COUNT(*) FROM schema_migrations") == [(len(migrations.MIGRATIONS),)]
    with third.read() as tx:
        assert tx.require("deal", "d1").doc == {"kept": True}
    assert third.audit_head()[0] == 1


def test_a_database_newer_than_the_code_is_refused(db: Database) -> None:
    db.open().close()
    newer = migrations.LATEST + 1
    db.execute(
        "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, 'from the future', ?)",
        (newer, "2030-01-01T00:00:00+00:00"),
    )
    with pytest.raises(StoreError) as caught:
        db.open()
    message = str(caught.value)
    assert f"version {newer}" in message
    assert f"version {migrations.LATEST}" in message


def test_a_failing_migration_changes_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    db.open().close()
    broken = migrations.Migration(
        migrations.LATEST + 1,
        "half of a change",
        sqlite=("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"),
        postgresql=("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "LATEST", broken.version)
    with pytest.raises(StoreError, match="migrate"):
        db.open()
    monkeypatch.undo()
    store = db.open()
    assert store.schema_version() == migrations.LATEST
    with pytest.raises(Exception, match="half_done"):
        db.execute("SELECT * FROM half_done")


def test_a_pending_migration_is_applied_on_open(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    db.open().close()
    extra = migrations.Migration(
        migrations.LATEST + 1,
        "an extra table",
        sqlite=("CREATE TABLE extra (x INTEGER)",),
        postgresql=("CREATE TABLE extra (x INTEGER)",),
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, extra))
    monkeypatch.setattr(migrations, "LATEST", extra.version)
    store = db.open()
    assert store.schema_version() == extra.version
    assert db.execute("SELECT COUNT(*) FROM extra") == [(0,)]


def test_a_version_1_store_upgrades_with_its_data(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    monkeypatch.setattr(migrations, "LATEST", 1)
    old = db.open()
    with old._write_transaction() as tx:
        tx.insert("deal", "d1", {"n": 1}, workspace="brand_1", parent="creator_1", state="invited")
        tx.insert("note", "n1", {"n": 2})
    old.close()
    db.append_legacy_event(actor_id="a", action="x", entity_kind="deal", entity_id="d1", workspace_id="brand_1")
    monkeypatch.undo()

    store = db.open()
    assert store.schema_version() == migrations.LATEST
    with store.read() as tx:
        assert [r.id for r in tx.find("deal", workspace="brand_1", parent="creator_1", state="invited")] == ["d1"]
        assert [r.id for r in tx.find("note")] == ["n1"]
        assert [e.entity_id for e in tx.audit_for(workspace_id="brand_1")] == ["d1"]
    assert store.audit_head()[0] == 1


def test_a_deal_awaiting_an_empty_string_awaits_nobody_after_migration_3(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before Awaiting was an enum, a cancelled deal was stored waiting for \"\": such a deal must still load."""
    cancelled = unstructure(attrs.evolve(SAMPLES["Deal"], state=DealState.CANCELLED, awaiting=None))
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
    monkeypatch.setattr(migrations, "LATEST", 2)
    old = db.open()
    with old._write_transaction() as tx:
        tx.insert("deal", "d_cancelled", {**cancelled, "id": "d_cancelled", "awaiting": ""}, state="cancelled")
        tx.insert("deal", "d_waiting", {**cancelled, "id": "d_waiting", "awaiting": "brand"}, state="invited")
        tx.insert("note", "n1", {"awaiting": ""})
    old.close()
    monkeypatch.undo()

    store = db.open()
    with store.read() as tx:
        assert structure(tx.require("deal", "d_cancelled").doc, Deal).awaiting is None
        assert structure(tx.require("deal", "d_waiting").doc, Deal).awaiting is Awaiting.BRAND
        assert tx.require("deal", "d_cancelled").version == 1
        assert tx.require("note", "n1").doc == {"awaiting": ""}  # only deals


@pytest.mark.parametrize(
    ("where", "params", "index"),
    [
        ("format = 1", (), "audit_events_format_1"),
        ("action = 'audit.key_rotated'", (), "audit_events_rotations"),
        ("kind = ? AND state = ?", ("deal", "invited"), "documents_kind_state"),
        ("kind = ? AND state IN (?, ?)", ("deal", "invited", "agreed"), "documents_kind_state"),
        ("kind = ? AND workspace IN (?, ?)", ("deal", "w1", "w2"), "documents_kind_workspace"),
        ("kind = ? AND parent = ?", ("offer", "d1"), "documents_kind_parent"),
    ],
)
def test_queries_use_the_partial_indexes(tmp_path: Path, where: str, params: tuple[str, ...], index: str) -> None:
    open_store(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        table, column = ("audit_events", "sequence") if index.startswith("audit") else ("documents", "id")
        sql = f"EXPLAIN QUERY PLAN SELECT {column} FROM {table} WHERE {where}"
        plan = conn.execute(sql, params).fetchall()
    finally:
        conn.close()
    assert f"USING INDEX {index}" in " ".join(str(step[-1]) for step in plan)


def test_a_store_from_before_keys_verifies_its_old_events_and_goes_on_keyed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events written before migration 4 have no key and no MAC: they verify as a chain, and are counted apart."""
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:3])
    monkeypatch.setattr(migrations, "LATEST", 3)
    db.open().close()
    for i in range(3):
        db.append_legacy_event(actor_id="m", action="deal.created", entity_kind="deal", entity_id=f"d{i}")
    monkeypatch.undo()

    store = db.open()
    assert store.schema_version() == migrations.LATEST
    report = verify_chain(store)
    assert (report.ok, report.events, report.legacy_events, report.keyed_from) == (True, 3, 3, None)
    assert [e.format for e in store.iter_audit()] == [1, 1, 1]

    key = AuditKey(b"k" * 32)
    keyed = db.open(AuditKeys(key))
    with keyed._write_transaction() as tx:
        tx.append_audit(actor_id="m", action="deal.created", entity_kind="deal", entity_id="d3", payload={})
    events = list(keyed.iter_audit())
    assert [(e.format, e.key_id) for e in events] == [(1, None)] * 3 + [(2, key.id)] * 2  # the rotation, then d3
    report = verify_chain(keyed)
    assert report.ok and report.keyed and (report.legacy_events, report.keyed_from) == (3, 4)


def test_an_old_format_event_after_new_ones_is_caught(db: Database) -> None:
    store = db.open()
    with store._write_transaction() as tx:
        tx.append_audit(actor_id="m", action="deal.created", entity_kind="deal", entity_id="d1", payload={})
    db.append_legacy_event(actor_id="m", action="deal.created", entity_kind="deal", entity_id="d2")
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 1)
    assert "before events in the old one" in (report.reason or "")
