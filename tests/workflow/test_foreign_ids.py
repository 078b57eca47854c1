"""Another workspace's ids answer exactly like unknown ones: ``NotFound`` of the kind and id asked for.

A call that loads a child record (an offer, a dispute, a contract, an invitation, a template, a roster entry)
and then the deal or workspace it belongs to must not answer with the parent's NotFound: that would tell an
outsider that the id exists, and which deal it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from creatorkit.entities import DealState, RsvpStatus
from creatorkit.errors import NotFound
from creatorkit.signing import sign_contract_hash
from world import START, World

OUTSIDERS = ["unverified_brand", "other_creator", "other_manager"]


def answers_like_an_unknown_id(call: Callable[[str], Any], foreign_id: str, kind: str, *hidden: str) -> None:
    """``call(foreign_id)`` raises exactly what ``call`` of an id nobody has raises, and names none of ``hidden``."""
    unknown_id = f"{kind}_nobody_has_this"
    with pytest.raises(NotFound) as foreign:
        call(foreign_id)
    with pytest.raises(NotFound) as unknown:
        call(unknown_id)
    assert (foreign.value.kind, foreign.value.id) == (kind, foreign_id)
    assert (unknown.value.kind, unknown.value.id) == (kind, unknown_id)
    assert str(foreign.value) == str(unknown.value).replace(unknown_id, foreign_id)
    for secret in hidden:
        assert secret not in str(foreign.value)


def open_offer(world: World) -> tuple[Any, Any]:
    deal = world.invite()
    world.kit.outreach.respond(world.creator, deal.id, accept=True)
    return deal, world.kit.negotiation.propose(world.brand, deal.id, world.terms())


def executed(world: World) -> Any:
    kit = world.kit
    deal = world.agree()
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, world.creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    return kit.deals.get(world.brand, deal.id)


# -- offers and disputes: the calls that used to name the deal -----------------------------------------------


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_another_workspaces_offer_answers_like_an_unknown_offer(world, outsider):
    kit = world.kit
    deal, offer = open_offer(world)
    actor = getattr(world, outsider)

    answers_like_an_unknown_id(lambda id: kit.negotiation.accept(actor, id), offer.id, "offer", deal.id)
    answers_like_an_unknown_id(lambda id: kit.negotiation.decline(actor, id), offer.id, "offer", deal.id)
    answers_like_an_unknown_id(lambda id: kit.negotiation.withdraw(actor, id), offer.id, "offer", deal.id)

    current = kit.deals.get(world.brand, deal.id)
    assert current.state is DealState.NEGOTIATING and current.terms is None


def test_another_workspaces_dispute_answers_like_an_unknown_dispute(world):
    kit = world.kit
    deal = executed(world)
    dispute = kit.deals.open_dispute(world.brand, deal.id, reason="the brief changed")

    resolve = kit.deals.resolve_dispute
    answers_like_an_unknown_id(
        lambda id: resolve(world.unverified_brand, id, outcome="resume", resolution="mine"),
        dispute.id,
        "dispute",
        deal.id,
    )
    answers_like_an_unknown_id(
        lambda id: resolve(world.other_creator, id, outcome="cancel", resolution="mine"), dispute.id, "dispute", deal.id
    )
    assert kit.deals.get(world.brand, deal.id).state is DealState.DISPUTED
    moved = resolve(world.system, dispute.id, outcome="resume", resolution="agreed to go on")
    assert moved.state is deal.state  # back where it stood


# -- the other child records keep answering the same way -----------------------------------------------------


def test_another_workspaces_contract_answers_like_an_unknown_contract(world):
    kit = world.kit
    deal = world.agree()
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    outsider = world.unverified_brand

    answers_like_an_unknown_id(lambda id: kit.contracts.get(outsider, id), contract.id, "contract", deal.id)
    answers_like_an_unknown_id(lambda id: kit.contracts.verify(outsider, id), contract.id, "contract", deal.id)
    answers_like_an_unknown_id(
        lambda id: kit.contracts.amend(outsider, id, revision_limit=9), contract.id, "contract", deal.id
    )
    answers_like_an_unknown_id(
        lambda id: kit.contracts.template(outsider, id), template.id, "contract_template", world.brand.id
    )


def test_another_workspaces_invitations_templates_and_roster_entries_answer_like_unknown_ones(world):
    kit = world.kit
    event = kit.aftercare.create_event(
        world.brand,
        name="Launch night",
        starts_at=START + timedelta(days=9),
        ends_at=START + timedelta(days=9, hours=3),
    )
    invitation = kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id)
    template = kit.outreach.create_template(world.brand, name="hello", body="Hi {{ creator.display_name }}")

    answers_like_an_unknown_id(
        lambda id: kit.aftercare.rsvp(world.other_creator, id, status=RsvpStatus.ACCEPTED),
        invitation.id,
        "event_invitation",
        event.id,
    )
    answers_like_an_unknown_id(lambda id: kit.aftercare.event(world.other_creator, id), event.id, "brand_event")
    answers_like_an_unknown_id(
        lambda id: kit.outreach.revise_template(world.unverified_brand, id, body="mine"), template.id, "template"
    )
    answers_like_an_unknown_id(
        lambda id: kit.roster.accept(world.other_creator, id), world.roster_entry_id, "roster_entry", world.agency.id
    )
    answers_like_an_unknown_id(
        lambda id: kit.roster.remove(world.other_manager, id), world.roster_entry_id, "roster_entry", world.agency.id
    )
