"""Rows edited into shapes no store writes are reported by verification, never raised as untyped errors; bad
checkpoint files and audit fields are ValidationErrors naming what is wrong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from creatorkit.audit import AuditKey, AuditKeys, Checkpoint, verify_store
from creatorkit.errors import ValidationError
from creatorkit.store import Store
from databases import Database

KEY = AuditKey(b"m" * 32)


def _store(database: Database) -> Store:
    store = database.open(AuditKeys(KEY))
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"price": 1})
        tx.append_audit(actor_id="m", action="deal.note", entity_kind="deal", entity_id="d1", payload={})
    return store


@pytest.mark.parametrize("documents", ["not json", "[[1]]", "[null]", '[["deal","d1","x","h",null,null,null]]'])
def test_an_unreadable_record_of_documents_is_reported(database: Database, documents: str) -> None:
    store = _store(database)
    database.tamper("UPDATE audit_events SET documents = ? WHERE sequence = 2", (documents,))
    report = verify_store(store)
    assert not report.ok and not report.chain.ok
    assert report.state.first_bad == "event 2" and "unreadable" in (report.state.reason or "")


def test_a_document_that_is_not_json_is_reported(database: Database) -> None:
    store = _store(database)
    if database.dialect != "sqlite":
        pytest.skip("PostgreSQL's jsonb column holds only JSON")
    database.execute("UPDATE documents SET doc = 'garbage' WHERE id = 'd1'")
    state = verify_store(store).state
    assert (state.ok, state.first_bad) == (False, "deal d1") and "not JSON" in (state.reason or "")


def test_a_head_with_a_malformed_sequence_is_reported(database: Database) -> None:
    store = _store(database)
    if database.dialect != "sqlite":
        pytest.skip("PostgreSQL's bigint column holds only numbers")
    database.execute("UPDATE audit_head SET sequence = 'x'")
    chain = verify_store(store).chain
    assert not chain.ok and "malformed sequence" in (chain.reason or "")


def test_a_checkpoint_of_the_empty_trail_must_name_the_genesis_hash(database: Database) -> None:
    store = database.open(AuditKeys())
    forged = Checkpoint(sequence=0, hash="f" * 64, created_at="2026-03-02T09:00:00+00:00")
    (report,) = verify_store(store, checkpoints=[forged]).checkpoints
    assert not report.ok and "another hash" in (report.reason or "")
    genuine = Checkpoint(sequence=0, hash="0" * 64, created_at="2026-03-02T09:00:00+00:00")
    assert verify_store(store, checkpoints=[genuine]).ok


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 100_000, "nested too deep"),
        (
            b'{"checkpoint": "creatorkit.audit.checkpoint/1", "sequence": 9223372036854775808, "hash": "'
            + b"0" * 64
            + b'", "created_at": "2026-03-02T09:00:00+00:00", "key_id": null, "mac": null}',
            "from 0 to 2**63 - 1",
        ),
    ],
    ids=["not-utf8", "deep", "huge-sequence"],
)
def test_a_checkpoint_file_no_store_wrote_is_a_validation_error(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "cp.json"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        Checkpoint.load(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize("field", ["actor_id", "entity_id", "workspace_id", "on_behalf_of"])
def test_an_audit_field_with_a_lone_surrogate_is_refused_naming_it(database: Database, field: str) -> None:
    store = database.open(AuditKeys())
    entry: dict[str, Any] = {
        "actor_id": "m",
        "action": "deal.note",
        "entity_kind": "deal",
        "entity_id": "d1",
        "payload": {},
    }
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        tx.append_audit(**{**entry, field: "m\ud800"})
    assert [problem.path for problem in caught.value.problems] == [field]
    assert store.audit_head()[0] == 0


def test_a_time_outside_the_calendar_in_utc_is_refused(database: Database) -> None:
    store = database.open(AuditKeys())
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValidationError, match="occurred_at"), store._write_transaction() as tx:
        tx.append_audit(
            actor_id="m", action="deal.note", entity_kind="deal", entity_id="d1", payload={}, occurred_at=early
        )
    assert store.audit_head()[0] == 0
