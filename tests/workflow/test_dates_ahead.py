"""Dates that must lie ahead: a brief's timeline when it is published, an offer's dates when it is made and
when it is accepted, all measured by the kit's clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from creatorkit.entities import (
    BriefStatus,
    DealState,
    Deliverable,
    DeliverableType,
    MilestoneTrigger,
    OfferStatus,
    PaymentMilestone,
    PaymentSchedule,
    ScheduleKind,
    Timeline,
)
from creatorkit.errors import ValidationError
from world import START, World


def negotiating(world: World) -> Any:
    deal = world.invite()
    return world.kit.outreach.respond(world.creator, deal.id, accept=True)


def draft_brief(world: World, **timeline: Any) -> Any:
    return world.kit.briefs.create(
        world.brand,
        name="Late launch",
        product=world.brief.product,
        budget=world.brief.budget,
        timeline=Timeline(**timeline),
        deliverables=world.brief.deliverables,
    )


# -- briefs --------------------------------------------------------------------------------------------------


def test_a_brief_whose_window_has_ended_is_not_published(world):
    kit = world.kit
    brief = draft_brief(world, publish_from=START - timedelta(days=20), publish_until=START - timedelta(days=10))

    with pytest.raises(ValidationError) as raised:
        kit.briefs.publish(world.brand, brief.id)

    assert raised.value.paths == ["timeline.publish_until"] and raised.value.what == "brief"
    assert START.isoformat() in str(raised.value)
    assert kit.briefs.get(world.brand, brief.id).status is BriefStatus.DRAFT


def test_a_brief_whose_apply_and_draft_dates_have_passed_is_not_published(world):
    kit = world.kit
    brief = draft_brief(
        world,
        publish_from=START + timedelta(days=5),
        publish_until=START + timedelta(days=30),
        apply_by=START - timedelta(days=1),
        draft_due=START,
    )

    with pytest.raises(ValidationError) as raised:
        kit.briefs.publish(world.brand, brief.id)

    assert raised.value.paths == ["timeline.apply_by", "timeline.draft_due"]
    assert kit.briefs.get(world.brand, brief.id).status is BriefStatus.DRAFT


def test_a_window_that_is_already_open_can_still_be_published(world):
    brief = draft_brief(world, publish_from=START - timedelta(days=3), publish_until=START + timedelta(days=10))
    assert world.kit.briefs.publish(world.brand, brief.id).status is BriefStatus.PUBLISHED


def test_the_briefs_dates_are_read_from_the_kits_clock(world):
    brief = draft_brief(world, publish_from=START + timedelta(days=1), publish_until=START + timedelta(days=10))
    world.clock.advance(days=10)
    with pytest.raises(ValidationError) as raised:
        world.kit.briefs.publish(world.brand, brief.id)
    assert raised.value.paths == ["timeline.publish_until"]


# -- offers --------------------------------------------------------------------------------------------------


def test_an_offer_to_publish_30_days_ago_is_refused(world):
    kit = world.kit
    deal = negotiating(world)

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, world.terms(publish_by=START - timedelta(days=30)))

    assert raised.value.paths == ["terms.publish_by"]
    assert kit.negotiation.offers(world.brand, deal.id) == []
    assert kit.deals.get(world.brand, deal.id).state is DealState.NEGOTIATING


def test_every_date_in_the_terms_must_lie_ahead(world):
    kit = world.kit
    deal = negotiating(world)
    yesterday = START - timedelta(days=1)
    terms = world.terms(
        price=150_000,
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="echo", due=yesterday),),
        payment=PaymentSchedule(
            kind=ScheduleKind.MILESTONES,
            milestones=(
                PaymentMilestone(label="a", amount=world.terms().price, trigger=MilestoneTrigger.ON_DATE, due=START),
            ),
        ),
    )

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.manager, deal.id, terms)

    assert raised.value.paths == ["terms.deliverables[0].due", "terms.payment.milestones[0].due"]
    assert kit.negotiation.offers(world.brand, deal.id) == []


def test_terms_without_a_publish_date_need_the_briefs_window_still_open(world):
    kit = world.kit
    world.clock.advance(days=46)  # the world's brief closes its window 45 days after the start
    deal = negotiating(world)

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, world.terms(publish_by=None))

    assert raised.value.paths == ["terms.publish_by"] and "window" in str(raised.value)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(publish_by=world.clock.now + timedelta(days=9)))
    assert offer.status is OfferStatus.OPEN


def test_an_offer_whose_publish_date_passed_while_it_waited_cannot_be_accepted(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(
        world.brand, deal.id, world.terms(publish_by=START + timedelta(days=2)), respond_days=5
    )
    world.clock.advance(days=3)

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.accept(world.creator, offer.id)

    assert raised.value.paths == ["terms.publish_by"]
    current = kit.deals.get(world.brand, deal.id)
    assert (current.state, current.terms) == (DealState.NEGOTIATING, None)
    assert [o.status for o in kit.negotiation.offers(world.brand, deal.id)] == [OfferStatus.OPEN]
    counter = kit.negotiation.propose(
        world.creator, deal.id, attrs.evolve(offer.terms, publish_by=world.clock.now + timedelta(days=7))
    )
    assert kit.negotiation.accept(world.brand, counter.id).state is DealState.AGREED
