"""Checkpoints: signed statements of the audit trail's head that an operator keeps outside the database.

A key stops anyone without it from rebuilding the trail, but not from setting the whole database back to an
earlier state of itself (a restored backup, or every row and the head's MAC saved and written back): that state
verifies, because it once was the real one. A checkpoint is what that cannot undo. ``creatorkit audit checkpoint``
writes one: the head's sequence and hash, when, and an HMAC-SHA256 over them with the current key; kept elsewhere
(another host, a ticket, a mail), it makes ``creatorkit audit verify --checkpoint FILE`` fail when the store is
behind it (cut off or rolled back) or disagrees with it (another hash at its sequence: rewritten at or before it).

The file is JSON::

    {"checkpoint": "creatorkit.audit.checkpoint/1", "sequence": 1042, "hash": "<hex>",
     "created_at": "2026-03-02T09:00:00.000000+00:00", "key_id": "ak_…", "mac": "<hex>"}

The MAC covers the format name, the sequence, the hash, the time and the key id, joined with U+001F (see
:mod:`creatorkit.audit._keys`). Without a key the checkpoint is written unsigned (``key_id`` and ``mac`` null):
kept where the database's writers cannot reach, it still anchors the trail, and verification says it is unsigned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import Problem, ValidationError
from ._chain import GENESIS, format_occurred_at
from ._keys import AuditKeys

if TYPE_CHECKING:
    from ..store import Transaction

__all__ = ["CHECKPOINT_FORMAT", "Checkpoint", "CheckpointReport", "check_checkpoint", "make_checkpoint"]

CHECKPOINT_FORMAT = "creatorkit.audit.checkpoint/1"
"""The ``checkpoint`` field of every checkpoint file this code writes and reads."""

_HEX64 = frozenset("0123456789abcdef")


@attrs.frozen(kw_only=True)
class Checkpoint:
    """The trail's head at one moment: ``sequence`` and ``hash``, ``created_at``, the key that signed it and its MAC.

    ``source`` says where it was read from (a file name), for reports; it is not signed.
    """

    sequence: int
    hash: str
    created_at: str
    key_id: str | None = None
    mac: str | None = None
    source: str = attrs.field(default="checkpoint", eq=False)

    def signed_fields(self) -> tuple[str, ...]:
        """What the MAC covers, in order."""
        return (CHECKPOINT_FORMAT, str(self.sequence), self.hash, self.created_at, self.key_id or "")

    def to_json(self) -> str:
        """The checkpoint file's text."""
        fields = {"checkpoint": CHECKPOINT_FORMAT, "sequence": self.sequence, "hash": self.hash}
        fields |= {"created_at": self.created_at, "key_id": self.key_id, "mac": self.mac}
        return json.dumps(fields, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "checkpoint") -> Checkpoint:
        """The checkpoint in ``text``; a ValidationError naming every field that is wrong otherwise."""
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValidationError(
                [Problem("", "is nested too deep to be a checkpoint")], what=f"audit checkpoint {source}"
            ) from None
        except ValueError as exc:
            raise ValidationError([Problem("", f"is not JSON: {exc}")], what=f"audit checkpoint {source}") from None
        if not isinstance(data, Mapping):
            raise ValidationError([Problem("", "is not a JSON object")], what=f"audit checkpoint {source}")
        problems = _problems(data)
        if problems:
            raise ValidationError(problems, what=f"audit checkpoint {source}")
        return cls(
            sequence=data["sequence"],
            hash=data["hash"],
            created_at=data["created_at"],
            key_id=data.get("key_id"),
            mac=data.get("mac"),
            source=source,
        )

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        """The checkpoint in the file at ``path`` (OSError when it cannot be read)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValidationError([Problem("", "is not UTF-8 text")], what=f"audit checkpoint {path}") from None
        return cls.from_json(text, source=str(path))


def _problems(data: Mapping[str, Any]) -> list[Problem]:
    problems = []
    if data.get("checkpoint") != CHECKPOINT_FORMAT:
        problems.append(Problem("checkpoint", f"must be {CHECKPOINT_FORMAT!r}, not {data.get('checkpoint')!r}"))
    sequence = data.get("sequence")
    if type(sequence) is not int or not 0 <= sequence < 2**63:
        problems.append(Problem("sequence", "must be a whole number from 0 to 2**63 - 1"))
    for name in ("hash", "mac"):
        value = data.get(name)
        if (value is not None or name == "hash") and not _is_hex64(value):
            problems.append(Problem(name, "must be 64 lower-case hex digits" + ("" if name == "hash" else " or null")))
    if not _is_time(data.get("created_at")):
        problems.append(Problem("created_at", "must be an ISO 8601 time"))
    key_id, mac = data.get("key_id"), data.get("mac")
    if (key_id is None) != (mac is None) or not (key_id is None or isinstance(key_id, str)):
        problems.append(Problem("key_id", "must name the key when there is a MAC, and be null when there is none"))
    unknown = sorted(set(data) - {"checkpoint", "sequence", "hash", "created_at", "key_id", "mac"})
    problems.extend(Problem(name, "is not a checkpoint field") for name in unknown)
    return problems


def _is_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value) is not None
    except ValueError:
        return False


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def make_checkpoint(tx: Transaction, keys: AuditKeys, now: datetime) -> Checkpoint:
    """A checkpoint of the head ``tx`` sees, at ``now``, signed with the current key of ``keys`` if there is one."""
    sequence, hash = tx.audit_head()
    unsigned = Checkpoint(sequence=sequence, hash=hash, created_at=format_occurred_at(now))
    if keys.current is None:
        return unsigned
    signed = attrs.evolve(unsigned, key_id=keys.current.id)
    return attrs.evolve(signed, mac=keys.current.checkpoint_mac(signed.signed_fields()))


@attrs.frozen(kw_only=True)
class CheckpointReport:
    """A store against one checkpoint: ``ok`` when it has the checkpoint's event with the checkpoint's hash.

    ``signed_by`` is the key whose MAC on the checkpoint verified (None: unsigned, or no key here to check it
    with, as ``signature`` says in words); ``reason`` says how the store fails the checkpoint.
    """

    source: str
    sequence: int
    ok: bool
    signature: str
    signed_by: str | None = None
    reason: str | None = None


def check_checkpoint(tx: Transaction, checkpoint: Checkpoint, keys: AuditKeys) -> CheckpointReport:
    """Check the checkpoint's MAC (with ``keys``), then that the store reaches its event and agrees on its hash."""
    signed_by, signature, refused = _signature(checkpoint, keys)
    problem = signature if refused else _disagreement(tx, checkpoint)
    return CheckpointReport(
        source=checkpoint.source,
        sequence=checkpoint.sequence,
        ok=problem is None,
        signature=signature,
        signed_by=signed_by,
        reason=problem,
    )


