"""A transaction's webhook-event operations: record an accepted event once per (source, event id), look events up.

The table (migration 6) is the core's memory of the webhook events it accepted. Its primary key makes the
refusal of a delivery sent again hold across processes and hosts: two deliveries of one event racing on
PostgreSQL both insert, and the second's ``ON CONFLICT DO NOTHING`` waits for the first to commit and then
inserts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from .._text import text_problem
from ..errors import Problem, ValidationError
from ._migrations import WEBHOOK_EVENTS_TABLE
from ._transaction_base import TransactionBase

__all__ = ["AcceptedEvent", "WebhookEventOperations"]

_COLUMNS = "source, event_id, kind, event_type, occurred_at, received_at, operation_id, provider_ref"


@attrs.frozen
class AcceptedEvent:
    """One row of the table: an event the core accepted, what its notice said, and when it arrived."""

    source: str
    event_id: str
    kind: str
    event_type: str
    occurred_at: datetime | None
    received_at: datetime
    operation_id: str | None
    provider_ref: str | None


class WebhookEventOperations(TransactionBase):
    """The webhook-event half of :class:`~creatorkit.store.Transaction`."""

    __slots__ = ()

    def record_webhook_event(self, event: AcceptedEvent) -> bool:
        """Record ``event`` as accepted; False, writing nothing, when its (source, event id) already is.

        Raises ValidationError naming the field when one holds text no store can keep.
        """
        self._check(True)
        texts = {
            "source": event.source,
            "event_id": event.event_id,
            "kind": event.kind,
            "event_type": event.event_type,
            "operation_id": event.operation_id,
            "provider_ref": event.provider_ref,
        }
        problems = [Problem(name, why) for name, value in texts.items() if value and (why := text_problem(value))]
        if problems:
            raise ValidationError(problems, what=f"webhook event {event.source}/{event.event_id!r}")
        encode = self._encode_time
        p = self._P
        self._cur.execute(
            f"INSERT INTO {WEBHOOK_EVENTS_TABLE} ({_COLUMNS}) VALUES ({', '.join([p] * 8)}) ON CONFLICT DO NOTHING",
            (
                event.source,
                event.event_id,
                event.kind,
                event.event_type,
                None if event.occurred_at is None else encode(event.occurred_at),
                encode(event.received_at),
                event.operation_id,
                event.provider_ref,
            ),
        )
        return bool(self._cur.rowcount == 1)

    def accepted_webhook_events(self, source: str, event_ids: Iterable[str]) -> list[AcceptedEvent]:
        """The events among ``event_ids`` of ``source`` that were accepted, in no particular order."""
        self._check(False)
        wanted = [event_id for event_id in dict.fromkeys(event_ids) if not text_problem(event_id)]
        if not wanted or text_problem(source):
            return []  # no store holds such text: answered alike, before the driver would refuse it
        params: list[Any] = [source]
        where = self._in("event_id", wanted, params)
        self._cur.execute(f"SELECT {_COLUMNS} FROM {WEBHOOK_EVENTS_TABLE} WHERE source = {self._P} AND {where}", params)
        return [self._accepted(row) for row in self._cur.fetchall()]

    def _accepted(self, row: Sequence[Any]) -> AcceptedEvent:
        decode = self._decode_time
        return AcceptedEvent(
            source=row[0],
            event_id=row[1],
            kind=row[2],
            event_type=row[3],
            occurred_at=None if row[4] is None else decode(row[4]),
            received_at=decode(row[5]),
            operation_id=row[6],
            provider_ref=row[7],
        )
