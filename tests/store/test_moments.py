"""The moments a transaction writes: each stored as its own instant, each formatted once per transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

import creatorkit.store._transaction_base as transaction_base
from creatorkit.audit import format_occurred_at, verify_chain
from creatorkit.errors import ValidationError
from creatorkit.store import Store, Transaction
from databases import Database

T1 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2025, 3, 1, 12, 0, 0, 1, tzinfo=UTC)


class _RepeatedHour(tzinfo):
    """A zone whose 02:00-03:00 happens twice: first at UTC+2 (fold 0), then at UTC+1 (fold 1)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1 if dt is not None and dt.fold else 2)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "repeated"


def _event(tx: Transaction, entity_id: str, moment: datetime) -> None:
    tx.append_audit(
        actor_id="m", action="deal.touched", entity_kind="deal", entity_id=entity_id, payload={}, occurred_at=moment
    )


def _stored_occurred_at(db: Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT occurred_at FROM audit_events ORDER BY sequence")]


def _stamps(db: Database, *ids: str) -> list[tuple[datetime, datetime]]:
    with db.open().read() as tx:  # another store: read from the database, not from what this one knows
        return [(record.created_at, record.updated_at) for record in (tx.require("deal", i) for i in ids)]


def test_two_moments_in_one_transaction_are_each_stored_as_themselves(db: Database, store: Store) -> None:
    with store._write_transaction() as tx:
        first = tx.insert("deal", "d1", {"n": 1}, now=T1)
        second = tx.insert("deal", "d2", {"n": 1}, now=T2)
        tx.update("deal", "d1", {"n": 2}, expected_version=first.version, now=T2)
        tx.update("deal", "d2", {"n": 2}, expected_version=second.version, now=T1)
        _event(tx, "d1", T1)
        with pytest.raises(ValidationError):
            _event(tx, "d1", datetime(2025, 3, 1, 12, 0))  # naive: refused, and remembered as nothing
        entry = {"actor_id": "m", "action": "a", "entity_kind": "deal", "entity_id": "d2", "payload": {}}
        tx.append_audits([{**entry, "occurred_at": t} for t in (T2, T1, T2)])
        tx.insert("deal", "d3", {}, now=T1)
    assert _stamps(db, "d1", "d2", "d3") == [(T1, T2), (T2, T1), (T1, T1)]
    assert _stored_occurred_at(db) == [format_occurred_at(t) for t in (T1, T2, T1, T2)]
    assert _stored_occurred_at(db)[:2] == ["2025-03-01T12:00:00.000000+00:00", "2025-03-01T12:00:00.000001+00:00"]
    assert verify_chain(store).ok


def test_equal_moments_are_stored_as_the_instants_they_are(db: Database, store: Store) -> None:
    earlier = datetime(2026, 10, 25, 2, 30, tzinfo=_RepeatedHour())
    later = earlier.replace(fold=1)  # the same wall-clock time an hour later
    assert earlier == later and hash(earlier) == hash(later)  # what an equality-keyed cache would confuse
    tokyo = T1.astimezone(timezone(timedelta(hours=9)))  # the same instant as T1, in another zone
    with store._write_transaction() as tx:
        tx.insert("deal", "earlier", {}, now=earlier)
        tx.insert("deal", "later", {}, now=later)
        tx.insert("deal", "utc", {}, now=T1)
        tx.insert("deal", "tokyo", {}, now=tokyo)
        for moment in (earlier, later, T1, tokyo):
            _event(tx, "d1", moment)
    assert _stored_occurred_at(db) == [
        "2026-10-25T00:30:00.000000+00:00",
        "2026-10-25T01:30:00.000000+00:00",
        "2025-03-01T12:00:00.000000+00:00",
        "2025-03-01T12:00:00.000000+00:00",
    ]
    stamps = _stamps(db, "earlier", "later", "utc", "tokyo")
    assert [created for created, _ in stamps] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        T1,
        T1,
    ]
    if db.dialect == "sqlite":
        text = "2025-03-01T12:00:00.000000+00:00"
        rows = db.execute("SELECT id, created_at, updated_at FROM documents WHERE id IN ('utc', 'tokyo') ORDER BY id")
        assert rows == [("tokyo", text, text), ("utc", text, text)]


@pytest.fixture
def formatted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The moments the store formats as text, in order (the formatting itself is unchanged)."""
    seen: list[datetime] = []

    def counting(moment: datetime) -> str:
        seen.append(moment)
        return format_occurred_at(moment)

    monkeypatch.setattr(transaction_base, "format_occurred_at", counting)
    yield seen


def test_a_transaction_formats_its_moment_once_and_only_for_itself(store: Store, formatted: list[datetime]) -> None:
    with store._write_transaction() as tx:
        first = tx.insert("deal", "d1", {}, now=T1)
        tx.insert("deal", "d2", {}, now=T1)
        tx.update("deal", "d1", {"n": 2}, expected_version=first.version, now=T1)
        for _ in range(3):
            _event(tx, "d1", T1)
    assert formatted == [T1]  # every record and event of the call, one formatting
    with store._write_transaction() as tx:  # the same moment again, in the next transaction: formatted again
        _event(tx, "d2", T1)
        tx.insert("deal", "d3", {}, now=T1)
    assert formatted == [T1, T1]
    assert verify_chain(store).ok
