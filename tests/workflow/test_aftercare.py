"""After the campaign: notes and gifts, feedback from both sides, the relationship, re-engagement, brand events."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from creatorkit import Actor, Money, schemas
from creatorkit.converter import structure, unstructure
from creatorkit.entities import (
    AppreciationKind,
    CollaborationFeedback,
    CollaborationSide,
    Deal,
    DealState,
    RsvpStatus,
    Scope,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from world import START, World

from .test_content import to_production

NOTE = AppreciationKind.THANK_YOU_NOTE
GIFT = AppreciationKind.GIFT


def agreed_with(world: World, creator: Actor, **terms: Any) -> Deal:
    kit = world.kit
    deal = world.invite(creator)
    kit.outreach.respond(creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(**terms))
    return kit.negotiation.accept(creator, offer.id)


def published(world: World, creator: Actor | None = None, **terms: Any) -> Deal:
    """A deal whose post is live (production reached through the test shortcut in test_content)."""
    kit = world.kit
    creator = creator or world.creator
    deal = to_production(world, agreed_with(world, creator, **terms))
    kit.content.submit_draft(creator, deal.id, caption="Glow #ad", elements=("product close-up",))
    kit.content.review(world.brand, deal.id, approve=True)
    kit.content.record_published(creator, deal.id, platform_post_id=f"p-{deal.id}", url="https://echo.example/p")
    return kit.deals.get(world.brand, deal.id)


def complete_published_deals(world: World) -> None:
    """Let the measurement window pass: the deadline rule completes every published deal."""
    world.clock.advance(days=world.kit.config.workflow.measurement_days, minutes=1)
    run = world.kit.deals.process_deadlines()
    assert run.moved and not run.failed and all(d.state is DealState.COMPLETED for d in run.moved)


# -- thank-you notes and gifts --------------------------------------------------------------------------------


def test_the_brand_thanks_and_gifts_a_creator(world: World, events: list[Any]) -> None:
    kit = world.kit
    deal = published(world)
    note = kit.aftercare.send_appreciation(world.brand, deal.id, kind=NOTE, message="Thank you, Ana!")
    gift = kit.aftercare.send_appreciation(
        world.brand, deal.id, kind=GIFT, gift_description="Glow Serum gift set", gift_value=Money(8_900, "USD")
    )
    assert (gift.creator_id, gift.brand_id, gift.sent_by) == (world.creator.id, world.brand.id, "brand:brand_lumen")
    assert {a.id for a in kit.aftercare.appreciations(world.brand, world.creator.id)} == {note.id, gift.id}
    assert {a.id for a in kit.aftercare.appreciations(world.manager, world.creator.id)} == {note.id, gift.id}
    assert [e.name for e in events].count("appreciation.sent") == 2
    assert any(e["action"] == "appreciation.send" for e in kit.deals.history(world.creator, deal.id))


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"kind": GIFT, "gift_description": " "}, "gift_description"),
        ({"kind": GIFT, "gift_description": "Serum", "gift_value": Money(0, "USD")}, "gift_value"),
        ({"kind": NOTE, "message": ""}, "message"),
        ({"kind": NOTE, "message": "Thanks", "gift_value": Money(500, "USD")}, "gift_value"),
    ],
    ids=["gift-without-description", "gift-worth-nothing", "empty-note", "note-with-a-gift"],
)
def test_a_malformed_appreciation_is_refused(world: World, fields: dict[str, Any], path: str) -> None:
    deal = published(world)
    with pytest.raises(ValidationError) as raised:
        world.kit.aftercare.send_appreciation(world.brand, deal.id, **fields)
    assert raised.value.paths == [path]
    assert world.kit.aftercare.appreciations(world.brand, world.creator.id) == []


def test_an_unknown_appreciation_kind_names_the_field_and_the_kinds(world: World) -> None:
    deal = published(world)
    with pytest.raises(ValidationError) as raised:
        world.kit.aftercare.send_appreciation(world.brand, deal.id, kind="hug", message="Thanks!")
    assert raised.value.paths == ["kind"]
    assert "'hug'" in str(raised.value) and "thank_you_note, gift" in str(raised.value)
    note = world.kit.aftercare.send_appreciation(world.brand, deal.id, kind="thank_you_note", message="Thanks!")
    assert note.kind is NOTE


def test_appreciation_is_the_brands_after_publication(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    with pytest.raises(StateError, match="in_production"):
        kit.aftercare.send_appreciation(world.brand, deal.id, kind=NOTE, message="Early thanks")
    with pytest.raises(PermissionDenied):
        kit.aftercare.send_appreciation(world.creator, deal.id, kind=NOTE, message="Thanks to me")
    with pytest.raises(NotFound):
        kit.aftercare.send_appreciation(world.unverified_brand, deal.id, kind=NOTE, message="Hi")
    with pytest.raises(NotFound):
        kit.aftercare.appreciations(world.other_creator, world.creator.id)
    with pytest.raises(NotFound):
        kit.aftercare.appreciations(world.other_manager, world.creator.id)


# -- feedback -------------------------------------------------------------------------------------------------


def test_each_side_leaves_feedback_once(world: World) -> None:
    kit = world.kit
    deal = published(world)
    from_brand = kit.aftercare.leave_feedback(
        world.brand, deal.id, rating=5, would_work_again=True, comments="On time, great hook"
    )
    from_creator = kit.aftercare.leave_feedback(world.manager, deal.id, rating=4, would_work_again=True)
    assert (from_brand.from_side, from_brand.from_party, from_brand.about_party) == (
        CollaborationSide.BRAND,
        world.brand.id,
        world.creator.id,
    )
    assert (from_creator.from_side, from_creator.about_party, from_creator.submitted_by) == (
        CollaborationSide.CREATOR,
        world.brand.id,
        "talent_manager:mgr_mina",
    )
    with pytest.raises(StateError, match="already"):
        kit.aftercare.leave_feedback(world.creator, deal.id, rating=1, would_work_again=False)
    with pytest.raises(StateError, match="already"):
        kit.aftercare.leave_feedback(world.brand, deal.id, rating=1, would_work_again=False)
    assert {f.id for f in kit.aftercare.feedback(world.creator, deal.id)} == {from_brand.id, from_creator.id}


@pytest.mark.parametrize("rating", [0, 6, True, 4.5])
def test_a_rating_runs_from_one_to_five(world: World, rating: Any) -> None:
    deal = published(world)
    with pytest.raises(ValidationError) as raised:
        world.kit.aftercare.leave_feedback(world.brand, deal.id, rating=rating, would_work_again=True)
    assert raised.value.paths == ["rating"]


def test_feedback_waits_for_publication_and_comes_from_the_parties(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    with pytest.raises(StateError, match="published"):
        kit.aftercare.leave_feedback(world.brand, deal.id, rating=5, would_work_again=True)
    kit.content.submit_draft(world.creator, deal.id, caption="Glow #ad", elements=("product close-up",))
    kit.content.review(world.brand, deal.id, approve=True)
    kit.content.record_published(world.creator, deal.id, platform_post_id="p1", url="https://echo.example/p1")
    with pytest.raises(NotFound):
        kit.aftercare.leave_feedback(world.unverified_brand, deal.id, rating=5, would_work_again=True)
    with pytest.raises(PermissionDenied):
        kit.aftercare.leave_feedback(world.agency, deal.id, rating=5, would_work_again=True)
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    with pytest.raises(PermissionDenied, match="negotiate"):
        kit.aftercare.leave_feedback(world.manager, deal.id, rating=5, would_work_again=True)
    assert kit.aftercare.feedback(world.brand, deal.id) == []


def test_the_schema_and_the_class_refuse_a_rating_above_five() -> None:
    feedback = CollaborationFeedback(
        id="fb_1",
        deal_id="deal_1",
        from_side=CollaborationSide.BRAND,
        from_party="b",
        about_party="c",
        submitted_by="brand:b",
        rating=5,
        would_work_again=True,
        submitted_at=START,
    )
    data = json.loads(json.dumps(unstructure(feedback)))
    data["rating"] = 6
    assert [p.path for p in schemas.errors("CollaborationFeedback", data)] == ["rating"]
    with pytest.raises(ValidationError) as raised:
        structure(data, CollaborationFeedback)
    assert raised.value.paths == ["rating"]


# -- the relationship -----------------------------------------------------------------------------------------


def test_the_relationship_sums_deals_feedback_and_contracted_value(world: World) -> None:
    kit = world.kit
    first = published(world)
    kit.aftercare.leave_feedback(world.brand, first.id, rating=4, would_work_again=True)
    kit.aftercare.leave_feedback(world.creator, first.id, rating=5, would_work_again=True)
    kit.aftercare.send_appreciation(world.brand, first.id, kind=NOTE, message="Thanks!")
    complete_published_deals(world)
    cancelled = agreed_with(world, world.creator)
    kit.deals.cancel(world.brand, cancelled.id, reason="budget moved")
    second = published(world, price=120_000)
    world.clock.advance(hours=1)
    kit.aftercare.leave_feedback(world.brand, second.id, rating=5, would_work_again=True)
    complete_published_deals(world)

    summary = kit.aftercare.relationship(world.brand, world.brand.id, world.creator.id)
    assert (summary.deals_total, summary.deals_completed, summary.deals_cancelled) == (3, 2, 1)
    assert (summary.average_rating_from_brand, summary.ratings_from_brand) == (4.5, 2)
    assert (summary.average_rating_from_creator, summary.ratings_from_creator) == (5.0, 1)
    assert summary.brand_would_work_again is True and summary.creator_would_work_again is True
    assert summary.contracted_value == (Money(270_000, "USD"),)
    assert summary.appreciations_sent == 1 and summary.disputes == 0
    assert summary.last_completed_at == kit.deals.get(world.brand, second.id).updated_at
    assert kit.aftercare.relationship(world.creator, world.brand.id, world.creator.id) == summary
    assert kit.aftercare.relationship(world.manager, world.brand.id, world.creator.id) == summary


def test_the_relationship_is_private_to_its_parties(world: World) -> None:
    kit = world.kit
    published(world)
    with pytest.raises(NotFound):
        kit.aftercare.relationship(world.unverified_brand, world.brand.id, world.creator.id)
    with pytest.raises(NotFound):
        kit.aftercare.relationship(world.other_manager, world.brand.id, world.creator.id)
    with pytest.raises(NotFound):
        kit.aftercare.relationship(world.other_creator, world.brand.id, world.creator.id)
    empty = kit.aftercare.relationship(world.unverified_brand, world.unverified_brand.id, world.creator.id)
    assert (empty.deals_total, empty.average_rating_from_brand, empty.contracted_value) == (0, None, ())


def test_reengagement_candidates_are_the_best_rated_first(world: World) -> None:
    kit = world.kit
    ana, bo = published(world), published(world, world.other_creator)
    kit.aftercare.leave_feedback(world.brand, ana.id, rating=4, would_work_again=True)
    kit.aftercare.leave_feedback(world.brand, bo.id, rating=5, would_work_again=True)
    complete_published_deals(world)
    ranked = kit.aftercare.reengagement_candidates(world.brand)
    assert [s.creator_id for s in ranked] == [world.other_creator.id, world.creator.id]
    assert [s.creator_id for s in kit.aftercare.reengagement_candidates(world.brand, min_rating=4.5)] == [
        world.other_creator.id
    ]
    assert kit.aftercare.reengagement_candidates(world.unverified_brand) == []


def test_a_creator_the_brand_would_not_rehire_is_no_candidate(world: World) -> None:
    kit = world.kit
    ana, bo = published(world), published(world, world.other_creator)
    kit.aftercare.leave_feedback(world.brand, ana.id, rating=4, would_work_again=True)
    kit.aftercare.leave_feedback(world.brand, bo.id, rating=5, would_work_again=False)
    assert [s.creator_id for s in kit.aftercare.reengagement_candidates(world.brand)] == [world.creator.id]


def test_reengagement_is_a_brand_question(world: World, denials: Any) -> None:
    with pytest.raises(PermissionDenied):
        world.kit.aftercare.reengagement_candidates(world.manager)
    with pytest.raises(PermissionDenied):
        world.kit.aftercare.reengagement_candidates(world.creator)
    assert [e.actor_id for e in denials("reengagement_candidates")] == [str(world.manager), str(world.creator)]
    with pytest.raises(ValidationError) as raised:
        world.kit.aftercare.reengagement_candidates(world.brand, min_rating=0)
    assert raised.value.paths == ["min_rating"]


# -- brand events ---------------------------------------------------------------------------------------------


def make_event(world: World, **kw: Any) -> Any:
    now = world.clock.now
    fields: dict[str, Any] = {
        "name": "Glow Night",
        "starts_at": now + timedelta(days=20),
        "ends_at": now + timedelta(days=20, hours=4),
        "location": "Brooklyn",
        "details": "Launch party",
    } | kw
    return world.kit.aftercare.create_event(world.brand, **fields)


def test_an_event_with_an_agreement_needs_it_accepted(world: World, events: list[Any]) -> None:
    kit = world.kit
    event = make_event(world, promotional_agreement="Post one story from the event with #ad")
    invitation = kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id, message="Join us!")
    assert invitation.status is RsvpStatus.INVITED and kit.aftercare.event(world.creator, event.id) == event
    with pytest.raises(ValidationError) as raised:
        kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.ACCEPTED)
    assert raised.value.paths == ["accept_agreement"]
    accepted = kit.aftercare.rsvp(world.manager, invitation.id, status=RsvpStatus.ACCEPTED, accept_agreement=True)
    assert accepted.agreement_accepted and accepted.responded_by == "talent_manager:mgr_mina"
    assert kit.aftercare.event_guests(world.brand, event.id, status=RsvpStatus.ACCEPTED) == [accepted]
    declined = kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.DECLINED)
    assert not declined.agreement_accepted
    assert kit.aftercare.event_guests(world.brand, event.id, status=RsvpStatus.ACCEPTED) == []
    assert [e.data["status"] for e in events if e.name == "brand_event.rsvp"] == ["accepted", "declined"]


def test_an_event_without_an_agreement_has_none_to_accept(world: World) -> None:
    kit = world.kit
    invitation = kit.aftercare.invite_to_event(world.brand, make_event(world).id, world.creator.id)
    with pytest.raises(ValidationError, match="no promotional agreement"):
        kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.ACCEPTED, accept_agreement=True)
    tentative = kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.TENTATIVE)
    assert tentative.status is RsvpStatus.TENTATIVE and not tentative.agreement_accepted
    with pytest.raises(ValidationError) as raised:
        kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.INVITED)
    assert raised.value.paths == ["status"]


def test_an_unknown_rsvp_answer_names_the_field_and_the_answers(world: World) -> None:
    kit = world.kit
    invitation = kit.aftercare.invite_to_event(world.brand, make_event(world).id, world.creator.id)
    with pytest.raises(ValidationError) as raised:
        kit.aftercare.rsvp(world.creator, invitation.id, status="maybe")
    assert raised.value.paths == ["status"]
    assert "'maybe'" in str(raised.value) and "accepted, declined, tentative" in str(raised.value)
    assert kit.aftercare.rsvp(world.creator, invitation.id, status="tentative").status is RsvpStatus.TENTATIVE


def test_capacity_limits_who_can_accept(world: World) -> None:
    kit = world.kit
    event = make_event(world, capacity=1)
    ana = kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id)
    bo = kit.aftercare.invite_to_event(world.brand, event.id, world.other_creator.id)
    kit.aftercare.rsvp(world.creator, ana.id, status=RsvpStatus.ACCEPTED)
    kit.aftercare.rsvp(world.creator, ana.id, status=RsvpStatus.ACCEPTED)  # answering again keeps the place
    with pytest.raises(StateError, match="places are taken"):
        kit.aftercare.rsvp(world.other_creator, bo.id, status=RsvpStatus.ACCEPTED)
    assert kit.aftercare.rsvp(world.other_creator, bo.id, status=RsvpStatus.TENTATIVE).status is RsvpStatus.TENTATIVE
    kit.aftercare.rsvp(world.creator, ana.id, status=RsvpStatus.DECLINED)
    assert kit.aftercare.rsvp(world.other_creator, bo.id, status=RsvpStatus.ACCEPTED).status is RsvpStatus.ACCEPTED


def test_invitations_are_one_per_creator_and_before_the_start(world: World) -> None:
    kit = world.kit
    event = make_event(world)
    invitation = kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id)
    with pytest.raises(StateError, match="already invited"):
        kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id)
    with pytest.raises(NotFound):
        kit.aftercare.invite_to_event(world.brand, event.id, "creator_nobody")
    world.clock.advance(days=21)
    with pytest.raises(StateError, match="started"):
        kit.aftercare.invite_to_event(world.brand, event.id, world.other_creator.id)
    with pytest.raises(StateError, match="started"):
        kit.aftercare.rsvp(world.creator, invitation.id, status=RsvpStatus.ACCEPTED)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": " "}, "name"),
        ({"starts_at": "past"}, "starts_at"),
        ({"ends_at": "before-start"}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"promotional_agreement": ""}, "promotional_agreement"),
    ],
)
def test_a_malformed_event_is_refused(world: World, fields: dict[str, Any], path: str) -> None:
    now = world.clock.now
    if fields.get("starts_at") == "past":
        fields = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
    if fields.get("ends_at") == "before-start":
        fields = {"ends_at": now + timedelta(days=19)}
    with pytest.raises(ValidationError) as raised:
        make_event(world, **fields)
    assert raised.value.paths == [path]


def test_a_refused_event_is_recorded(world: World, denials: Any) -> None:
    now = world.clock.now
    for actor in (world.creator, world.manager):
        with pytest.raises(PermissionDenied):
            world.kit.aftercare.create_event(
                actor, name="My party", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=4)
            )
    assert [e.actor_id for e in denials("create_event")] == [str(world.creator), str(world.manager)]


def test_events_belong_to_their_brand(world: World) -> None:
    kit = world.kit
    event = make_event(world)
    invitation = kit.aftercare.invite_to_event(world.brand, event.id, world.creator.id)
    with pytest.raises(PermissionDenied):
        kit.aftercare.create_event(world.creator, name="My party", starts_at=event.starts_at, ends_at=event.ends_at)
    with pytest.raises(NotFound):
        kit.aftercare.invite_to_event(world.unverified_brand, event.id, world.creator.id)
    with pytest.raises(NotFound):
        kit.aftercare.event_guests(world.unverified_brand, event.id)
    with pytest.raises(NotFound):
        kit.aftercare.event_guests(world.creator, event.id)
    with pytest.raises(NotFound):
        kit.aftercare.event(world.other_creator, event.id)
    with pytest.raises(NotFound):
        kit.aftercare.rsvp(world.other_manager, invitation.id, status=RsvpStatus.DECLINED)
    with pytest.raises(NotFound):
        kit.aftercare.rsvp(world.brand, invitation.id, status=RsvpStatus.DECLINED)
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    with pytest.raises(PermissionDenied, match="negotiate"):
        kit.aftercare.rsvp(world.manager, invitation.id, status=RsvpStatus.DECLINED)
    assert kit.aftercare.event_invitations(world.creator, world.creator.id) == [invitation]
    assert kit.aftercare.event_invitations(world.unverified_brand, world.creator.id) == []
    with pytest.raises(NotFound):
        kit.aftercare.event_invitations(world.other_creator, world.creator.id)
