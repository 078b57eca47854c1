"""A key held outside the database MACs every event and the head: what someone with only the database cannot redo.

Each attack here is what a hash chain alone lets anyone with write access do undetected — cut events off the end
and set the head back, delete an event in the middle and hash the rest again, strip the MACs and rebuild — shown
first to pass a verification without the key, then caught by one with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creatorkit.audit import (
    AUDIT_KEY_ENV,
    AUDIT_OLD_KEYS_ENV,
    ROTATION_ACTION,
    AuditKey,
    AuditKeys,
    event_hash,
    generate_audit_key,
    verify_chain,
)
from creatorkit.errors import ConfigError, StoreError, ValidationError
from creatorkit.store import Store
from databases import Database

T0 = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
KEY_A = AuditKey(b"a" * 32)
KEY_B = AuditKey(b"b" * 32)
UNKEYED = AuditKeys()


def append(store: Store, count: int, first: int = 0) -> None:
    with store._write_transaction() as tx:
        for i in range(first, first + count):
            tx.append_audit(
                actor_id=f"manager_{i % 2}",
                action="deal.offer_sent",
                entity_kind="deal",
                entity_id=f"deal_{i % 3}",
                payload={"round": i},
                workspace_id="agency_1",
                occurred_at=T0 + timedelta(minutes=i),
            )


def keyed(db: Database, count: int = 6, key: AuditKey = KEY_A) -> Store:
    store = db.open(AuditKeys(key))
    append(store, count)
    return store


# -- what is written --------------------------------------------------------------------------------------------


def test_a_keyed_trail_begins_with_the_rotation_to_its_key_and_macs_every_event(db: Database) -> None:
    store = keyed(db, 3)
    events = list(store.iter_audit())
    assert [e.action for e in events] == [ROTATION_ACTION, *["deal.offer_sent"] * 3]
    assert events[0].actor_id == "system:system" and events[0].entity_id == KEY_A.id
    for event in events:
        assert event.format == 2 and event.key_id == KEY_A.id
        expected = hmac.new(KEY_A.secret, b"creatorkit/audit/event/v1\x1f" + bytes.fromhex(event.hash), "sha256")
        assert event.mac == expected.hexdigest()
    ((head_key, head_mac),) = db.execute("SELECT key_id, mac FROM audit_head")
    message = f"creatorkit/audit/head/v1\x1f4\x1f{events[-1].hash}".encode()
    assert (head_key, head_mac) == (KEY_A.id, hmac.new(KEY_A.secret, message, "sha256").hexdigest())
    report = verify_chain(store)
    assert report.ok and report.keyed and report.events == 4
    assert (report.keyed_from, report.key_ids, report.macs_checked) == (1, (KEY_A.id,), True)


def test_the_event_hash_covers_the_key(db: Database) -> None:
    keyed(db, 1)
    row = db.audit_rows()[-1]
    fields = {name: row[name] for name in ("sequence", "actor_id", "on_behalf_of", "action", "entity_kind")}
    fields |= {name: row[name] for name in ("entity_id", "workspace_id", "payload_hash", "occurred_at", "prev_hash")}
    assert event_hash(**fields, key_id=row["key_id"], documents=row["documents"]) == row["hash"]
    assert event_hash(**fields, key_id=None, documents=row["documents"]) != row["hash"]


def test_without_a_key_the_trail_is_written_and_reported_unkeyed(db: Database) -> None:
    store = db.open(UNKEYED)
    append(store, 3)
    assert {(e.key_id, e.mac) for e in store.iter_audit()} == {(None, None)}
    report = verify_chain(store)
    assert report.ok and not report.keyed
    assert (report.keyed_from, report.macs_checked) == (None, False)


def test_a_process_without_the_key_reads_but_cannot_write_a_keyed_trail(db: Database) -> None:
    keyed(db, 2)
    plain = db.open(UNKEYED)
    with pytest.raises(StoreError, match=f"keyed .*{KEY_A.id}.*{AUDIT_KEY_ENV}"):
        append(plain, 1)
    report = verify_chain(plain)
    assert report.ok and not report.keyed  # hashes and links checked, the MACs not: the report says so
    assert (report.keyed_from, report.macs_checked) == (1, False)


def test_a_caller_cannot_append_a_rotation(db: Database) -> None:
    store = db.open(AuditKeys(KEY_A))
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        tx.append_audit(actor_id="m", action=ROTATION_ACTION, entity_kind="audit_key", entity_id="k", payload={})
    assert caught.value.paths == ["action"]


# -- the attacks a chain alone lets through ---------------------------------------------------------------------


def test_cutting_events_off_the_end_and_setting_the_head_back_is_caught_by_the_key(db: Database) -> None:
    store = keyed(db, 6)
    rows = db.audit_rows()
    kept = rows[-3]
    db.tamper("DELETE FROM audit_events WHERE sequence > ?", (kept["sequence"],))
    # The head set back onto the last kept event; its MAC cannot be made without the key, so the event's is copied.
    db.execute(
        "UPDATE audit_head SET sequence = ?, hash = ?, mac = ? WHERE id = 1",
        (kept["sequence"], kept["hash"], kept["mac"]),
    )
    assert verify_chain(store, keys=UNKEYED).ok  # a chain alone sees nothing wrong
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, kept["sequence"])
    assert "head's MAC does not verify" in (report.reason or "")


def test_deleting_a_middle_event_and_hashing_the_rest_again_is_caught_by_the_key(db: Database) -> None:
    store = keyed(db, 6)
    rows = db.audit_rows()
    del rows[3]  # event 4
    db.rebuild_chain(rows)
    assert verify_chain(store, keys=UNKEYED).ok
    report = verify_chain(store)
    assert (report.ok, report.first_bad, report.events) == (False, 4, 3)
    assert "MAC does not verify" in (report.reason or "")


@pytest.mark.parametrize("column", ["actor_id", "action", "entity_id", "payload_hash", "occurred_at"])
def test_a_rewritten_event_hashed_again_is_caught_by_its_mac(db: Database, column: str) -> None:
    store = keyed(db, 5)
    rows = db.audit_rows()
    rows[2][column] = "2025-05-01T10:00:00.000000+00:00" if column == "occurred_at" else f"forged_{column}"
    db.rebuild_chain(rows)
    assert verify_chain(store, keys=UNKEYED).ok
    assert verify_chain(store).first_bad == 3


def test_events_rebuilt_without_macs_after_keyed_ones_are_caught(db: Database) -> None:
    store = keyed(db, 5)
    rows = db.audit_rows()
    for row in rows[3:]:
        row["key_id"] = row["mac"] = None
    db.rebuild_chain(rows)
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 4)
    assert "carries no MAC" in (report.reason or "")


def test_a_trail_stripped_of_every_mac_and_rebuilt_fails_where_a_key_is_held(db: Database) -> None:
    store = keyed(db, 5)
    rows = [{**row, "key_id": None, "mac": None} for row in db.audit_rows()[1:]]  # the rotation goes too
    rows[0]["actor_id"] = "intruder"
    db.rebuild_chain(rows)
    unkeyed = verify_chain(store, keys=UNKEYED)
    assert unkeyed.ok and unkeyed.keyed_from is None  # to a verifier without the key: an intact, unkeyed trail
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 5)
    assert "carries no MAC though a key is held" in (report.reason or "")


def test_a_tampered_key_id_is_caught(db: Database) -> None:
    store = keyed(db, 4)
    db.tamper("UPDATE audit_events SET key_id = ? WHERE sequence = 3", (KEY_B.id,))
    report = verify_chain(store, keys=AuditKeys(KEY_A, [KEY_B]))
    assert (report.ok, report.first_bad) == (False, 3)


# -- rotation ---------------------------------------------------------------------------------------------------


def rotated(db: Database) -> Store:
    """A trail keyed with A for events 1-4, rotated to B (event 5), then MAC'd with B."""
    keyed(db, 3, KEY_A)
    store = db.open(AuditKeys(KEY_B, [KEY_A]))
    append(store, 2, first=3)
    return store


