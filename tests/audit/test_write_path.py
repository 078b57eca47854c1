"""The store's public API reads only: state changes, and audit events appear, only through the services."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from creatorkit.audit import verify_chain
from creatorkit.entities import DealState
from creatorkit.errors import StoreError
from creatorkit.store import Store, Transaction
from world import World

#: Everything public on a store: reading, its bookkeeping, closing. Nothing here may write.
READ_ONLY_STORE_API = {
    "audit_head",
    "audit_keys",
    "close",
    "dialect",
    "iter_audit",
    "locks_rows",
    "read",
    "schema_version",
    "url",
}


def test_a_store_offers_no_public_way_to_write(store: Store) -> None:
    public = {name for name in dir(store) if not name.startswith("_")}
    # The dialects' options, and SQLite's background checkpointer (it copies the write-ahead log, no data).
    options = {"busy_timeout", "checkpointer", "connect_timeout", "path"}
    assert public - options == READ_ONLY_STORE_API
    assert not hasattr(store, "transaction")


def transaction_openers(store: Store) -> list[Callable[[], AbstractContextManager[Transaction]]]:
    """Every public method of the store that hands out a transaction (however it is named)."""
    openers = []
    for name in dir(type(store)):
        method = getattr(type(store), name)
        if name.startswith("_") or not inspect.isfunction(method):
            continue
        if "Transaction" in str(typing.get_type_hints(method).get("return", "")):
            openers.append(getattr(store, name))
    assert openers, "store.read() at least"
    return openers


def test_a_deal_cannot_be_completed_without_its_event(world: World) -> None:
    deal = world.agree()
    store = world.kit.store
    head = store.audit_head()
    for opener in transaction_openers(store):
        with pytest.raises(StoreError, match="read-only"), opener() as tx:
            record = tx.require("deal", deal.id)
            tx.update("deal", deal.id, {**record.doc, "state": "completed"}, expected_version=record.version)
    with store.read() as tx:
        assert tx.require("deal", deal.id).state == str(DealState.AGREED)
    assert store.audit_head() == head


def test_no_event_can_be_forged_through_the_store(world: World) -> None:
    deal = world.agree()
    store = world.kit.store
    head = store.audit_head()
    forged: dict[str, Any] = {
        "actor_id": str(world.creator),
        "action": "contract.sign",
        "entity_kind": "deal",
        "entity_id": deal.id,
        "payload": {"signed": True},
    }
    for opener in transaction_openers(store):
        with pytest.raises(StoreError, match="read-only"), opener() as tx:
            tx.append_audit(**forged)
        with pytest.raises(StoreError, match="read-only"), opener() as tx:
            tx.append_audits([forged])
    assert store.audit_head() == head
    assert "contract.sign" not in [event.action for event in store.iter_audit()]
    assert verify_chain(store).ok


def test_a_document_the_store_handed_out_changed_in_place_changes_nothing(world: World) -> None:
    """On SQLite a connection keeps the documents it read; what ``store.read()`` hands out is the caller's own
    copy, so an app editing it in place (money in major units "for display") changes neither what later reads
    see nor what the services then write under a valid audit event."""
    from datetime import timedelta

    from creatorkit import Creatorkit, Money
    from creatorkit.audit import verify_store
    from world import START

    deal = world.agree()
    kit = world.kit
    template = kit.contracts.create_template(world.brand, name="Standard", body="Pay {{ contract.price }}")

    def in_major_units(value: Any) -> None:
        if isinstance(value, dict):
            if set(value) == {"amount", "currency"}:
                value["amount"] //= 100
            for item in value.values():
                in_major_units(item)
        elif isinstance(value, list):
            for item in value:
                in_major_units(item)

    with kit.store.read() as tx:
        in_major_units(tx.require("deal", deal.id).doc)
        for record in tx.find("deal"):
            in_major_units(record.doc)
        assert tx.require("deal", deal.id).doc["price"] == {"amount": 150_000, "currency": "USD"}
    with kit.store.read() as tx:
        assert tx.require("deal", deal.id).doc["price"] == {"amount": 150_000, "currency": "USD"}
    # A kit that has built no entity yet (another request handler on the same store) reads the deal afresh.
    other = Creatorkit(store=kit.store, plugins=kit.plugins, config=kit.config, clock=world.clock)
    contract = other.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(20))
    assert contract.price == Money(150_000, "USD")
    assert verify_store(kit.store).ok


def test_evidence_changed_by_its_reader_changes_nothing_stored(world: World) -> None:
    """``kit.audit.evidence()`` is plain data for the caller: redacting an invitation or a price in it, in place,
    must not reach the documents the connection keeps (SQLite), which the next reads and the services use."""
    deal = world.agree()
    kit = world.kit
    parts = kit.audit.evidence(world.brand, deal.id)
    (offer,) = parts["offers.json"]
    (invitation,) = parts["invitations.json"]
    body = invitation["doc"]["body"]
    offer["doc"]["terms"]["price"]["amount"] = 1
    invitation["doc"]["body"] = "[redacted]"
    with kit.store.read() as tx:
        assert tx.require("offer", offer["id"]).doc["terms"]["price"]["amount"] == 150_000
        assert tx.require("invitation", invitation["id"]).doc["body"] == body
    again = kit.audit.evidence(world.brand, deal.id)
    assert again["offers.json"][0]["doc"]["terms"]["price"]["amount"] == 150_000
    assert again["invitations.json"][0]["doc"]["body"] == body
