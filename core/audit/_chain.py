"""How audit events are hashed and chained, and how a chain is verified (the encoding is in the package docstring)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._canonical import canonical_json
from .._text import text_problem
from ..errors import AuditIntegrityError, Problem, ValidationError
from ._keys import AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV, AuditKey, AuditKeys

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "EVENT_FORMAT",
    "GENESIS",
    "HASHED_FIELDS",
    "HASHED_FIELDS_FORMAT_1",
    "ROTATION_ACTION",
    "SEPARATOR",
    "ChainReport",
    "check_field",
    "event_hash",
    "format_occurred_at",
    "payload_hash",
    "raise_for_broken",
    "verify_chain",
    "verify_rows",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first event, and the head's hash while the chain is empty."""

SEPARATOR = "\x1f"
"""ASCII unit separator between the hashed fields; forbidden inside every field."""

EVENT_FORMAT = 2
"""The encoding events are appended in. Format 1 (before keys and state coverage) is read and verified only."""

ROTATION_ACTION = "audit.key_rotated"
"""The action of the event the store appends when the key it MACs with changes; no caller may append one."""

HASHED_FIELDS_FORMAT_1 = (
    "sequence",
    "actor_id",
    "on_behalf_of",
    "action",
    "entity_kind",
    "entity_id",
    "workspace_id",
    "payload_hash",
    "occurred_at",
    "prev_hash",
)
"""The fields a format-1 event's hash covers, in the order they are encoded."""

HASHED_FIELDS = (*HASHED_FIELDS_FORMAT_1[:-1], "key_id", "documents", "prev_hash")
"""The fields an event's hash covers (format 2), in the order they are encoded: ``prev_hash`` last, as in format 1."""

_sha256 = hashlib.sha256


def payload_hash(payload: Any) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of ``payload``; ValidationError if it is not JSON."""
    try:
        canonical = canonical_json(payload)
    except (ValueError, TypeError) as exc:
        raise ValidationError([Problem("payload", str(exc))], what="audit payload") from exc
    return _sha256(canonical).hexdigest()


def format_occurred_at(moment: datetime) -> str:
    """The ISO 8601 text an event's time is stored and hashed as: UTC, microseconds, ``+00:00``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError([Problem("occurred_at", "must be timezone-aware")], what="audit event")
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        raise ValidationError(
            [Problem("occurred_at", "is outside the years 1-9999 in UTC")], what="audit event"
        ) from None


def check_field(name: str, value: str | None, *, required: bool = True) -> None:
    """Refuse a value that would make the hash encoding ambiguous (or an empty required field)."""
    if value is None:
        if required:
            raise ValidationError([Problem(name, "is required")], what="audit event")
        return
    if not isinstance(value, str):
        raise ValidationError([Problem(name, f"must be a string, not {type(value).__name__}")], what="audit event")
    if not value:
        message = "may not be empty" if required else "may not be empty (pass None when absent)"
        raise ValidationError([Problem(name, message)], what="audit event")
    if SEPARATOR in value:
        raise ValidationError([Problem(name, "may not contain the unit separator U+001F")], what="audit event")
    problem = text_problem(value)  # U+0000 and lone surrogates, which no store keeps and no encoder hashes
    if problem:
        raise ValidationError([Problem(name, problem)], what="audit event")


def event_hash(
    *,
    sequence: int,
    actor_id: str,
    on_behalf_of: str | None,
    action: str,
    entity_kind: str,
    entity_id: str,
    workspace_id: str | None,
    payload_hash: str,
    occurred_at: str,
    prev_hash: str,
    key_id: str | None = None,
    documents: str | None = None,
    format: int = EVENT_FORMAT,
) -> str:
    """SHA-256 (hex) of one event's encoding (see the package docstring); ``occurred_at`` as stored.

    ``key_id`` and ``documents`` (the covered documents' text, as stored) exist from format 2 on; a format-1
    event has neither.
    """
    fields = [
        str(sequence),
        actor_id,
        on_behalf_of or "",
        action,
        entity_kind,
        entity_id,
        workspace_id or "",
        payload_hash,
        occurred_at,
    ]
    if format == EVENT_FORMAT:
        fields += (key_id or "", documents or "")
    elif format != 1 or key_id is not None or documents is not None:
        raise ValueError(f"an event of format {format} cannot be hashed (format 1 has no key_id or documents)")
    fields.append(prev_hash)
    return _sha256(SEPARATOR.join(fields).encode()).hexdigest()