def test_a_new_key_rotates_the_trail_at_its_first_write(db: Database) -> None:
    store = rotated(db)
    events = list(store.iter_audit())
    assert [(e.sequence, e.action, e.key_id) for e in events[3:6]] == [
        (4, "deal.offer_sent", KEY_A.id),
        (5, ROTATION_ACTION, KEY_B.id),
        (6, "deal.offer_sent", KEY_B.id),
    ]
    report = verify_chain(store)
    assert report.ok and report.keyed and report.key_ids == (KEY_A.id, KEY_B.id)


def test_verifying_a_rotated_trail_needs_the_old_key(db: Database) -> None:
    store = rotated(db)
    report = verify_chain(store, keys=AuditKeys(KEY_B))
    assert (report.ok, report.first_bad, report.missing_key) == (False, 1, KEY_A.id)
    assert AUDIT_OLD_KEYS_ENV in (report.reason or "")


def test_a_new_key_without_the_old_one_is_refused(db: Database) -> None:
    keyed(db, 2, KEY_A)
    stranger = db.open(AuditKeys(KEY_B))
    with pytest.raises(StoreError, match=f"keyed with {KEY_A.id}.*{AUDIT_OLD_KEYS_ENV}"):
        append(stranger, 1)


def test_a_retired_key_can_forge_nothing_after_the_rotation(db: Database) -> None:
    store = rotated(db)
    # Whoever holds only the retired key A can MAC events with it, but not in B's part of the trail...
    rows = db.audit_rows()
    forged = {**rows[-1], "actor_id": "intruder", "key_id": KEY_A.id}
    db.rebuild_chain([*rows[:-1], forged])
    digest = bytes.fromhex(db.audit_rows()[-1]["hash"])
    db.tamper("UPDATE audit_events SET mac = ? WHERE sequence = 7", (KEY_A.event_mac(digest),))
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 7)
    assert f"does not verify under key {KEY_B.id}, which MACs the trail since event 5" in (report.reason or "")


