"""A transaction's audit-chain operations: append events chained to the head, read them back in order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from .._text import text_problem
from ..audit._chain import (
    EVENT_FORMAT,
    GENESIS,
    ROTATION_ACTION,
    ChainReport,
    check_field,
    event_hash,
    payload_hash,
    verify_rows,
)
from ..audit._keys import AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV, AuditKey, AuditKeys
from ..audit._state import Covered, StateReport, check_documents, document_digest, encode_documents
from ..entities import Actor
from ..entities._audit import AuditEvent
from ..errors import Problem, StoreError, ValidationError
from ._transaction_base import Head, TransactionBase, utcnow

__all__ = ["AUDIT_COLUMNS", "AuditOperations"]

AUDIT_COLUMNS = (
    "sequence, actor_id, action, entity_kind, entity_id, payload_hash, occurred_at, prev_hash, hash, "
    "on_behalf_of, workspace_id, format, key_id, mac, documents"
)

_SYSTEM = str(Actor.system())


def _check_fields(
    actor_id: str, action: str, entity_kind: str, entity_id: str, on_behalf_of: str | None, workspace_id: str | None
) -> None:
    """Refuse what would make an event's encoding ambiguous (see :func:`creatorkit.audit.check_field`)."""
    check_field("actor_id", actor_id)
    check_field("action", action)
    check_field("entity_kind", entity_kind)
    check_field("entity_id", entity_id)
    check_field("on_behalf_of", on_behalf_of, required=False)
    check_field("workspace_id", workspace_id, required=False)


def _rotation_entry(old: str | None, key: AuditKey, occurred_at: datetime | None) -> dict[str, Any]:
    """The event recording that the trail is MAC'd with ``key`` from here on (after ``old``, or after none)."""
    return {
        "actor_id": _SYSTEM,
        "action": ROTATION_ACTION,
        "entity_kind": "audit_key",
        "entity_id": key.id,
        "payload": {"from": old, "to": key.id},
        "occurred_at": occurred_at,
    }


