"""How audit events are hashed and chained, and how a chain is verified (the encoding is in the package docstring)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._canonical import canonical_json
from ..errors import AuditIntegrityError, Problem, ValidationError

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "GENESIS",
    "HASHED_FIELDS",
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

HASHED_FIELDS = (
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
"""The fields an event's hash covers, in the order they are encoded."""

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
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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
    if SEPARATOR in value or "\x00" in value:
        raise ValidationError([Problem(name, "may not contain the unit separator U+001F or NUL")], what="audit event")


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
) -> str:
    """SHA-256 (hex) of one event's encoding (see the module docstring); ``occurred_at`` as stored."""
    material = SEPARATOR.join(
        (
            str(sequence),
            actor_id,
            on_behalf_of or "",
            action,
            entity_kind,
            entity_id,
            workspace_id or "",
            payload_hash,
            occurred_at,
            prev_hash,
        )
    )
    return _sha256(material.encode()).hexdigest()


@attrs.frozen(kw_only=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    ``events`` is how many events verified intact (all of them when ``ok``); when the chain is broken,
    ``first_bad`` is the sequence number of the first event that is wrong or missing and ``reason`` says how.
    """

    ok: bool
    events: int
    first_bad: int | None = None
    reason: str | None = None

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


def verify_rows(batches: Iterable[Sequence[Sequence[Any]]], head: tuple[int, str] | None = None) -> ChainReport:
    """Verify a chain given as batches of raw rows, in sequence order, from the first event on.

    Each row is shaped as a transaction's ``iter_audit_rows`` yields it: ``(sequence, encoding,
    prev_hash, hash)``, where ``encoding`` is the event's hash encoding as UTF-8 bytes, built from the
    stored fields. ``head`` is the store's recorded ``(last sequence, last hash)``; without it a truncated
    tail cannot be detected.
    """
    expected = 1
    prev = GENESIS
    sha = _sha256
    try:
        for rows in batches:
            # The hot loop: one SHA-256 and three comparisons per event, nothing else built.
            for sequence, encoding, prev_hash, stored in rows:
                if sequence != expected:
                    raise _Broken(expected, _gap_reason(expected, sequence))
                if prev_hash != prev:
                    raise _Broken(expected, f"prev_hash does not match the hash of event {expected - 1}")
                if sha(encoding).hexdigest() != stored:
                    raise _Broken(expected, "stored hash does not match the event's contents")
                prev = stored
                expected += 1
    except _Broken as broken:
        return ChainReport(ok=False, events=broken.sequence - 1, first_bad=broken.sequence, reason=broken.reason)
    except (TypeError, ValueError):
        # A NULL or non-text value where the schema requires text: the row was edited outside the store.
        return ChainReport(
            ok=False, events=expected - 1, first_bad=expected, reason="event has a missing or malformed field"
        )
    last = expected - 1
    if head is not None:
        problem = _head_problem(last, prev, head)
        if problem is not None:
            return ChainReport(
                ok=False,
                events=min(last, problem.sequence - 1),
                first_bad=problem.sequence,
                reason=problem.reason,
            )
    return ChainReport(ok=True, events=last)


def _gap_reason(expected: int, found: int) -> str:
    if found > expected:
        return f"event {expected} is missing (the next stored event is {found})"
    return f"event {found} is out of order (expected event {expected})"


def _head_problem(last: int, last_hash: str, head: tuple[int, str]) -> _Broken | None:
    head_sequence, head_hash = head
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
    return None


def verify_chain(store: Store, *, raise_on_error: bool = False, batch: int = 10_000) -> ChainReport:
    """Recompute every event's hash, check each link, contiguous sequences from 1, and the head.

    Reads one consistent snapshot of the store. Returns a :class:`ChainReport`; with ``raise_on_error``
    a broken chain raises :class:`~creatorkit.errors.AuditIntegrityError` instead.
    """
    with store.read() as tx:
        report = verify_rows(tx.iter_audit_rows(batch=batch), tx.audit_head())
    if raise_on_error:
        raise_for_broken(report)
    return report
