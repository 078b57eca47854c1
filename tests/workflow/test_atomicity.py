"""Every service call is one transaction: the state change happens with its audit event, or not at all.

Each test makes a call fail from inside its transaction, after some of its writes, and proves that neither the
documents nor the audit chain kept anything, that nothing was announced, and that the store goes on working.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from creatorkit._change import Change
from creatorkit.audit import verify_chain
from creatorkit.entities import DealState, InvitationStatus, OfferStatus, Scope
from creatorkit.errors import PermissionDenied
from creatorkit.store import Transaction
from creatorkit.workflow import _machine, _negotiation, _outreach
from world import World


class Crash(BaseException):
    """Stands in for the process dying mid-call: not even an ``Exception``."""


def snapshot(kit: Any, database: Any) -> tuple[list[tuple[Any, ...]], tuple[int, str]]:
    """Every stored document (kind, id, version, state, doc) and the audit chain's head."""
    rows = database.execute("SELECT kind, id, version, state, doc FROM documents ORDER BY kind, id")
    documents = [(k, i, v, s, json.loads(d) if isinstance(d, str | bytes) else d) for k, i, v, s, d in rows]
    return documents, kit.store.audit_head()


def crash_after(original: Any, exc: BaseException | None = None) -> Any:
    """Wrap ``original`` so that it does all its work, then fails."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise exc or RuntimeError("crash after the write")

    return wrapper


def transaction_class(kit: Any) -> type[Transaction]:
    with kit.store.read() as tx:
        return type(tx)


def assert_chain_ok(kit: Any) -> None:
    report = verify_chain(kit.store)
    assert report.ok, report
    assert report.events == kit.store.audit_head()[0]


def negotiating(world: World) -> Any:
    deal = world.invite()
    return world.kit.outreach.respond(world.creator, deal.id, accept=True)


# -- failing after the writes ------------------------------------------------------------------------------------


def test_a_crash_after_every_write_of_a_call_leaves_no_partial_state(world, database, events, monkeypatch):
    kit = world.kit
    deal = world.invite()
    before, announced = snapshot(kit, database), len(events)
    # respond() moves the deal, updates the invitation, then appends the creator's message: fail after all that.
    monkeypatch.setattr(_outreach, "_append", crash_after(_outreach._append))
    with pytest.raises(RuntimeError, match="crash after the write"):
        kit.outreach.respond(world.creator, deal.id, accept=True, message="Yes please")

    assert snapshot(kit, database) == before
    assert len(events) == announced
    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED
    assert kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.SENT
    assert kit.outreach.thread(world.brand, deal.id) == []
    assert_chain_ok(kit)

    monkeypatch.undo()
    moved = kit.outreach.respond(world.creator, deal.id, accept=True, message="Yes please")
    assert moved.state is DealState.NEGOTIATING and moved.version == deal.version + 1
    assert [m.body for m in kit.outreach.thread(world.brand, deal.id)] == ["Yes please"]
    assert_chain_ok(kit)


def test_a_crash_after_the_state_transition_keeps_the_offer_open(world, database, events, monkeypatch):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    before, announced = snapshot(kit, database), len(events)
    monkeypatch.setattr(_negotiation, "apply", crash_after(_machine.apply))
    with pytest.raises(RuntimeError):
        kit.negotiation.accept(world.creator, offer.id)

    assert snapshot(kit, database) == before
    assert len(events) == announced
    (still,) = kit.negotiation.offers(world.brand, deal.id)
    assert still.status is OfferStatus.OPEN
    current = kit.deals.get(world.brand, deal.id)
    assert current.state is DealState.NEGOTIATING and current.terms is None
    assert_chain_ok(kit)

    monkeypatch.undo()
    assert kit.negotiation.accept(world.creator, offer.id).state is DealState.AGREED
    assert_chain_ok(kit)


def test_a_failing_audit_append_undoes_the_documents_written_before_it(world, database, events, monkeypatch):
    """propose() inserts the offer and its audit event, then moves the deal: fail the deal's audit append."""
    kit = world.kit
    deal = negotiating(world)
    tx_class = transaction_class(kit)
    original = tx_class._audit_row
    seen = []

    def audit_row(self: Any, *args: Any, **fields: Any) -> Any:
        seen.append(fields["action"])
        if fields["action"] == "deal.propose_terms":
            raise RuntimeError("disk full")
        return original(self, *args, **fields)

    before, announced = snapshot(kit, database), len(events)
    monkeypatch.setattr(tx_class, "_audit_row", audit_row)
    with pytest.raises(RuntimeError, match="disk full"):
        kit.negotiation.propose(world.brand, deal.id, world.terms())
    monkeypatch.undo()

    assert seen == ["offer.propose", "deal.propose_terms"]  # the offer and its event were written first
    assert snapshot(kit, database) == before
    assert len(events) == announced
    assert kit.negotiation.offers(world.brand, deal.id) == []
    assert_chain_ok(kit)
    assert kit.negotiation.propose(world.brand, deal.id, world.terms()).status is OfferStatus.OPEN
    assert_chain_ok(kit)


