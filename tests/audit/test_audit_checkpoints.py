"""Checkpoints kept outside the database: what catches a store set back to an earlier state of itself."""

from __future__ import annotations

import base64
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from creatorkit.audit import (
    AUDIT_KEY_ENV,
    AUDIT_OLD_KEYS_ENV,
    CHECKPOINT_FORMAT,
    AuditKey,
    AuditKeys,
    Checkpoint,
    verify_store,
)
from creatorkit.cli import main
from creatorkit.errors import ValidationError
from creatorkit.store import Store
from databases import Database

KEY = AuditKey(b"k" * 32)
OTHER = AuditKey(b"o" * 32)
UNKEYED = AuditKeys()


def append(store: Store, count: int) -> None:
    with store._write_transaction() as tx:
        for i in range(count):
            tx.append_audit(actor_id="m", action="deal.note", entity_kind="deal", entity_id=f"d{i}", payload={"i": i})


def checkpoint(store: Store, keys: AuditKeys) -> Checkpoint:
    from datetime import UTC, datetime

    from creatorkit.audit._checkpoints import make_checkpoint

    with store.read() as tx:
        return make_checkpoint(tx, keys, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def test_a_checkpoint_states_the_head_and_its_mac(database: Database) -> None:
    store = database.open(AuditKeys(KEY))
    append(store, 3)
    made = checkpoint(store, store.audit_keys)
    sequence, hash = store.audit_head()
    data = json.loads(made.to_json())
    assert data == {
        "checkpoint": CHECKPOINT_FORMAT,
        "sequence": sequence,
        "hash": hash,
        "created_at": "2026-03-02T09:00:00.000000+00:00",
        "key_id": KEY.id,
        "mac": data["mac"],
    }
    message = "\x1f".join([CHECKPOINT_FORMAT, str(sequence), hash, data["created_at"], KEY.id])
    expected = hmac.new(KEY.secret, b"creatorkit/audit/checkpoint/v1\x1f" + message.encode(), "sha256").hexdigest()
    assert data["mac"] == expected
    assert Checkpoint.from_json(made.to_json()) == made


def test_a_store_set_back_to_an_earlier_state_of_itself_is_caught_by_the_checkpoint(database: Database) -> None:
    """The state at event 5 — its rows and its head, MAC and all — saved, and written back after event 8."""
    store = database.open(AuditKeys(KEY))
    append(store, 4)  # the rotation to the key, then four events: the head is at 5
    ((saved_head),) = database.execute("SELECT sequence, hash, key_id, mac FROM audit_head")
    append(store, 3)
    kept = checkpoint(store, store.audit_keys)
    assert kept.sequence == 8
    database.tamper("DELETE FROM audit_events WHERE sequence > 5")
    database.execute("UPDATE audit_head SET sequence = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1", saved_head)

    assert verify_store(store).ok  # even with the key: it is a state the trail really was in
    report = verify_store(store, checkpoints=[kept])
    assert not report.ok and report.chain.ok
    (anchor,) = report.checkpoints
    assert not anchor.ok and anchor.sequence == 8
    assert "behind the checkpoint: its trail ends at event 5, the checkpoint records event 8" in (anchor.reason or "")


def test_a_rebuilt_unkeyed_trail_disagrees_with_the_checkpoint(database: Database) -> None:
    store = database.open(UNKEYED)
    append(store, 6)
    kept = checkpoint(store, UNKEYED)
    assert kept.key_id is None and kept.mac is None
    rows = database.audit_rows()
    rows[2]["actor_id"] = "intruder"
    database.rebuild_chain(rows)
    assert verify_store(store).ok  # without a key, a rebuilt trail is just a trail
    (anchor,) = verify_store(store, checkpoints=[kept]).checkpoints
    assert not anchor.ok
    assert "event 6's hash differs from the checkpoint's: the trail was rewritten at or before event 6" in (
        anchor.reason or ""
    )
    assert anchor.signature.startswith("unsigned")


def test_a_checkpoint_the_store_has_gone_past_still_holds(database: Database) -> None:
    store = database.open(AuditKeys(KEY))
    append(store, 2)
    kept = checkpoint(store, store.audit_keys)
    append(store, 5)
    (anchor,) = verify_store(store, checkpoints=[kept]).checkpoints
    assert anchor.ok and anchor.signed_by == KEY.id and anchor.reason is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sequence": 1}, "MAC does not verify"),
        ({"hash": "0" * 64}, "MAC does not verify"),
        ({"key_id": OTHER.id}, "not held here"),
    ],
)
def test_an_altered_checkpoint_file_is_refused(database: Database, change: dict[str, Any], reason: str) -> None:
    store = database.open(AuditKeys(KEY))
    append(store, 2)
    altered = Checkpoint.from_json(json.dumps({**json.loads(checkpoint(store, store.audit_keys).to_json()), **change}))
    (anchor,) = verify_store(store, checkpoints=[altered]).checkpoints
    assert not anchor.ok and reason in (anchor.reason or "")