class AuditOperations(TransactionBase):
    """The audit-chain half of :class:`~creatorkit.store.Transaction`."""

    __slots__ = ()

    def _event(self, row: Sequence[Any]) -> AuditEvent:
        return AuditEvent(
            sequence=row[0],
            actor_id=row[1],
            action=row[2],
            entity_kind=row[3],
            entity_id=row[4],
            payload_hash=row[5],
            occurred_at=datetime.fromisoformat(row[6]),
            prev_hash=row[7],
            hash=row[8],
            on_behalf_of=row[9],
            workspace_id=row[10],
            format=row[11],
            key_id=row[12],
            mac=row[13],
            documents=row[14],
        )

    # --- audit ------------------------------------------------------------------------------------
    def audit_head(self) -> tuple[int, str]:
        """``(last sequence, last hash)`` as this transaction sees it; ``(0, GENESIS)`` when empty."""
        self._check(False)
        if self._head is not None:
            return self._head[0], self._head[1]
        # Read from the database even when this connection knows it: verify_chain holds the chain to this row.
        head = self._stored_head()
        return head[0], head[1]

    def _stored_head(self) -> tuple[int, str, str | None, str | None]:
        """The head row as stored: ``(sequence, hash, key_id, mac)``."""
        self._cur.execute("SELECT sequence, hash, key_id, mac FROM audit_head WHERE id = 1")
        row = self._cur.fetchone()
        return (0, GENESIS, None, None) if row is None else (int(row[0]), str(row[1]), row[2], row[3])

    def append_audit(
        self,
        *,
        actor_id: str,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        on_behalf_of: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> AuditEvent:
        """Append one event to the chain, in this transaction; it is kept only if the transaction commits.

        Text fields may not contain U+001F (see :mod:`creatorkit.audit`); ``on_behalf_of`` and
        ``workspace_id`` are None when absent, never empty.

        Make it the last write of the transaction: on PostgreSQL the first append locks the chain's head
        row until commit (that is what keeps the chain linear), so documents updated *after* it could
        deadlock with another transaction waiting for the head; PostgreSQL would then abort one of them
        (a StoreError).

        With a key (the store's ``audit_keys``) the event is MAC'd; when that key is not the one the trail was
        last MAC'd with, the store first appends the key's rotation (see :meth:`_rotate_audit_key`).
        """
        self._check(True)
        entry = {
            "actor_id": actor_id,
            "action": action,
            "entity_kind": entity_kind,
            "entity_id": entity_id,
            "payload": payload,
            "on_behalf_of": on_behalf_of,
            "workspace_id": workspace_id,
            "occurred_at": occurred_at,
        }
        return self._event(self._append_rows([entry], None)[-1])

    def append_audits(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Append several events, in order, each given as :meth:`append_audit`'s keyword arguments.

        The same rules and chain as one call per event, sent to the database as one statement.
        """
        self._check(True)
        self._append_rows(list(entries), None)

    def _rotate_audit_key(self, occurred_at: datetime | None = None) -> AuditEvent | None:
        """Append the rotation to the key this process writes with now; None when the trail already uses it.

        The rotation is an event of its own (``audit.key_rotated``, by the system, about the new key's id, its
        payload naming the old key and the new), MAC'd with the new key; verification lets the key change there
        and nowhere else, and never back to a retired key. Each append makes it on its own when due.
        """
        self._check(True)
        rows = self._append_rows([], occurred_at)
        return self._event(rows[0]) if rows else None

    def _append_rows(self, entries: list[Mapping[str, Any]], rotation_at: datetime | None) -> list[tuple[Any, ...]]:
        head, dirty = self._head, self._head_dirty
        try:
            rows = self._audit_rows(entries, rotation_at)
        except BaseException:
            self._head, self._head_dirty = head, dirty  # a refused entry appends none of them
            raise
        if rows:
            self._cur.executemany(self._SQL_INSERT_AUDIT, rows)
            self._uncovered.clear()
        return rows

    def _audit_rows(self, entries: list[Mapping[str, Any]], rotation_at: datetime | None) -> list[tuple[Any, ...]]:
        """The rows for ``entries`` (after a key rotation, when due), chained to the head, which they then move."""
        head = self._writable_head()
        key, rotate = self._writing_key(head[2])
        if not entries and not rotate:
            return []
        pending: list[Mapping[str, Any]] = []
        if rotate:
            assert key is not None
            when = entries[0].get("occurred_at") if entries else rotation_at
            pending.append(_rotation_entry(head[2], key, when))
        for entry in entries:
            if entry.get("action") == ROTATION_ACTION:
                problem = Problem("action", f"{ROTATION_ACTION} is recorded by the store itself, when the key changes")
                raise ValidationError([problem], what="audit event")
            pending.append(entry)
        digests = [payload_hash(entry.get("payload")) for entry in pending]
        documents = self._coverage(pending, digests)
        rows = []
        for entry, digest, covered in zip(pending, digests, documents, strict=True):
            row = self._audit_row(head, key, payload_digest=digest, documents=covered, **entry)
            head = (row[0], row[8], row[12])
            rows.append(row)
        # The head row is written once, at commit (see _finish), still inside this transaction.
        self._head = head
        self._head_dirty = True
        return rows

    def _coverage(self, pending: Sequence[Mapping[str, Any]], digests: Sequence[str]) -> list[str | None]:
        """Each pending event's ``documents``: what this transaction wrote since its last append, with its digest.

        A document goes with the (last) event about it, any other with the last event: every document written is
        covered by an event of the same call. A document that is also an event's payload (a record stored and
        audited as written) has that payload's digest already.
        """
        covering: list[list[Covered]] = [[] for _ in pending]
        if not self._uncovered:
            return [None] * len(pending)
        about = {(entry.get("entity_kind"), entry.get("entity_id")): n for n, entry in enumerate(pending)}
        payloads = {
            id(entry.get("payload")): (entry.get("payload"), digest)
            for entry, digest in zip(pending, digests, strict=True)
        }
        last = len(pending) - 1
        for key in self._uncovered:
            record = self._written[key]
            known = payloads.get(id(record.doc))
            digest = known[1] if known is not None and known[0] is record.doc else document_digest(record.doc)
            entry = (record.kind, record.id, record.version, digest, record.state, record.workspace, record.parent)
            covering[about.get(key, last)].append(entry)
        return [encode_documents(entries) for entries in covering]

    def _writable_head(self) -> Head:
        """The head to append to: this transaction's, the connection's, or the database's (locked on PostgreSQL)."""
        head = self._head
        if head is None and self._known_state is not None:
            head = self._known_state.audit_head
        if head is None:
            self._cur.execute(f"SELECT sequence, hash, key_id FROM audit_head WHERE id = 1{self._LOCK_HEAD}")
            found = self._cur.fetchone()
            if found is None:
                raise StoreError("the audit head row is missing; the store was changed outside creatorkit")
            head = (int(found[0]), str(found[1]), found[2])
        return head

    def _writing_key(self, trail_key: str | None) -> tuple[AuditKey | None, bool]:
        """The key to MAC with, and whether the trail must first rotate to it; StoreError when it may not write."""
        keys: AuditKeys = self.store.audit_keys
        current = keys.current
        if current is None:
            if trail_key is None:
                return None, False
            raise StoreError(
                f"the audit trail of {self.store.url} is keyed (with {trail_key}) and this process holds no key: "
                f"set {AUDIT_KEY_ENV} to write to it"
            )
        if trail_key == current.id:
            return current, False
        if trail_key is not None and keys.get(trail_key) is None:
            raise StoreError(
                f"the audit trail of {self.store.url} is keyed with {trail_key}, and this process's key is "
                f"{current.id}: to rotate to it, give the old key in {AUDIT_OLD_KEYS_ENV}; otherwise "
                f"{AUDIT_KEY_ENV} holds the wrong key"
            )
        if self._was_rotated_to(current.id):
            # Verification refuses a return to a retired key: the rotation would break the trail for good.
            raise StoreError(
                f"the audit trail of {self.store.url} is keyed with {trail_key}; this process's key {current.id} "
                f"was retired from it and cannot MAC it again: set {AUDIT_KEY_ENV} to a new key"
            )
        return current, True

    def _was_rotated_to(self, key_id: str) -> bool:
        """Whether the trail was ever MAC'd with ``key_id`` (only rotations name a key; they are few, and indexed)."""
        p = self._P
        # The action literal, not a parameter: only then may the database answer from the partial index.
        self._cur.execute(
            f"SELECT 1 FROM audit_events WHERE action = '{ROTATION_ACTION}' AND entity_id = {p} LIMIT 1", (key_id,)
        )
        return self._cur.fetchone() is not None

    def _audit_row(
        self,
        head: Head,
        key: AuditKey | None,
        actor_id: str,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        on_behalf_of: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
        *,
        payload_digest: str,
        documents: str | None,
    ) -> tuple[Any, ...]:
        """The next event's row, in ``AUDIT_COLUMNS`` order, chained to ``head`` and MAC'd with ``key``.

        ``payload_digest`` is ``payload``'s hash, ``documents`` the covered documents' text (or None).
        """
        _check_fields(actor_id, action, entity_kind, entity_id, on_behalf_of, workspace_id)
        when = self._utc_text(utcnow() if occurred_at is None else occurred_at)
        digest = payload_digest
        sequence = head[0] + 1
        prev = head[1]
        key_id = None if key is None else key.id
        digest_event = event_hash(
            sequence=sequence,
            actor_id=actor_id,
            on_behalf_of=on_behalf_of,
            action=action,
            entity_kind=entity_kind,
            entity_id=entity_id,
            workspace_id=workspace_id,
            payload_hash=digest,
            occurred_at=when,
            prev_hash=prev,
            key_id=key_id,
            documents=documents,
        )
        mac = None if key is None else key.event_mac(bytes.fromhex(digest_event))
        return (
            sequence,
            actor_id,
            action,
            entity_kind,
            entity_id,
            digest,
            when,
            prev,
            digest_event,
            on_behalf_of,
            workspace_id,
            EVENT_FORMAT,
            key_id,
            mac,
            documents,
        )

    def _verify_chain(self, keys: AuditKeys, batch: int) -> ChainReport:
        """Verify the whole chain in this transaction's snapshot (see :func:`creatorkit.audit.verify_chain`)."""
        self._check(False)
        legacy, misplaced = self._legacy_events()
        # Literal, not a parameter: only then may the database answer from the partial index of rotations.
        self._cur.execute(f"SELECT sequence, key_id FROM audit_events WHERE action = '{ROTATION_ACTION}'")
        rotations = {int(row[0]): row[1] for row in self._cur.fetchall()}
        try:
            head = self._stored_head()
        except (TypeError, ValueError):  # edited outside the store: a sequence that is not a number
            return ChainReport(ok=False, events=0, first_bad=1, reason="the head row holds a malformed sequence")
        report = verify_rows(self.iter_audit_rows(batch=batch), head, keys=keys, rotations=rotations, legacy=legacy)
        if misplaced is not None and (report.first_bad is None or misplaced <= report.first_bad):
            reason = f"event {misplaced} is in the new format, before events in the old one (format 1)"
            return attrs.evolve(
                report, ok=False, events=min(report.events, misplaced - 1), first_bad=misplaced, reason=reason
            )
        return report

    def _legacy_events(self) -> tuple[int, int | None]:
        """The number of format-1 events, always the oldest; and the first newer event among them, if any."""
        self._cur.execute("SELECT COUNT(*), COALESCE(MAX(sequence), 0) FROM audit_events WHERE format = 1")
        count, last = (int(value) for value in self._cur.fetchone())
        if count == last:
            return count, None
        p = self._P
        self._cur.execute(f"SELECT MIN(sequence) FROM audit_events WHERE format <> 1 AND sequence < {p}", (last,))
        first_new = self._cur.fetchone()[0]
        return count, None if first_new is None else int(first_new)

    def _audit_event_hash(self, sequence: int) -> tuple[int, str | None]:
        """(the last stored event's sequence, the hash stored for event ``sequence`` or None): for checkpoints."""
        self._check(False)
        self._cur.execute("SELECT COALESCE(MAX(sequence), 0) FROM audit_events")
        last = int(self._cur.fetchone()[0])
        self._cur.execute(f"SELECT hash FROM audit_events WHERE sequence = {self._P}", (sequence,))
        row = self._cur.fetchone()
        return last, None if row is None else str(row[0])

    def _verify_state(self, legacy: int, batch: int) -> StateReport:
        """Every stored document against its last audited write, in this snapshot (see :mod:`creatorkit.audit`).

        Coverage is read from format-2 events only: a format-1 event's hash does not cover a ``documents`` column.
        """
        self._check(False)
        coverage = self._keyset(
            "SELECT sequence, documents FROM audit_events", "documents IS NOT NULL", "sequence", (legacy,), batch
        )
        documents = self._keyset(
            "SELECT kind, id, version, state, workspace, parent, doc FROM documents", None, "kind, id", None, batch
        )
        return check_documents(coverage, documents, decode=self._decode_doc, legacy=legacy > 0)

    def _keyset(
        self, select: str, where: str | None, key: str, after: tuple[Any, ...] | None, batch: int
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of ``select`` (filtered by ``where``) in ``key`` order past ``after``, in pages of ``batch``."""
        width = key.count(",") + 1
        while True:
            conditions = [] if where is None else [where]
            if after is not None:
                conditions.append(f"({key}) > ({', '.join([self._P] * width)})")
            sql = f"{select}{' WHERE ' if conditions else ''}{' AND '.join(conditions)}"
            self._cur.execute(f"{sql} ORDER BY {key} LIMIT {int(batch)}", after or ())
            rows = self._cur.fetchall()
            yield from rows
            if len(rows) < batch:
                return
            after = tuple(rows[-1][:width])

    def audit_for(
        self, *, entity_ids: Sequence[str] | None = None, workspace_id: str | None = None
    ) -> list[AuditEvent]:
        """Events about any of ``entity_ids`` and/or in ``workspace_id``, in sequence order.

        Events are indexed by entity; ``workspace_id`` alone reads the whole trail (fine for an export, not for
        a request path).
        """
        self._check(False)
        if entity_ids is not None:
            entity_ids = [entity_id for entity_id in entity_ids if not text_problem(entity_id)]
            if not entity_ids:
                return []
        if workspace_id is not None and text_problem(workspace_id):
            return []  # no store holds such an id
        params: list[Any] = []
        where = []
        if entity_ids is not None:
            where.append(self._in("entity_id", entity_ids, params))
        if workspace_id is not None:
            where.append(f"workspace_id = {self._P}")
            params.append(workspace_id)
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit_events"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        self._cur.execute(sql + " ORDER BY sequence", params)
        event = self._event
        return [event(row) for row in self._cur.fetchall()]

    def iter_audit_events(self, start: int = 1, batch: int = 10_000) -> Iterator[AuditEvent]:
        """Events from sequence ``start`` on, in order, read in batches within this transaction."""
        event = self._event
        for rows in self._audit_batches(AUDIT_COLUMNS, start, batch):
            yield from map(event, rows)

    def iter_audit_rows(self, start: int = 1, batch: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        """Raw audit rows in sequence order, in batches, shaped for :func:`creatorkit.audit.verify_rows`.

        Each row is ``(sequence, encoding, hash, mac)``: ``encoding`` is the event's hash encoding (see
        :mod:`creatorkit.audit`) as UTF-8 bytes, built from the stored fields by the database; it ends with the
        stored ``prev_hash``. No objects are built per event, so verifying stays fast. The format-1 events are
        the oldest (verification checks that they are): their rows are encoded as format 1, every later row as
        the current format, so the database needs no test per row. A row stored in another format than its
        place says does not hash.
        """
        self._check(False)
        legacy = self._legacy_last()
        tail = "hash, mac"
        if start <= legacy:
            yield from self._audit_batches(f"sequence, {self._AUDIT_MATERIAL_1}, {tail}", start, batch, legacy)
        yield from self._audit_batches(f"sequence, {self._AUDIT_MATERIAL}, {tail}", max(start, legacy + 1), batch)

    def _legacy_last(self) -> int:
        """The last format-1 event's sequence (0 when there is none), from their partial index."""
        self._cur.execute("SELECT COALESCE(MAX(sequence), 0) FROM audit_events WHERE format = 1")
        return int(self._cur.fetchone()[0])

    def _audit_batches(
        self, columns: str, start: int, batch: int, last: int | None = None
    ) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            rows = self._audit_page(columns, start, batch, last)
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            start = int(rows[-1][0]) + 1

    def _audit_page(self, columns: str, start: int, batch: int, last: int | None = None) -> list[tuple[Any, ...]]:
        # Keyset pages rather than one open cursor: PostgreSQL's client cursor would load everything at once.
        self._check(False)
        if batch < 1:
            raise ValueError("batch must be at least 1")
        p = self._P
        upto = "" if last is None else f" AND sequence <= {int(last)}"
        self._cur.execute(
            f"SELECT {columns} FROM audit_events WHERE sequence >= {p}{upto} ORDER BY sequence LIMIT {int(batch)}",
            (start,),
        )
        rows: list[tuple[Any, ...]] = self._cur.fetchall()
        return rows
