"""A transaction's audit-chain operations: append events chained to the head, read them back in order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..audit._chain import GENESIS, check_field, event_hash, payload_hash
from ..entities._audit import AuditEvent
from ..errors import StoreError
from ._transaction_base import TransactionBase, utcnow

__all__ = ["AUDIT_COLUMNS", "AuditOperations"]

AUDIT_COLUMNS = (
    "sequence, actor_id, action, entity_kind, entity_id, payload_hash, occurred_at, prev_hash, hash, "
    "on_behalf_of, workspace_id"
)


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
        )

    # --- audit ------------------------------------------------------------------------------------
    def audit_head(self) -> tuple[int, str]:
        """``(last sequence, last hash)`` as this transaction sees it; ``(0, GENESIS)`` when empty."""
        self._check(False)
        if self._head is not None:
            return self._head
        # Read from the database even when this connection knows it: verify_chain holds the chain to this row.
        self._cur.execute("SELECT sequence, hash FROM audit_head WHERE id = 1")
        row = self._cur.fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

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
        """
        self._check(True)
        row = self._audit_row(
            actor_id, action, entity_kind, entity_id, payload, on_behalf_of, workspace_id, occurred_at
        )
        self._cur.execute(self._SQL_INSERT_AUDIT, row)
        return AuditEvent(
            sequence=row[0],
            actor_id=actor_id,
            action=action,
            entity_kind=entity_kind,
            entity_id=entity_id,
            payload_hash=row[5],
            occurred_at=datetime.fromisoformat(row[6]),
            prev_hash=row[7],
            hash=row[8],
            on_behalf_of=on_behalf_of,
            workspace_id=workspace_id,
        )

    def append_audits(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Append several events, in order, each given as :meth:`append_audit`'s keyword arguments.

        The same rules and chain as one call per event, sent to the database as one statement.
        """
        self._check(True)
        head, dirty = self._head, self._head_dirty
        try:
            rows = [self._audit_row(**entry) for entry in entries]
        except BaseException:
            self._head, self._head_dirty = head, dirty  # a refused entry appends none of them
            raise
        if rows:
            self._cur.executemany(self._SQL_INSERT_AUDIT, rows)

    def _audit_row(
        self,
        actor_id: str,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        on_behalf_of: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[Any, ...]:
        """The next event's row, in ``AUDIT_COLUMNS`` order, chained to the head (which it then becomes)."""
        check_field("actor_id", actor_id)
        check_field("action", action)
        check_field("entity_kind", entity_kind)
        check_field("entity_id", entity_id)
        check_field("on_behalf_of", on_behalf_of, required=False)
        check_field("workspace_id", workspace_id, required=False)
        when = self._utc_text(utcnow() if occurred_at is None else occurred_at)
        digest = payload_hash(payload)
        head = self._head
        if head is None and self._known_state is not None:
            head = self._known_state.audit_head
        if head is None:
            self._cur.execute(f"SELECT sequence, hash FROM audit_head WHERE id = 1{self._LOCK_HEAD}")
            found = self._cur.fetchone()
            if found is None:
                raise StoreError("the audit head row is missing; the store was changed outside creatorkit")
            head = (int(found[0]), str(found[1]))
        sequence = head[0] + 1
        prev = head[1]
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
        )
        # The head row is written once, at commit (see _finish), still inside this transaction.
        self._head = (sequence, digest_event)
        self._head_dirty = True
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
        )

    def audit_for(
        self, *, entity_ids: Sequence[str] | None = None, workspace_id: str | None = None
    ) -> list[AuditEvent]:
        """Events about any of ``entity_ids`` and/or in ``workspace_id``, in sequence order.

        Events are indexed by entity; ``workspace_id`` alone reads the whole trail (fine for an export, not for
        a request path).
        """
        self._check(False)
        if entity_ids is not None and not entity_ids:
            return []
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

        Each row is ``(sequence, encoding, prev_hash, hash)``: ``encoding`` is the event's hash encoding
        (see :mod:`creatorkit.audit`) as UTF-8 bytes, built from the stored fields by the database. No
        objects are built per event, so verifying stays fast.
        """
        return self._audit_batches(f"sequence, {self._AUDIT_MATERIAL}, prev_hash, hash", start, batch)

    def _audit_batches(self, columns: str, start: int, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            rows = self._audit_page(columns, start, batch)
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            start = int(rows[-1][0]) + 1

    def _audit_page(self, columns: str, start: int, batch: int) -> list[tuple[Any, ...]]:
        # Keyset pages rather than one open cursor: PostgreSQL's client cursor would load everything at once.
        self._check(False)
        if batch < 1:
            raise ValueError("batch must be at least 1")
        p = self._P
        self._cur.execute(
            f"SELECT {columns} FROM audit_events WHERE sequence >= {p} ORDER BY sequence LIMIT {int(batch)}",
            (start,),
        )
        rows: list[tuple[Any, ...]] = self._cur.fetchall()
        return rows