def test_a_failing_audit_event_in_a_counter_offer_keeps_the_first_offer_open(world, database, monkeypatch):
    kit = world.kit
    deal = negotiating(world)
    first = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))
    original = Change.audit

    def audit(self: Change, action: str, *args: Any, **kwargs: Any) -> None:
        original(self, action, *args, **kwargs)
        if action == "deal.propose_terms":
            raise Crash()

    before = snapshot(kit, database)
    monkeypatch.setattr(Change, "audit", audit)
    with pytest.raises(Crash):
        kit.negotiation.propose(world.creator, deal.id, world.terms(price=150_000))
    monkeypatch.undo()

    assert snapshot(kit, database) == before
    (offer,) = kit.negotiation.offers(world.creator, deal.id)
    assert offer.id == first.id and offer.status is OfferStatus.OPEN  # not left 'countered'
    assert_chain_ok(kit)


def test_a_crash_while_inviting_leaves_no_deal_invitation_or_thread(world, database, events, monkeypatch):
    kit = world.kit
    original = Change.insert

    def insert(self: Change, kind: str, *args: Any, **kwargs: Any) -> None:
        original(self, kind, *args, **kwargs)
        if kind == "thread":  # the deal and its invitation are already in
            raise Crash()

    before, announced = snapshot(kit, database), len(events)
    monkeypatch.setattr(Change, "insert", insert)
    with pytest.raises(Crash):
        world.invite()
    monkeypatch.undo()

    assert snapshot(kit, database) == before
    assert len(events) == announced
    assert kit.deals.visible_deals(world.brand) == []
    assert_chain_ok(kit)
    assert world.invite().state is DealState.INVITED  # not blocked by a half-made "open deal"


def test_a_state_change_without_an_audit_event_is_refused_and_undone(world, database, monkeypatch):
    kit = world.kit
    before = snapshot(kit, database)
    monkeypatch.setattr(Change, "audit", lambda self, *args, **kwargs: None)
    with pytest.raises(AssertionError, match="without an audit event"):
        kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    monkeypatch.undo()

    assert snapshot(kit, database) == before
    (entry,) = kit.roster.entries(world.manager)
    assert Scope.NEGOTIATE in entry.scopes
    assert_chain_ok(kit)


# -- refusals ---------------------------------------------------------------------------------------------------


def test_a_refusal_after_some_writes_undoes_them_but_records_the_refusal(world, database):
    """A manager without the negotiate scope: propose() stores the offer and its event, then the deal's
    transition refuses. The offer must go; only the denial stays."""
    kit = world.kit
    deal = negotiating(world)
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    documents, (head, _) = snapshot(kit, database)
    with pytest.raises(PermissionDenied):
        kit.negotiation.propose(world.manager, deal.id, world.terms())

    after_documents, (after_head, _) = snapshot(kit, database)
    assert after_documents == documents
    assert after_head == head + 1
    (denial,) = kit.store.iter_audit(start=head + 1)
    assert (denial.action, denial.actor_id) == ("denied.propose_offer", str(world.manager))
    assert kit.negotiation.offers(world.brand, deal.id) == []
    assert_chain_ok(kit)


# -- announcing -------------------------------------------------------------------------------------------------


def test_events_are_announced_after_the_commit(world):
    kit = world.kit
    deal = world.invite()
    seen = []

    class Probe:
        from creatorkit import hookimpl

        @hookimpl
        def creatorkit_on_event(self, event: Any) -> None:
            if event.name == "deal.state_changed":
                # Reading the store here works only outside the call's transaction, and sees the committed state.
                seen.append((event.data["to_state"], str(kit.deals.get(world.system, event.entity_id).state)))

    kit.plugins.add_listener(Probe(), name="probe")
    kit.outreach.respond(world.creator, deal.id, accept=True)
    assert seen == [("negotiating", "negotiating")]


def test_a_failing_listener_does_not_undo_the_committed_change(world, events):
    kit = world.kit
    deal = world.invite()

    class Broken:
        from creatorkit import hookimpl

        @hookimpl
        def creatorkit_on_event(self, event: Any) -> None:
            raise ValueError("listener bug")

    kit.plugins.add_listener(Broken(), name="broken")
    with pytest.warns(RuntimeWarning, match="broken"):
        moved = kit.outreach.respond(world.creator, deal.id, accept=True)
    assert moved.state is DealState.NEGOTIATING
    assert kit.deals.get(world.brand, deal.id).state is DealState.NEGOTIATING
    assert events[-1].data["to_state"] == "negotiating"  # the other listener still heard it
    assert_chain_ok(kit)


# -- every change has its audit event -----------------------------------------------------------------------------


def test_every_successful_call_appends_its_audit_events(world):
    kit = world.kit
    steps = [
        (lambda: world.invite(), ["deal.invite"]),
        (
            lambda: kit.outreach.respond(
                world.creator, kit.deals.visible_deals(world.brand)[0].id, accept=True, message="ok"
            ),
            ["deal.accept_invitation", "message.append"],
        ),
        (
            lambda: kit.negotiation.propose(world.brand, kit.deals.visible_deals(world.brand)[0].id, world.terms()),
            ["offer.propose", "deal.propose_terms"],
        ),
        (
            lambda: kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS]),
            ["roster.set_roster_scopes"],
        ),
    ]
    for call, actions in steps:
        head = kit.store.audit_head()[0]
        call()
        assert [e.action for e in kit.store.iter_audit(start=head + 1)] == actions
    assert_chain_ok(kit)