def _signature(checkpoint: Checkpoint, keys: AuditKeys) -> tuple[str | None, str, bool]:
    """(the key that verified it, what to say of its signature, whether that refuses the checkpoint)."""
    if checkpoint.key_id is None or checkpoint.mac is None:
        return None, "unsigned (made without a key): it holds only as far as the file was kept safe", False
    if not keys:
        return None, f"signed with key {checkpoint.key_id}, not checked: no key is configured here", False
    key = keys.get(checkpoint.key_id)
    if key is None:
        return None, f"signed with key {checkpoint.key_id}, which is not held here: give it to check the file", True
    if key.checkpoint_mac(checkpoint.signed_fields()) != checkpoint.mac:
        return None, f"its MAC does not verify under key {key.id}: the file was altered", True
    return key.id, f"signed with key {key.id}, verified", False


def _disagreement(tx: Transaction, checkpoint: Checkpoint) -> str | None:
    """How the store's trail fails the checkpoint, or None when it holds the checkpoint's event and hash."""
    if checkpoint.sequence == 0:  # the empty trail: its head is the genesis hash, or the file was altered
        return None if checkpoint.hash == GENESIS else "a checkpoint of the empty trail names another hash than its own"
    last, found = tx._audit_event_hash(checkpoint.sequence)
    if last < checkpoint.sequence:
        return (
            f"the store is behind the checkpoint: its trail ends at event {last}, the checkpoint records event "
            f"{checkpoint.sequence} (events were cut off, or the store was set back)"
        )
    if found is None:
        return f"event {checkpoint.sequence}, which the checkpoint records, is missing from the store"
    if found != checkpoint.hash:
        return (
            f"event {checkpoint.sequence}'s hash differs from the checkpoint's: the trail was rewritten at or "
            f"before event {checkpoint.sequence}"
        )
    return None