def test_a_signed_checkpoint_is_reported_unchecked_without_a_key(database: Database) -> None:
    store = database.open(AuditKeys(KEY))
    append(store, 2)
    kept = checkpoint(store, store.audit_keys)
    (anchor,) = verify_store(store, keys=UNKEYED, checkpoints=[kept]).checkpoints
    assert anchor.ok and anchor.signed_by is None and "not checked" in anchor.signature


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("not json", [""]),
        ("[]", [""]),
        (json.dumps({"checkpoint": "x", "sequence": -1, "hash": "ab", "created_at": "yesterday"}), None),
        (
            json.dumps(
                {
                    "checkpoint": CHECKPOINT_FORMAT,
                    "sequence": 1,
                    "hash": "a" * 64,
                    "created_at": "2026-03-02",
                    "key_id": "ak_x",
                    "mac": None,
                    "extra": 1,
                }
            ),
            ["key_id", "extra"],
        ),
    ],
)
def test_a_malformed_checkpoint_file_names_every_problem(text: str, paths: list[str] | None) -> None:
    with pytest.raises(ValidationError) as caught:
        Checkpoint.from_json(text, source="cp.json")
    expected = ["checkpoint", "sequence", "hash", "created_at"] if paths is None else paths
    assert caught.value.paths == expected
    assert "cp.json" in str(caught.value)


# -- the CLI ----------------------------------------------------------------------------------------------------


@pytest.fixture
def config(database: Database, tmp_path: Path) -> Path:
    url = f"sqlite:///{database.path}" if database.dialect == "sqlite" else database.url  # type: ignore[attr-defined]
    path = tmp_path / "creatorkit.toml"
    path.write_text(f'[creatorkit]\nstore = "{url}"\n', encoding="utf-8")
    return path


def cli(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), "audit", *args])


def key_text(key: AuditKey) -> str:
    return base64.b64encode(key.secret).decode()


def test_the_cli_checkpoints_and_verifies_against_the_file(
    database: Database, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, key_text(KEY))
    append(database.open(AuditKeys(KEY)), 4)
    out = tmp_path / "head.json"
    made = cli(config, "checkpoint", "--out", str(out))
    assert made.exit_code == 0, made.output
    assert f"checkpoint of event 5 in {out} (signed with key {KEY.id})" in made.output
    assert cli(config, "checkpoint", "--out", str(out)).exit_code == 1  # never written over an older one
    printed = cli(config, "checkpoint")
    assert json.loads(printed.stdout)["sequence"] == 5

    intact = cli(config, "verify", "--checkpoint", str(out))
    assert intact.exit_code == 0, intact.output
    assert f"checkpoint {out}: event 5 matches (signed with key {KEY.id}, verified)" in intact.output
    assert "keyed: every MAC from event 1 on verified" in intact.output

    database.tamper("DELETE FROM audit_events WHERE sequence > 2")
    database.execute("UPDATE audit_head SET sequence = 2, hash = (SELECT hash FROM audit_events WHERE sequence = 2)")
    broken = cli(config, "verify", "--checkpoint", str(out))
    assert broken.exit_code == 1
    assert f"checkpoint {out} BROKEN: the store is behind the checkpoint" in broken.output
    assert "audit trail BROKEN at event 2: the head's MAC does not verify" in broken.output


def test_the_cli_says_plainly_when_nothing_was_keyed(database: Database, config: Path, tmp_path: Path) -> None:
    append(database.open(UNKEYED), 2)
    result = cli(config, "verify")
    assert result.exit_code == 0
    assert "NOT keyed" in result.output and "proves only that the trail is consistent with itself" in result.output
    made = cli(config, "checkpoint", "--out", str(tmp_path / "cp.json"))
    assert "UNSIGNED" in made.output
    checked = cli(config, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert checked.exit_code == 0 and "matches (unsigned" in checked.output


def test_a_malformed_checkpoint_file_is_an_error_naming_it(config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = cli(config, "verify", "--checkpoint", str(bad))
    assert result.exit_code == 1 and f"error: invalid audit checkpoint {bad}" in result.output
    missing = cli(config, "verify", "--checkpoint", str(tmp_path / "none.json"))
    assert missing.exit_code == 1 and "none.json" in missing.output


def test_the_cli_rotates_the_key(database: Database, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    append(database.open(AuditKeys(KEY)), 2)
    monkeypatch.setenv(AUDIT_KEY_ENV, key_text(OTHER))
    refused = cli(config, "rotate-key")
    assert refused.exit_code == 1 and AUDIT_OLD_KEYS_ENV in refused.output
    monkeypatch.setenv(AUDIT_OLD_KEYS_ENV, key_text(KEY))
    rotated = cli(config, "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert f"MAC'd with key {OTHER.id} from event 4 on" in rotated.output
    again = cli(config, "rotate-key")
    assert again.exit_code == 0 and "nothing to rotate" in again.output
    verified = cli(config, "verify")
    assert verified.exit_code == 0 and f"(keys {KEY.id}, {OTHER.id})" in verified.output
    monkeypatch.delenv(AUDIT_OLD_KEYS_ENV)
    unverifiable = cli(config, "verify")
    assert unverifiable.exit_code == 1 and "cannot be verified from event 1" in unverifiable.output
    monkeypatch.delenv(AUDIT_KEY_ENV)
    assert "no key to rotate to" in cli(config, "rotate-key").output


def test_another_store_keyed_alike_verifies_in_its_place_but_not_against_its_checkpoint(tmp_path: Path) -> None:
    """A MAC does not name its store: why docs/workflow.md says one key per store, and checkpoints."""
    import shutil

    from creatorkit.store import open_store

    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    for path, count in ((ours, 3), (theirs, 5)):
        store = open_store(path, audit_keys=AuditKeys(KEY))
        append(store, count)
        if path == ours:
            kept = checkpoint(store, store.audit_keys)
        store.close()
    shutil.copyfile(theirs, ours)  # the other store's whole database, written over ours
    swapped = open_store(ours, audit_keys=AuditKeys(KEY))
    try:
        assert verify_store(swapped).ok
        (report,) = verify_store(swapped, checkpoints=[kept]).checkpoints
        assert not report.ok and "hash differs" in (report.reason or "")
    finally:
        swapped.close()
