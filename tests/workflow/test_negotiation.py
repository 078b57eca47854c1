"""Negotiation: offers and counter-offers on price, deliverables, payment terms and dates, each with a response
deadline; per-side statuses that tell a manager what needs action; the deal's full history."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from creatorkit import Money
from creatorkit.entities import (
    DealState,
    Deliverable,
    DeliverableType,
    OfferStatus,
    ScheduleKind,
    Scope,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from creatorkit.workflow import NegotiationStatus as NS
from world import START, World


def negotiating(world: World) -> Any:
    deal = world.invite()
    return world.kit.outreach.respond(world.creator, deal.id, accept=True)


def statuses(world: World, deal_id: str) -> dict[str, NS]:
    status = world.kit.negotiation.status
    return {who: status(getattr(world, who), deal_id) for who in ("brand", "creator", "manager")}


def decreasing_ids() -> Any:
    counter = itertools.count(9999, -1)
    return lambda prefix: f"{prefix}_{next(counter):04d}"


# -- the happy path --------------------------------------------------------------------------------------------


def test_propose_counter_accept_agrees_on_the_accepted_terms(world, events):
    kit = world.kit
    deal = negotiating(world)
    first = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000), note="our standard fee")
    world.clock.advance(hours=2)
    counter_terms = world.terms(
        price=180_000,
        schedule=ScheduleKind.MILESTONES,
        deliverables=(
            Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=2, platform="echo"),
            Deliverable(type=DeliverableType.STORY, quantity=3, platform="echo"),
        ),
        publish_by=START + timedelta(days=30),
        revision_limit=1,
        usage_rights_days=90,
    )
    counter = kit.negotiation.propose(world.manager, deal.id, counter_terms, note="two videos, half up front")
    assert counter.counter_to == first.id
    assert (counter.from_party, counter.to_party) == (world.creator.id, world.brand.id)
    world.clock.advance(hours=2)
    agreed = kit.negotiation.accept(world.brand, counter.id)

    assert agreed.state is DealState.AGREED
    assert agreed.terms == counter_terms
    assert agreed.price == Money(180_000, "USD")
    assert kit.deals.get(world.creator, deal.id).terms == counter_terms
    history = kit.negotiation.offers(world.creator, deal.id)
    assert [(o.id, o.status) for o in history] == [
        (first.id, OfferStatus.COUNTERED),
        (counter.id, OfferStatus.ACCEPTED),
    ]
    assert history[0].terms == world.terms(price=100_000) and history[0].note == "our standard fee"
    assert statuses(world, deal.id) == {"brand": NS.ACCEPTED, "creator": NS.ACCEPTED, "manager": NS.ACCEPTED}

    changes = [e.data for e in events if e.name == "deal.state_changed"]
    assert changes[-1] == {"action": "accept_offer", "from_state": "negotiating", "to_state": "agreed"}
    proposed = [(e.entity_id, e.data) for e in events if e.name == "offer.proposed"]
    assert proposed == [
        (first.id, {"deal_id": deal.id, "counter_to": None}),
        (counter.id, {"deal_id": deal.id, "counter_to": first.id}),
    ]


def test_each_offer_has_a_response_deadline_that_the_deal_follows(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    assert offer.respond_by == world.clock.now + timedelta(days=kit.config.workflow.offer_response_days)
    current = kit.deals.get(world.brand, deal.id)
    assert current.deadline == offer.respond_by and current.awaiting == "creator"
    world.clock.advance(days=1)
    counter = kit.negotiation.propose(world.creator, deal.id, world.terms(price=160_000), respond_days=5)
    assert counter.respond_by == world.clock.now + timedelta(days=5)
    current = kit.deals.get(world.brand, deal.id)
    assert current.deadline == counter.respond_by and current.awaiting == "brand"
    assert current.state is DealState.NEGOTIATING


# -- statuses per side -----------------------------------------------------------------------------------------


def test_statuses_tell_each_side_what_needs_action(world):
    kit = world.kit
    deal = negotiating(world)
    assert statuses(world, deal.id) == {
        "brand": NS.NO_OPEN_OFFER,
        "creator": NS.NO_OPEN_OFFER,
        "manager": NS.NO_OPEN_OFFER,
    }

    kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))
    assert statuses(world, deal.id) == {
        "brand": NS.AWAITING_THEIR_RESPONSE,
        "creator": NS.AWAITING_YOUR_RESPONSE,
        "manager": NS.AWAITING_YOUR_RESPONSE,
    }
    world.clock.advance(hours=1)
    kit.negotiation.propose(world.manager, deal.id, world.terms(price=140_000))
    assert statuses(world, deal.id) == {
        "brand": NS.CHANGES_PROPOSED,
        "creator": NS.AWAITING_THEIR_RESPONSE,
        "manager": NS.AWAITING_THEIR_RESPONSE,
    }
    world.clock.advance(hours=1)
    kit.negotiation.propose(world.brand, deal.id, world.terms(price=120_000))
    assert statuses(world, deal.id) == {
        "brand": NS.AWAITING_THEIR_RESPONSE,
        "creator": NS.CHANGES_PROPOSED,
        "manager": NS.CHANGES_PROPOSED,
    }


def test_an_opening_offer_from_the_creator_awaits_the_brand(world):
    kit = world.kit
    deal = negotiating(world)
    kit.negotiation.propose(world.creator, deal.id, world.terms(price=200_000))
    assert statuses(world, deal.id) == {
        "brand": NS.AWAITING_YOUR_RESPONSE,
        "creator": NS.AWAITING_THEIR_RESPONSE,
        "manager": NS.AWAITING_THEIR_RESPONSE,
    }


def test_a_declined_offer_reads_declined_and_negotiation_can_go_on(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=50_000))
    world.clock.advance(hours=1)
    moved = kit.negotiation.decline(world.manager, offer.id, reason="below Ana's rate card")
    assert moved.state is DealState.NEGOTIATING and moved.awaiting == "brand"
    assert statuses(world, deal.id) == {"brand": NS.DECLINED, "creator": NS.DECLINED, "manager": NS.DECLINED}
    (declined,) = kit.negotiation.offers(world.brand, deal.id)
    assert declined.status is OfferStatus.DECLINED
    with pytest.raises(StateError):
        kit.negotiation.accept(world.creator, offer.id)

    world.clock.advance(hours=1)
    again = kit.negotiation.propose(world.brand, deal.id, world.terms(price=120_000))
    assert again.counter_to is None
    assert kit.negotiation.accept(world.creator, again.id).state is DealState.AGREED


def test_an_offer_past_its_deadline_reads_expired_and_cannot_be_answered(world, events):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    world.clock.now = offer.respond_by - timedelta(seconds=1)
    assert kit.negotiation.status(world.creator, deal.id) is NS.AWAITING_YOUR_RESPONSE
    world.clock.advance(seconds=1)
    assert statuses(world, deal.id) == {"brand": NS.EXPIRED, "creator": NS.EXPIRED, "manager": NS.EXPIRED}
    with pytest.raises(StateError) as raised:
        kit.negotiation.accept(world.creator, offer.id)
    assert "deadline" in str(raised.value)
    with pytest.raises(StateError):
        kit.negotiation.decline(world.manager, offer.id)
    assert kit.deals.get(world.brand, deal.id).state is DealState.NEGOTIATING

    (expired,) = kit.deals.process_deadlines().moved
    assert expired.id == deal.id and expired.state is DealState.EXPIRED
    assert events[-1].data == {"action": "expire", "from_state": "negotiating", "to_state": "expired"}
    assert statuses(world, deal.id) == {"brand": NS.EXPIRED, "creator": NS.EXPIRED, "manager": NS.EXPIRED}
    with pytest.raises(StateError):
        kit.negotiation.propose(world.creator, deal.id, world.terms(price=99_000))


def test_the_history_shows_an_expired_offer_as_expired(world):
    kit = world.kit
    deal = negotiating(world)
    kit.negotiation.propose(world.brand, deal.id, world.terms())
    world.clock.advance(days=4)
    kit.deals.process_deadlines()
    (offer,) = kit.negotiation.offers(world.brand, deal.id)
    assert offer.status is OfferStatus.EXPIRED


def test_a_declined_invitation_reads_declined(world):
    kit = world.kit
    deal = world.invite()
    kit.outreach.respond(world.creator, deal.id, accept=False)
    assert kit.negotiation.status(world.brand, deal.id) is NS.DECLINED


def test_a_counter_at_the_same_instant_is_still_the_latest_offer(world, monkeypatch):
    kit = world.kit
    deal = negotiating(world)
    monkeypatch.setattr("creatorkit.workflow._negotiation.new_id", decreasing_ids())
    first = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))
    counter = kit.negotiation.propose(world.creator, deal.id, world.terms(price=140_000))
    assert [o.id for o in kit.negotiation.offers(world.brand, deal.id)] == [first.id, counter.id]
    assert kit.negotiation.status(world.brand, deal.id) is NS.CHANGES_PROPOSED


# -- one open offer per side -----------------------------------------------------------------------------------


def test_proposing_while_your_own_offer_is_open_is_refused(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))
    with pytest.raises(StateError) as raised:
        kit.negotiation.propose(world.brand, deal.id, world.terms(price=110_000))
    assert raised.value.allowed == ["withdraw"]
    assert [o.id for o in kit.negotiation.offers(world.brand, deal.id)] == [offer.id]

    with pytest.raises(PermissionDenied):  # only its maker withdraws it
        kit.negotiation.withdraw(world.creator, offer.id)
    world.clock.advance(minutes=1)
    withdrawn = kit.negotiation.withdraw(world.brand, offer.id)
    assert withdrawn.status is OfferStatus.WITHDRAWN
    assert statuses(world, deal.id)["creator"] is NS.NO_OPEN_OFFER
    with pytest.raises(StateError):
        kit.negotiation.accept(world.creator, offer.id)
    with pytest.raises(StateError):
        kit.negotiation.withdraw(world.brand, offer.id)
    world.clock.advance(minutes=1)
    replacement = kit.negotiation.propose(world.brand, deal.id, world.terms(price=110_000))
    assert [(o.id, o.status) for o in kit.negotiation.offers(world.brand, deal.id)] == [
        (offer.id, OfferStatus.WITHDRAWN),
        (replacement.id, OfferStatus.OPEN),
    ]


def test_only_the_addressee_answers_an_offer(world, denials):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    with pytest.raises(PermissionDenied):
        kit.negotiation.accept(world.brand, offer.id)
    with pytest.raises(PermissionDenied):
        kit.negotiation.decline(world.brand, offer.id)
    assert [e.actor_id for e in denials("accept_offer")] == [str(world.brand)]
    (still,) = kit.negotiation.offers(world.brand, deal.id)
    assert still.status is OfferStatus.OPEN
    with pytest.raises(NotFound):
        kit.negotiation.accept(world.creator, "offer_nope")


# -- who may negotiate -----------------------------------------------------------------------------------------


def test_a_manager_negotiates_on_the_creators_behalf(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    world.clock.advance(hours=1)
    agreed = kit.negotiation.accept(world.manager, offer.id)
    assert agreed.state is DealState.AGREED
    (accepted,) = [e for e in kit.store.iter_audit() if e.action == "deal.accept_offer"]
    assert accepted.actor_id == str(world.manager) and accepted.on_behalf_of == world.creator.id


def test_a_manager_without_the_negotiate_scope_changes_nothing(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, Scope.EDIT_RATES])
    head = kit.store.audit_head()[0]
    with pytest.raises(PermissionDenied):
        kit.negotiation.accept(world.manager, offer.id)
    with pytest.raises(PermissionDenied):
        kit.negotiation.propose(world.manager, deal.id, world.terms(price=200_000))
    with pytest.raises(PermissionDenied):
        kit.negotiation.decline(world.manager, offer.id)
    assert [e.action for e in kit.store.iter_audit(start=head + 1)] == [
        "denied.accept_offer",
        "denied.propose_offer",
        "denied.decline_offer",
    ]
    (still,) = kit.negotiation.offers(world.creator, deal.id)
    assert still.status is OfferStatus.OPEN
    assert kit.deals.get(world.creator, deal.id).state is DealState.NEGOTIATING
    # The manager may still read what is going on (the entry is active), and the creator may still answer.
    assert kit.negotiation.status(world.manager, deal.id) is NS.AWAITING_YOUR_RESPONSE
    assert kit.negotiation.accept(world.creator, offer.id).state is DealState.AGREED


def test_an_agency_does_not_negotiate(world, denials):
    kit = world.kit
    deal = negotiating(world)
    with pytest.raises(PermissionDenied):
        kit.negotiation.propose(world.agency, deal.id, world.terms())
    assert kit.negotiation.offers(world.brand, deal.id) == []
    assert [e.actor_id for e in denials("propose_offer")] == [str(world.agency)]


@pytest.mark.parametrize("outsider", ["unverified_brand", "other_creator", "other_manager"])
def test_outsiders_see_no_negotiation(world, outsider):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    actor = getattr(world, outsider)
    for call in (
        lambda: kit.negotiation.offers(actor, deal.id),
        lambda: kit.negotiation.status(actor, deal.id),
        lambda: kit.negotiation.propose(actor, deal.id, world.terms()),
        lambda: kit.negotiation.accept(actor, offer.id),
        lambda: kit.negotiation.withdraw(actor, offer.id),
    ):
        with pytest.raises(NotFound):
            call()


# -- what can be proposed, and when ----------------------------------------------------------------------------


def test_terms_are_validated_before_anything_is_stored(world):
    kit = world.kit
    deal = negotiating(world)
    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, world.terms(deliverables=()))
    assert raised.value.paths == ["terms.deliverables"]
    assert kit.negotiation.offers(world.brand, deal.id) == []


def test_no_offer_before_the_invitation_is_accepted_or_after_agreement(world):
    kit = world.kit
    deal = world.invite()
    with pytest.raises(StateError):
        kit.negotiation.propose(world.brand, deal.id, world.terms())
    assert kit.negotiation.offers(world.brand, deal.id) == []
    kit.outreach.respond(world.creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    kit.negotiation.accept(world.creator, offer.id)
    with pytest.raises(StateError):
        kit.negotiation.propose(world.brand, deal.id, world.terms(price=1_000))
    with pytest.raises(StateError):
        kit.negotiation.propose(world.creator, deal.id, world.terms(price=1_000))
    assert [o.status for o in kit.negotiation.offers(world.brand, deal.id)] == [OfferStatus.ACCEPTED]


def test_walking_away_ends_the_negotiation(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    world.clock.advance(hours=1)
    moved = kit.deals.walk_away(world.manager, deal.id, reason="brand values mismatch")
    assert moved.state is DealState.DECLINED
    assert statuses(world, deal.id)["brand"] is NS.DECLINED
    with pytest.raises(StateError):
        kit.negotiation.accept(world.creator, offer.id)
    assert kit.deals.get(world.brand, deal.id).state is DealState.DECLINED


# -- history ---------------------------------------------------------------------------------------------------


def test_the_deal_history_keeps_every_step_with_who_and_on_whose_behalf(world):
    kit = world.kit
    deal = negotiating(world)
    first = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))
    world.clock.advance(hours=1)
    counter = kit.negotiation.propose(world.manager, deal.id, world.terms(price=150_000))
    world.clock.advance(hours=1)
    kit.negotiation.accept(world.brand, counter.id)

    history = kit.deals.history(world.creator, deal.id)
    steps = [(h["action"], h["entity"], h["actor"], h["on_behalf_of"]) for h in history]
    brand, manager = str(world.brand), str(world.manager)
    assert steps == [
        ("deal.invite", f"deal {deal.id}", brand, None),
        ("deal.accept_invitation", f"deal {deal.id}", str(world.creator), None),
        ("offer.propose", f"offer {first.id}", brand, None),
        ("deal.propose_terms", f"deal {deal.id}", brand, None),
        ("offer.propose", f"offer {counter.id}", manager, world.creator.id),
        ("deal.propose_terms", f"deal {deal.id}", manager, world.creator.id),
        ("deal.accept_offer", f"deal {deal.id}", brand, None),
    ]
    assert [h["sequence"] for h in history] == sorted(h["sequence"] for h in history)
    assert history[-1]["at"] == world.clock.now
    assert kit.deals.history(world.brand, deal.id) == history


def test_terms_as_plain_data_are_structured_and_malformed_ones_name_the_field(world):
    from creatorkit.converter import unstructure

    kit = world.kit
    deal = world.invite()
    kit.outreach.respond(world.creator, deal.id, accept=True)
    data = unstructure(world.terms())
    data["price"]["amount"] = 12.5
    with pytest.raises(ValidationError) as caught:
        kit.negotiation.propose(world.brand, deal.id, data)
    assert caught.value.paths == ["terms.price.amount"]
    with pytest.raises(ValidationError) as caught:
        kit.negotiation.propose(world.brand, deal.id, world.terms(), respond_days=0)
    assert caught.value.paths == ["respond_days"]
    assert kit.negotiation.offers(world.brand, deal.id) == []
    offer = kit.negotiation.propose(world.brand, deal.id, unstructure(world.terms()))
    assert offer.terms == world.terms()
