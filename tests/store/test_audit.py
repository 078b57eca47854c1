"""The audit chain: appending, hashing, reading back, and catching every kind of tampering."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from creatorkit.audit import (
    GENESIS,
    ChainReport,
    event_hash,
    payload_hash,
    raise_for_broken,
    verify_chain,
)
from creatorkit.entities._audit import AuditEvent
from creatorkit.errors import AuditIntegrityError, ValidationError
from creatorkit.store import Store
from databases import Database

T0 = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


def append_events(store: Store, count: int, *, per_transaction: int = 3) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for first in range(0, count, per_transaction):
        with store._write_transaction() as tx:
            for i in range(first, min(first + per_transaction, count)):
                events.append(
                    tx.append_audit(
                        actor_id=f"manager_{i % 2}",
                        action="deal.offer_sent",
                        entity_kind="deal",
                        entity_id=f"deal_{i % 3}",
                        payload={"round": i, "price": {"amount": 1000 + i, "currency": "CNY"}},
                        on_behalf_of="creator_7" if i % 2 else None,
                        workspace_id=f"agency_{i % 2}" if i % 4 else None,
                        occurred_at=T0 + timedelta(minutes=i),
                    )
                )
    return events


def test_an_empty_chain_verifies(store: Store) -> None:
    assert store.audit_head() == (0, GENESIS)
    assert verify_chain(store) == ChainReport(ok=True, events=0)


def test_appended_events_link_into_one_chain(store: Store) -> None:
    events = append_events(store, 10)
    assert [e.sequence for e in events] == list(range(1, 11))
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))
    assert store.audit_head() == (10, events[-1].hash)
    assert verify_chain(store) == ChainReport(ok=True, events=10)


def test_the_returned_event_is_what_is_stored(store: Store) -> None:
    events = append_events(store, 7)
    assert list(store.iter_audit()) == events
    assert list(store.iter_audit(start=5)) == events[4:]
    assert list(store.iter_audit(batch=2)) == events
    assert list(store.iter_audit(start=8)) == []


def test_event_hash_covers_every_field(store: Store) -> None:
    (event,) = append_events(store, 1)
    fields: dict[str, Any] = {
        "sequence": event.sequence,
        "actor_id": event.actor_id,
        "on_behalf_of": event.on_behalf_of,
        "action": event.action,
        "entity_kind": event.entity_kind,
        "entity_id": event.entity_id,
        "workspace_id": event.workspace_id,
        "payload_hash": event.payload_hash,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash,
    }
    assert event_hash(**fields) == event.hash
    for name, value in fields.items():
        changed = dict(fields, **{name: value + 1 if isinstance(value, int) else f"{value or ''}x"})
        assert event_hash(**changed) != event.hash, name


def test_the_encoding_built_by_the_database_matches_the_python_one(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.append_audit(
            actor_id="经理 ✨",
            action="deal.signed",
            entity_kind="deal",
            entity_id="d-ü",
            payload={"note": "签约"},
            on_behalf_of="créateur",
            workspace_id="agence_é",
        )
        tx.append_audit(actor_id="m", action="deal.viewed", entity_kind="deal", entity_id="d2", payload=None)
    with store.read() as tx:
        rows = [row for batch in tx.iter_audit_rows() for row in batch]
    events = list(store.iter_audit())
    for (sequence, encoding, stored, mac), event in zip(rows, events, strict=True):
        assert sequence == event.sequence and stored == event.hash and mac is event.mac is None
        assert bytes(encoding).endswith(b"\x1f" + event.prev_hash.encode())
        assert hashlib.sha256(bytes(encoding)).hexdigest() == event.hash
    assert verify_chain(store).ok


def test_payload_hash_is_canonical() -> None:
    assert payload_hash({"b": 1, "a": [1, 2]}) == payload_hash({"a": [1, 2], "b": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})
    assert payload_hash({"n": 1.0}) == payload_hash({"n": 1})  # RFC 8785 number form
    with pytest.raises(ValidationError):
        payload_hash({"when": datetime.now(UTC)})
    with pytest.raises(ValidationError):
        payload_hash({"n": float("nan")})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor_id", "a\x1fb"),
        ("entity_id", "d\x1f"),
        ("action", "x\x00"),
        ("actor_id", ""),
        ("on_behalf_of", ""),
        ("workspace_id", "ws\x1f"),
    ],
)
def test_values_that_would_make_the_encoding_ambiguous_are_refused(store: Store, field: str, value: str) -> None:
    fields: dict[str, Any] = {
        "actor_id": "m",
        "action": "deal.created",
        "entity_kind": "deal",
        "entity_id": "d1",
    }
    fields[field] = value
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        tx.append_audit(payload={}, **fields)
    assert caught.value.paths == [field]
    assert store.audit_head() == (0, GENESIS)


def test_naive_occurred_at_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError), store._write_transaction() as tx:
        tx.append_audit(
            actor_id="m",
            action="a",
            entity_kind="deal",
            entity_id="d1",
            payload={},
            occurred_at=datetime(2025, 1, 1),
        )


def test_occurred_at_is_stored_in_utc(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    with store._write_transaction() as tx:
        event = tx.append_audit(
            actor_id="m",
            action="a",
            entity_kind="deal",
            entity_id="d1",
            payload={},
            occurred_at=datetime(2025, 1, 1, 9, 0, tzinfo=tokyo),
        )
    assert event.occurred_at == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert list(store.iter_audit()) == [event]


def test_audit_for_filters_by_entity_and_workspace(store: Store) -> None:
    events = append_events(store, 12)
    with store.read() as tx:
        assert tx.audit_for(entity_ids=["deal_1"]) == [e for e in events if e.entity_id == "deal_1"]
        assert tx.audit_for(entity_ids=["deal_0", "deal_2"]) == [e for e in events if e.entity_id != "deal_1"]
        assert tx.audit_for(workspace_id="agency_1") == [e for e in events if e.workspace_id == "agency_1"]
        assert tx.audit_for(entity_ids=["deal_1"], workspace_id="agency_1") == [
            e for e in events if e.entity_id == "deal_1" and e.workspace_id == "agency_1"
        ]
        assert tx.audit_for(entity_ids=[]) == []
        assert tx.audit_for() == events


def test_the_database_refuses_plain_edits_of_events(db: Database, store: Store) -> None:
    append_events(store, 2)
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE audit_events SET action = 'x' WHERE sequence = 1")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM audit_events WHERE sequence = 2")
    assert verify_chain(store).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_id", "someone_else"),
        ("on_behalf_of", "creator_9"),
        ("action", "deal.cancelled"),
        ("entity_id", "deal_99"),
        ("workspace_id", "agency_9"),
        ("payload_hash", "f" * 64),
        ("occurred_at", "2025-05-01T09:35:00.000001+00:00"),
        ("prev_hash", "e" * 64),
        ("hash", "d" * 64),
    ],
)
def test_changing_any_column_of_one_event_names_that_event(db: Database, store: Store, column: str, value: str) -> None:
    append_events(store, 8)
    db.tamper(f"UPDATE audit_events SET {column} = ? WHERE sequence = 5", (value,))
    report = verify_chain(store)
    assert not report.ok
    assert report.first_bad == 5
    assert report.events == 4
    assert report.reason


def test_clearing_an_optional_field_is_detected(db: Database, store: Store) -> None:
    append_events(store, 8)
    db.tamper("UPDATE audit_events SET on_behalf_of = NULL WHERE sequence = 4")
    assert verify_chain(store).first_bad == 4


def test_a_rehashed_forgery_breaks_the_next_link(db: Database, store: Store) -> None:
    events = append_events(store, 6)
    target = events[2]
    forged_hash = event_hash(
        sequence=3,
        actor_id="intruder",
        on_behalf_of=target.on_behalf_of,
        action=target.action,
        entity_kind=target.entity_kind,
        entity_id=target.entity_id,
        workspace_id=target.workspace_id,
        payload_hash=target.payload_hash,
        occurred_at=target.occurred_at.isoformat(timespec="microseconds"),
        prev_hash=target.prev_hash,
    )
    db.tamper("UPDATE audit_events SET actor_id = 'intruder', hash = ? WHERE sequence = 3", (forged_hash,))
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 4)
    assert "prev_hash" in (report.reason or "")


def test_deleting_a_middle_event_is_detected(db: Database, store: Store) -> None:
    append_events(store, 8)
    db.tamper("DELETE FROM audit_events WHERE sequence = 4")
    report = verify_chain(store)
    assert (report.ok, report.first_bad, report.events) == (False, 4, 3)
    assert "missing" in (report.reason or "")


def test_deleting_the_last_event_is_detected(db: Database, store: Store) -> None:
    append_events(store, 8)
    db.tamper("DELETE FROM audit_events WHERE sequence = 8")
    report = verify_chain(store)
    assert (report.ok, report.first_bad, report.events) == (False, 8, 7)
    assert "head" in (report.reason or "")


def test_deleting_every_event_is_detected(db: Database, store: Store) -> None:
    append_events(store, 3)
    db.tamper("DELETE FROM audit_events")
    assert verify_chain(store).first_bad == 1


def test_a_head_that_does_not_match_the_last_event_is_detected(db: Database, store: Store) -> None:
    append_events(store, 5)
    db.tamper("DELETE FROM audit_events WHERE sequence = 5")
    db.execute("UPDATE audit_head SET sequence = 4, hash = ? WHERE id = 1", ("ab" * 32,))
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 4)
    assert "head" in (report.reason or "")


def test_an_event_added_outside_the_store_is_detected(db: Database, store: Store) -> None:
    events = append_events(store, 3)
    last = events[-1]
    forged = event_hash(
        sequence=4,
        actor_id="x",
        on_behalf_of=None,
        action="a",
        entity_kind="deal",
        entity_id="d",
        workspace_id=None,
        payload_hash=payload_hash({}),
        occurred_at=T0.isoformat(timespec="microseconds"),
        prev_hash=last.hash,
    )
    db.execute(
        "INSERT INTO audit_events (sequence, actor_id, action, entity_kind, entity_id, payload_hash,"
        " occurred_at, prev_hash, hash, format) VALUES (4, 'x', 'a', 'deal', 'd', ?, ?, ?, ?, 2)",
        (payload_hash({}), T0.isoformat(timespec="microseconds"), last.hash, forged),
    )
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 4)
    assert "head" in (report.reason or "")


def test_raise_on_error_names_the_first_bad_event(db: Database, store: Store) -> None:
    append_events(store, 6)
    assert verify_chain(store, raise_on_error=True).ok
    db.tamper("UPDATE audit_events SET action = 'deal.paid' WHERE sequence = 2")
    with pytest.raises(AuditIntegrityError) as caught:
        verify_chain(store, raise_on_error=True)
    assert caught.value.sequence == 2
    with pytest.raises(AuditIntegrityError):
        raise_for_broken(verify_chain(store))
    with pytest.raises(AuditIntegrityError):
        verify_chain(store).raise_for_broken()


def test_verification_reads_in_batches(db: Database, store: Store) -> None:
    append_events(store, 25, per_transaction=25)
    assert verify_chain(store, batch=4) == ChainReport(ok=True, events=25)
    db.tamper("DELETE FROM audit_events WHERE sequence = 13")
    assert verify_chain(store, batch=4).first_bad == 13


def test_events_appended_together_chain_exactly_like_one_at_a_time(store: Store) -> None:
    entries: list[dict[str, Any]] = [
        {
            "actor_id": "manager_1",
            "action": "deal.offer_sent",
            "entity_kind": "deal",
            "entity_id": f"deal_{i}",
            "payload": {"round": i},
            "on_behalf_of": "creator_7" if i % 2 else None,
            "occurred_at": T0 + timedelta(minutes=i),
        }
        for i in range(4)
    ]
    with store._write_transaction() as tx:
        tx.append_audit(**entries[0])
        tx.append_audits(entries[1:])
    events = list(store.iter_audit())
    prev = GENESIS
    for sequence, (event, entry) in enumerate(zip(events, entries, strict=True), start=1):
        digest = payload_hash(entry["payload"])
        expected = event_hash(
            sequence=sequence,
            actor_id=entry["actor_id"],
            on_behalf_of=entry["on_behalf_of"],
            action=entry["action"],
            entity_kind="deal",
            entity_id=entry["entity_id"],
            workspace_id=None,
            payload_hash=digest,
            occurred_at=entry["occurred_at"].isoformat(timespec="microseconds"),
            prev_hash=prev,
        )
        assert (event.sequence, event.payload_hash, event.prev_hash, event.hash) == (sequence, digest, prev, expected)
        prev = expected
    assert store.audit_head() == (4, prev)
    assert verify_chain(store) == ChainReport(ok=True, events=4)


def test_a_refused_entry_among_several_appends_none_of_them(store: Store) -> None:
    good: dict[str, Any] = {
        "actor_id": "m",
        "action": "deal.viewed",
        "entity_kind": "deal",
        "entity_id": "d1",
        "payload": {},
    }
    bad = {**good, "payload": {"price": float("nan")}}
    with store._write_transaction() as tx:
        with pytest.raises(ValidationError):
            tx.append_audits([good, bad])
        tx.append_audit(**good)  # the transaction goes on, and the chain continues from where it was
    assert store.audit_head()[0] == 1
    assert verify_chain(store) == ChainReport(ok=True, events=1)
