"""The store's record of accepted webhook events (migration 6): once per (source, event id), on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from creatorkit.errors import StoreError, ValidationError
from creatorkit.store import AcceptedEvent, Store
from creatorkit.store import _migrations as migrations
from databases import Database

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVENT = AcceptedEvent(
    source="stripe_connect",
    event_id="evt_1",
    kind="payment",
    event_type="payment_intent.succeeded",
    occurred_at=datetime(2026, 3, 2, 17, 59, 58, tzinfo=timezone(timedelta(hours=9))),
    received_at=RECEIVED,
    operation_id="op_fund_1",
    provider_ref="pi_1",
)


def test_the_table_is_migration_7(db: Database) -> None:
    db.open()
    assert any(m.version == 6 and migrations.WEBHOOK_EVENTS_TABLE in m.sqlite[0] for m in migrations.MIGRATIONS)
    assert db.execute(f"SELECT COUNT(*) FROM {migrations.WEBHOOK_EVENTS_TABLE}") == [(0,)]


def test_an_event_is_recorded_once_per_source(store: Store) -> None:
    with store._write_transaction() as tx:
        assert tx.record_webhook_event(EVENT) is True
        assert tx.record_webhook_event(attrs.evolve(EVENT, kind="other", received_at=RECEIVED + timedelta(1))) is False
        assert tx.record_webhook_event(attrs.evolve(EVENT, source="wechat_pay")) is True
    with store.read() as tx:
        [stored] = tx.accepted_webhook_events("stripe_connect", ["evt_1", "evt_2", "evt_1"])
        assert stored == EVENT  # the first kept, unchanged; times read back as the same instants
        assert tx.accepted_webhook_events("stripe_connect", []) == []
        assert tx.accepted_webhook_events("paypal", ["evt_1"]) == []


def test_a_rolled_back_record_is_not_kept(store: Store) -> None:
    with pytest.raises(RuntimeError), store._write_transaction() as tx:
        tx.record_webhook_event(EVENT)
        raise RuntimeError("the call failed after recording")
    with store.read() as tx:
        assert tx.accepted_webhook_events(EVENT.source, [EVENT.event_id]) == []


def test_a_read_cannot_record(store: Store) -> None:
    with store.read() as tx, pytest.raises(StoreError, match="read-only"):
        tx.record_webhook_event(EVENT)


@pytest.mark.parametrize("field", ["event_id", "event_type", "provider_ref"])
def test_text_no_store_can_keep_is_refused_naming_the_field(store: Store, field: str) -> None:
    changes: dict[str, Any] = {field: "a\x00b"}
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        tx.record_webhook_event(attrs.evolve(EVENT, **changes))
    assert caught.value.paths == [field]
    with store.read() as tx:
        assert tx.accepted_webhook_events(EVENT.source, ["a\x00b", "a\udc80"]) == []