def test_a_writer_given_a_retired_key_is_refused_and_writes_nothing(db: Database) -> None:
    store = rotated(db)
    back = db.open(AuditKeys(KEY_A, [KEY_B]))  # a process given the old key as its current one
    with pytest.raises(StoreError, match=f"{KEY_A.id} was retired"):
        append(back, 1, first=9)
    assert store.audit_head()[0] == 7 and verify_chain(store).ok


def test_a_forged_return_to_a_retired_key_is_caught(db: Database) -> None:
    store = rotated(db)
    rows = db.audit_rows()
    rotation = {**rows[4], "entity_id": KEY_A.id, "key_id": KEY_A.id, "payload_hash": rows[4]["payload_hash"]}
    db.rebuild_chain([*rows, {**rotation, "mac": None}])
    report = verify_chain(store)
    assert (report.ok, report.first_bad) == (False, 8)
    assert f"returns to key {KEY_A.id}, retired after event 4" in (report.reason or "")


def test_cutting_the_rotation_off_and_rewriting_the_end_with_the_retired_key_is_caught(db: Database) -> None:
    """Whoever holds only the retired key A deletes the rotation to B and what follows, then rewrites event 4
    and the head with A: every MAC left verifies, but the trail no longer ends under the key the verifier holds."""
    store = rotated(db)
    rows = db.audit_rows()[:4]
    forged = {**rows[3], "actor_id": "intruder"}
    db.rebuild_chain([*rows[:3], forged])
    last = db.audit_rows()[-1]
    db.tamper("UPDATE audit_events SET mac = ? WHERE sequence = 4", (KEY_A.event_mac(bytes.fromhex(last["hash"])),))
    db.execute("UPDATE audit_head SET mac = ? WHERE id = 1", (KEY_A.head_mac(4, last["hash"]),))
    assert verify_chain(store, keys=AuditKeys(KEY_A)).ok  # to a verifier who knows of no rotation, it holds
    report = verify_chain(store)  # the store's keys: B, with A retired
    assert (report.ok, report.first_bad) == (False, 4)
    assert f"ends under key {KEY_A.id}, not under this process's key {KEY_B.id}" in (report.reason or "")


def test_rotating_explicitly_appends_the_rotation_once(db: Database) -> None:
    keyed(db, 2, KEY_A)
    store = db.open(AuditKeys(KEY_B, [KEY_A]))
    with store._write_transaction() as tx:
        event = tx._rotate_audit_key(T0)
    assert event is not None and (event.action, event.key_id, event.sequence) == (ROTATION_ACTION, KEY_B.id, 4)
    with store._write_transaction() as tx:
        assert tx._rotate_audit_key(T0) is None
    assert verify_chain(store).ok


# -- keys from the environment ----------------------------------------------------------------------------------


def test_keys_come_from_the_environment() -> None:
    current, old = generate_audit_key(), generate_audit_key()
    keys = AuditKeys.from_environment({AUDIT_KEY_ENV: current, AUDIT_OLD_KEYS_ENV: f" {old},\n{KEY_A_TEXT} "})
    assert keys.current == AuditKey(base64.b64decode(current))
    assert [key.id for key in keys.old] == [AuditKey(base64.b64decode(old)).id, KEY_A.id]
    assert AuditKeys.from_environment({}) == UNKEYED and not UNKEYED


KEY_A_TEXT = base64.b64encode(KEY_A.secret).decode()


@pytest.mark.parametrize(
    ("env", "where", "problem"),
    [
        ({AUDIT_KEY_ENV: "not base64!"}, AUDIT_KEY_ENV, "not base64"),
        ({AUDIT_KEY_ENV: base64.b64encode(b"short").decode()}, AUDIT_KEY_ENV, "5 bytes"),
        ({AUDIT_OLD_KEYS_ENV: f"{KEY_A_TEXT},??"}, f"{AUDIT_OLD_KEYS_ENV}[1]", "not base64"),
        ({AUDIT_KEY_ENV: KEY_A_TEXT, AUDIT_OLD_KEYS_ENV: KEY_A_TEXT}, AUDIT_OLD_KEYS_ENV, "listed twice"),
    ],
)
def test_a_malformed_key_is_a_config_error_that_never_shows_the_key(
    env: dict[str, str], where: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        AuditKeys.from_environment(env)
    assert caught.value.paths == [where]
    assert problem in str(caught.value)
    for value in env.values():
        assert value not in str(caught.value)


def test_a_key_shows_only_its_id() -> None:
    assert repr(KEY_A) == f"AuditKey(id={KEY_A.id!r})" and "aaaa" not in repr(AuditKeys(KEY_A))
    assert KEY_A.id == "ak_" + hashlib.sha256(b"creatorkit/audit/key-id\x1f" + b"a" * 32).hexdigest()[:16]
    with pytest.raises(ValueError, match="at least 32 bytes"):
        AuditKey(b"short")


def test_the_store_takes_its_keys_from_the_environment(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from creatorkit.store import open_store

    monkeypatch.setenv(AUDIT_KEY_ENV, KEY_A_TEXT)
    store: Any = open_store(db.url)
    try:
        assert store.audit_keys == AuditKeys(KEY_A)
        append(store, 1)
        assert {e.key_id for e in store.iter_audit()} == {KEY_A.id}
    finally:
        store.close()