@attrs.frozen(kw_only=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    ``events`` is how many events verified intact (all of them when ``ok``); when the chain is broken,
    ``first_bad`` is the sequence number of the first event that is wrong or missing and ``reason`` says how.

    What the result proves depends on the keys: ``keyed_from`` is the first event carrying a MAC (None when none
    does) and ``key_ids`` the keys MACing the trail, oldest first. ``macs_checked`` says whether the verifier
    held keys and checked every MAC: only then is an intact trail proof that no one without a key rewrote it.
    Without, it proves only that the trail is consistent with itself. ``legacy_events`` counts the events
    written before keys and state coverage existed (format 1), always the oldest ones. ``missing_key`` is the
    key a keyed trail needed and the verifier did not hold.
    """

    ok: bool
    events: int
    first_bad: int | None = None
    reason: str | None = None
    keyed_from: int | None = None
    key_ids: tuple[str, ...] = ()
    macs_checked: bool = False
    legacy_events: int = 0
    missing_key: str | None = None

    @property
    def keyed(self) -> bool:
        """Whether the trail carries MACs and they were checked: an intact keyed trail was written by key holders."""
        return self.keyed_from is not None and self.macs_checked

    def raise_for_broken(self) -> None:
        """Raise :class:`~creatorkit.errors.AuditIntegrityError` if the chain is broken."""
        raise_for_broken(self)


def raise_for_broken(report: ChainReport) -> None:
    """Raise :class:`~creatorkit.errors.AuditIntegrityError` naming the first bad event of a broken chain."""
    if not report.ok:
        raise AuditIntegrityError(report.first_bad or 0, report.reason or "unknown")


class _Broken(Exception):
    def __init__(self, sequence: int, reason: str) -> None:
        self.sequence = sequence
        self.reason = reason


class _Walk:
    """One pass over a chain's rows, in order: links, hashes, keys and MACs, then the head.

    The key MACing each event is the one the last key rotation named (``rotations``: sequence -> key id), which
    keeps the key id out of the rows read per event; each event's own key id is in its hash all the same.
    """

    def __init__(self, keys: AuditKeys | None, rotations: Mapping[int, str]) -> None:
        self.keys = keys if keys else None
        self.rotations = rotations
        self.expected = 1  # the next sequence; one past the last event verified
        self.prev = GENESIS
        self.key_id: str | None = None  # the key the trail is MAC'd with at the last event verified
        self.keyed_from: int | None = None
        self.since = 0  # the event the current key took over at
        self.retired: dict[str, int] = {}  # key id -> the last event it MACs
        self.missing_key: str | None = None

    def run(self, batches: Iterable[Sequence[Sequence[Any]]]) -> None:
        expected, prev = self.expected, self.prev
        inner: Any
        outer: Any
        inner, outer = self._mac_starts() or (None, None)
        keyed = self.key_id is not None
        turns = iter(sorted(s for s in self.rotations if s >= expected))
        turn = next(turns, None)
        sha = _sha256
        link = prev.encode()
        try:
            for rows in batches:
                # The hot loop: one SHA-256 per event, and with a key its HMAC (two more short SHA-256 steps, written
                # out here: a call per event would cost a tenth of the time); nothing else built. Every encoding
                # ends with the previous event's hash, so the link needs no column of its own.
                for sequence, encoding, stored, mac in rows:
                    if sequence != expected:
                        raise _Broken(expected, _gap_reason(expected, sequence))
                    if encoding[-64:] != link:
                        raise _Broken(expected, f"prev_hash does not match the hash of event {expected - 1}")
                    if sequence == turn:
                        inner, outer = self._turn(sequence) or (None, None)
                        keyed, turn = True, next(turns, None)
                    if inner is None:
                        if sha(encoding).hexdigest() != stored:
                            raise _Broken(expected, "stored hash does not match the event's contents")
                        if keyed and mac is None:
                            raise self._unmacd(expected)
                    else:
                        digest = sha(encoding).digest()
                        if digest.hex() != stored:
                            raise _Broken(expected, "stored hash does not match the event's contents")
                        step = inner.copy()
                        step.update(digest)
                        last = outer.copy()
                        last.update(step.digest())
                        if last.hexdigest() != mac:
                            raise self._unmacd(expected) if mac is None else self._forged(expected)
                    prev, link = stored, stored.encode()
                    expected += 1
        except (TypeError, ValueError, AttributeError):
            # A NULL or non-text value where the schema requires text: the row was edited outside the store.
            raise _Broken(expected, "event has a missing or malformed field") from None
        finally:
            self.expected, self.prev = expected, prev

    def _mac_starts(self) -> tuple[Any, Any] | None:
        key = self._key()
        return None if key is None else key._hmac_starts()

    def _turn(self, sequence: int) -> tuple[Any, Any] | None:
        """Move to the key the rotation at ``sequence`` names; the HMAC starts of that key, when MACs are checked."""
        new, old = self.rotations[sequence], self.key_id
        if new == old:
            raise _Broken(sequence, f"event {sequence} is a key rotation to key {new}, which MACs the trail already")
        if new in self.retired:
            raise _Broken(sequence, f"event {sequence} returns to key {new}, retired after event {self.retired[new]}")
        if old is not None:
            self.retired[old] = sequence - 1
        self.key_id, self.since = new, sequence
        if self.keyed_from is None:
            self.keyed_from = sequence
        if self.keys is None:
            return None
        key = self.keys.get(new)
        if key is None:
            self.missing_key = new
            raise _Broken(
                sequence,
                f"events from {sequence} on are MAC'd with key {new}, which is not held here: give it in "
                f"{AUDIT_OLD_KEYS_ENV} (or {AUDIT_KEY_ENV}) to verify them",
            )
        return key._hmac_starts()

    def _unmacd(self, sequence: int) -> _Broken:
        return _Broken(
            sequence,
            f"event {sequence} carries no MAC, but the trail is keyed since event {self.keyed_from}: it was written "
            "or rewritten without the key",
        )

    def _forged(self, sequence: int) -> _Broken:
        return _Broken(
            sequence,
            f"the event's MAC does not verify under key {self.key_id}, which MACs the trail since event {self.since} "
            "(the last key rotation): it was written or rewritten by someone without that key",
        )

    def finish(self, head: Sequence[Any] | None) -> None:
        """Check the head against the last event, and that a verifier holding keys sees a keyed end."""
        last = self.expected - 1
        if head is not None:
            problem = _head_problem(last, self.prev, self.key_id, self._key(), head)
            if problem is not None:
                raise problem
        current = None if self.keys is None else self.keys.current
        if current is not None and self.key_id is not None and self.key_id != current.id:
            raise _Broken(
                last,
                f"the trail ends under key {self.key_id}, not under this process's key {current.id}: either no "
                f"process with {current.id} has written since it was configured (creatorkit audit rotate-key "
                "rotates now), or the events from the rotation to it on were cut off and the rest rewritten with a "
                "retired key",
            )
        if self.keys is not None and last and self.key_id is None:
            raise _Broken(
                last,
                f"event {last}, the last, carries no MAC though a key is held: either no process with the key has "
                "written since it was configured (creatorkit audit rotate-key starts keying now), or the MACs "
                "were stripped and the trail rebuilt",
            )

    def _key(self) -> AuditKey | None:
        return None if self.key_id is None or self.keys is None else self.keys.get(self.key_id)

    def report(self, broken: _Broken | None, legacy: int) -> ChainReport:
        return ChainReport(
            ok=broken is None,
            events=self.expected - 1 if broken is None else min(self.expected, broken.sequence) - 1,
            first_bad=None if broken is None else broken.sequence,
            reason=None if broken is None else broken.reason,
            keyed_from=self.keyed_from,
            key_ids=(*self.retired, *([self.key_id] if self.key_id else [])),
            macs_checked=self.keys is not None and self.missing_key is None,
            legacy_events=legacy,
            missing_key=self.missing_key,
        )


def verify_rows(
    batches: Iterable[Sequence[Sequence[Any]]],
    head: Sequence[Any] | None = None,
    *,
    keys: AuditKeys | None = None,
    rotations: Mapping[int, str] | None = None,
    legacy: int = 0,
) -> ChainReport:
    """Verify a chain given as batches of raw rows, in sequence order, from the first event on.

    Each row is shaped as a transaction's ``iter_audit_rows`` yields it: ``(sequence, encoding, hash, mac)``,
    where ``encoding`` is the event's hash encoding as UTF-8 bytes, built from the stored fields (it ends with
    the stored ``prev_hash``). ``head`` is the store's recorded ``(last sequence, last hash, key_id, mac)`` (or
    the first two alone); without it a truncated tail cannot be detected. ``rotations`` maps the sequence of
    each key rotation to the key it starts; the key may change there and nowhere else, and never back. With
    ``keys`` every MAC is checked. ``legacy`` is the number of format-1 events, reported as is.
    """
    walk = _Walk(keys, rotations or {})
    try:
        walk.run(batches)
        walk.finish(None if head is None else (*head, None, None)[:4])
    except _Broken as broken:
        return walk.report(broken, legacy)
    return walk.report(None, legacy)


def _gap_reason(expected: int, found: int) -> str:
    if found > expected:
        return f"event {expected} is missing (the next stored event is {found})"
    return f"event {found} is out of order (expected event {expected})"


def _head_problem(
    last: int, last_hash: str, last_key: str | None, key: AuditKey | None, head: Sequence[Any]
) -> _Broken | None:
    head_sequence, head_hash, head_key, head_mac = head
    if head_sequence > last:
        return _Broken(
            last + 1,
            f"event {last + 1} is missing: the chain ends at event {last}, the head records {head_sequence}",
        )
    if head_sequence < last:
        return _Broken(
            head_sequence + 1,
            f"event {head_sequence + 1} is not recorded in the head (the head ends at {head_sequence}); "
            "it was added outside the store",
        )
    if head_hash != last_hash:
        return _Broken(max(last, 1), f"the head's hash does not match event {last}")
    if head_key != last_key:
        return _Broken(max(last, 1), f"the head names key {head_key or 'none'}, event {last} {last_key or 'none'}")
    if key is not None and head_mac != key.head_mac(head_sequence, head_hash):
        return _Broken(
            max(last, 1),
            "the head's MAC does not verify: it was set back or rewritten without the key (events cut off the end)",
        )
    return None


def verify_chain(
    store: Store, *, raise_on_error: bool = False, batch: int = 10_000, keys: AuditKeys | None = None
) -> ChainReport:
    """Recompute every event's hash and link, check contiguous sequences from 1, the keys' MACs and the head.

    ``keys`` default to the store's own (``store.audit_keys``); without any, MACs are not checked and the report
    says so (``macs_checked``). Reads one consistent snapshot of the store. Returns a :class:`ChainReport`; with
    ``raise_on_error`` a broken chain raises :class:`~creatorkit.errors.AuditIntegrityError` instead.
    """
    with store._read_transaction() as tx:
        report = tx._verify_chain(store.audit_keys if keys is None else keys, batch)
    if raise_on_error:
        raise_for_broken(report)
    return report
