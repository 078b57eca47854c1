"""Outreach: templates personalised per creator, invitations through the platform plugin or an external channel,
responses, and each deal's thread with inbound replies."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta
from typing import Any

import pytest

from creatorkit import Actor, Money
from creatorkit.entities import (
    Channel,
    CreatorProfile,
    DealState,
    Direction,
    InvitationStatus,
    PlatformAccount,
    Scope,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from creatorkit.workflow import Tab
from world import World


def echo(kit: Any) -> Any:
    return kit.plugins._loaded["echo"].plugin


def register_creator(world: World, id: str, handle: str, **fields: Any) -> CreatorProfile:
    profile = CreatorProfile(
        id=id,
        display_name=fields.pop("display_name", "Cy Novak"),
        country="US",
        accounts=(PlatformAccount(platform="echo", account_id=f"echo-{handle}", handle=handle),),
        **fields,
    )
    return world.kit.parties.register_creator(world.system, profile)


def decreasing_ids() -> Any:
    """A stand-in for ``new_id`` whose ids sort *before* the ones made earlier."""
    counter = itertools.count(9999, -1)
    return lambda prefix: f"{prefix}_{next(counter):04d}"


# -- templates -------------------------------------------------------------------------------------------------


def test_a_template_is_personalised_from_creator_brief_and_brand(world):
    kit = world.kit
    template = kit.outreach.create_template(
        world.brand,
        name="launch",
        subject="{{ brand.name }} x {{ creator.display_name }}",
        body="Hi {{ creator.display_name }} (@{{ creator.accounts[0].handle }}), {{ brand.name }} would love you "
        "for {{ brief.name }}: {{ brief.product.name }}.",
    )
    subject, body = kit.outreach.preview(world.brand, template.id, brief_id=world.brief.id, creator_id=world.creator.id)
    assert subject == "Lumen Cosmetics x Ana Costa"
    assert body == "Hi Ana Costa (@echo_creator_03), Lumen Cosmetics would love you for Spring Glow launch: Glow Serum."

    deal_ana = kit.outreach.invite(
        world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", template_id=template.id
    )
    deal_bo = kit.outreach.invite(
        world.brand,
        brief_id=world.brief.id,
        creator_id=world.other_creator.id,
        platform="echo",
        template_id=template.id,
    )
    ana = kit.outreach.invitation(world.brand, deal_ana.id)
    bo = kit.outreach.invitation(world.brand, deal_bo.id)
    assert (ana.subject, ana.body) == (subject, body)
    assert bo.subject == "Lumen Cosmetics x Bo Lee" and bo.body.startswith("Hi Bo Lee (@echo_creator_04)")
    assert ana.template_id == template.id and ana.sent_by == world.brand.id


def test_a_literal_body_is_rendered_too(world):
    deal = world.invite(body="Dear {{ creator.display_name }}, see {{ brief.name }}.", subject="{{ brief.name }}")
    invitation = world.kit.outreach.invitation(world.creator, deal.id)
    assert invitation.body == "Dear Ana Costa, see Spring Glow launch."
    assert invitation.subject == "Spring Glow launch"


def test_a_missing_field_is_an_error_naming_it(world):
    kit = world.kit
    template = kit.outreach.create_template(world.brand, name="typo", body="Hi {{ creator.nickname }}!")
    with pytest.raises(ValidationError) as raised:
        kit.outreach.invite(
            world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", template_id=template.id
        )
    assert raised.value.paths == ["body"]
    assert "nickname" in str(raised.value)
    assert kit.deals.visible_deals(world.brand) == []
    assert echo(kit).sent == []
    with pytest.raises(ValidationError, match="subject"):
        kit.outreach.invite(
            world.brand,
            brief_id=world.brief.id,
            creator_id=world.creator.id,
            platform="echo",
            body="Hi",
            subject="{{ brief.codename }}",
        )


def test_an_empty_field_is_an_error_not_a_blank(world):
    kit = world.kit
    assert kit.creators.overview(world.creator, world.creator.id).profile.bio == ""
    template = kit.outreach.create_template(world.brand, name="bio", body="Loved your bio: {{ creator.bio }}")
    with pytest.raises(ValidationError) as raised:
        kit.outreach.preview(world.brand, template.id, brief_id=world.brief.id, creator_id=world.creator.id)
    assert "creator.bio" in str(raised.value) and "empty" in str(raised.value)
    with pytest.raises(ValidationError, match=r"creator\.bio"):
        world.invite(body="Loved your bio: {{ creator.bio }}")
    assert kit.deals.visible_deals(world.brand) == []

    with_bio = register_creator(world, "creator_cy", "echo_creator_05", bio="Skincare nerd")
    deal = world.invite(_actor(with_bio), body="Loved your bio: {{ creator.bio }}")
    assert kit.outreach.invitation(world.brand, deal.id).body == "Loved your bio: Skincare nerd"


def _actor(profile: CreatorProfile) -> Actor:
    return Actor.creator(profile.id)


@pytest.mark.parametrize(
    "body",
    [
        "{{ creator.__class__.__mro__ }}",
        "{{ creator.display_name.__class__.__base__.__subclasses__() }}",
        "{{ brief.__init__.__globals__ }}",
    ],
)
def test_the_sandbox_refuses_object_internals(world, body):
    with pytest.raises(ValidationError) as raised:
        world.invite(body=body)
    assert "not allowed" in str(raised.value)
    assert world.kit.deals.visible_deals(world.brand) == []


@pytest.mark.parametrize(
    "body", ["{{ 1 // 0 }}", "{{ creator.display_name() }}", "{% include 'other' %}", "{{ range(10**6)|list }}"]
)
def test_any_broken_template_is_a_validation_error(world, body):
    with pytest.raises(ValidationError):
        world.invite(body=body)


def test_a_template_must_parse_when_saved(world):
    with pytest.raises(ValidationError) as raised:
        world.kit.outreach.create_template(world.brand, name="broken", body="Hi {{ creator.display_name ")
    assert raised.value.paths[0].startswith("body:line 1")
    with pytest.raises(ValidationError) as raised:
        world.kit.outreach.create_template(world.brand, name="broken", body="ok", subject="{% if %}")
    assert raised.value.paths[0].startswith("subject:")


def test_exactly_one_of_template_or_body(world):
    kit = world.kit
    template = kit.outreach.create_template(world.brand, name="t", body="Hi")
    with pytest.raises(ValidationError):
        kit.outreach.invite(world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo")
    with pytest.raises(ValidationError):
        kit.outreach.invite(
            world.brand,
            brief_id=world.brief.id,
            creator_id=world.creator.id,
            platform="echo",
            template_id=template.id,
            body="Hi",
        )


def test_a_revised_template_leaves_sent_invitations_as_they_were(world):
    kit = world.kit
    template = kit.outreach.create_template(world.brand, name="t", body="v1 for {{ creator.display_name }}")
    deal = kit.outreach.invite(
        world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", template_id=template.id
    )
    revised = kit.outreach.revise_template(world.brand, template.id, body="v2 for {{ creator.display_name }}")
    assert revised.version == 2
    assert kit.outreach.invitation(world.brand, deal.id).body == "v1 for Ana Costa"
    _, body = kit.outreach.preview(world.brand, template.id, brief_id=world.brief.id, creator_id=world.creator.id)
    assert body == "v2 for Ana Costa"


def test_templates_belong_to_brands_and_agencies(world):
    kit = world.kit
    with pytest.raises(PermissionDenied):
        kit.outreach.create_template(world.creator, name="t", body="Hi")
    template = kit.outreach.create_template(world.brand, name="t", body="Hi")
    with pytest.raises(NotFound):  # another brand cannot use it
        kit.outreach.invite(
            world.unverified_brand,
            brief_id=world.brief.id,
            creator_id=world.creator.id,
            platform="echo",
            template_id=template.id,
        )
    with pytest.raises(NotFound):
        kit.outreach.preview(world.agency, template.id, brief_id=world.brief.id, creator_id=world.creator.id)
    agency_template = kit.outreach.create_template(world.manager, name="pitch", body="Meet {{ creator.display_name }}")
    _, body = kit.outreach.preview(
        world.agency, agency_template.id, brief_id=world.brief.id, creator_id=world.creator.id
    )
    assert body == "Meet Ana Costa"


def test_preview_does_not_leak_another_brands_draft_brief(world):
    kit = world.kit
    draft = kit.briefs.create(
        world.brand,
        name="Secret launch",
        product=world.brief.product,
        budget=world.brief.budget,
        timeline=world.brief.timeline,
        deliverables=world.brief.deliverables,
    )
    with pytest.raises(NotFound):
        kit.briefs.get(world.unverified_brand, draft.id)
    spy = kit.outreach.create_template(
        world.unverified_brand, name="spy", body="{{ brief.name }} / {{ brief.budget.total.amount }}"
    )
    with pytest.raises(NotFound):
        kit.outreach.preview(world.unverified_brand, spy.id, brief_id=draft.id, creator_id=world.creator.id)


def test_templates_do_not_reveal_a_creators_private_email(world):
    kit = world.kit
    cy = register_creator(world, "creator_cy", "echo_creator_05", email="cy@private.example")
    assert kit.creators.overview(world.brand, cy.id).profile.email is None  # the page's rule
    template = kit.outreach.create_template(world.brand, name="spy", body="{{ creator.email }}")
    try:
        _, body = kit.outreach.preview(world.brand, template.id, brief_id=world.brief.id, creator_id=cy.id)
    except (ValidationError, PermissionDenied):
        return
    assert "cy@private.example" not in body


# -- sending ---------------------------------------------------------------------------------------------------


def test_the_platform_channel_sends_through_the_plugin_and_keeps_its_receipt(world, events):
    kit = world.kit
    deal = world.invite()
    invitation = kit.outreach.invitation(world.brand, deal.id)
    assert echo(kit).sent == [invitation.id]
    expected_ref = "echo-" + hashlib.sha256(invitation.id.encode()).hexdigest()[:16]
    assert invitation.platform_ref == expected_ref
    assert invitation.channel is Channel.PLATFORM and invitation.status is InvitationStatus.SENT
    assert invitation.respond_by == world.clock.now + timedelta(days=7)
    assert deal.state is DealState.INVITED and deal.awaiting == "creator" and deal.deadline == invitation.respond_by
    assert deal.price is None

    (changed,) = [e for e in events if e.name == "deal.state_changed"]
    assert changed.entity_id == deal.id
    assert changed.data == {"action": "invite", "from_state": None, "to_state": "invited"}
    (invited,) = [e for e in kit.store.iter_audit() if e.action == "deal.invite"]
    assert invited.entity_id == deal.id and invited.actor_id == str(world.brand)


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.DIRECT_MESSAGE])
def test_an_external_channel_is_recorded_without_calling_the_plugin(world, channel):
    kit = world.kit
    deal = world.invite(channel=channel, proposed_price=Money(100_000, "USD"))
    invitation = kit.outreach.invitation(world.creator, deal.id)
    assert echo(kit).sent == []
    assert invitation.channel is channel and invitation.platform_ref is None
    assert deal.price == Money(100_000, "USD")
    assert kit.deals.get(world.creator, deal.id).state is DealState.INVITED


def test_a_creator_unknown_to_the_platform_surfaces_the_plugins_not_found(world):
    kit = world.kit
    ghost = register_creator(world, "creator_ghost", "nobody_on_echo")
    with pytest.raises(NotFound) as raised:
        world.invite(_actor(ghost))
    assert raised.value.kind == "creator" and raised.value.id == "nobody_on_echo"
    assert kit.deals.visible_deals(_actor(ghost)) == []
    assert echo(kit).sent == []
    deal = world.invite(_actor(ghost), channel=Channel.EMAIL)  # the honest alternative works
    assert deal.state is DealState.INVITED


def test_a_creator_without_an_account_on_the_platform_cannot_be_messaged_there(world):
    kit = world.kit
    profile = CreatorProfile(id="creator_offline", display_name="Off Line")
    kit.parties.register_creator(world.system, profile)
    with pytest.raises(ValidationError) as raised:
        world.invite(_actor(profile))
    assert raised.value.paths == ["platform"]
    assert world.invite(_actor(profile), channel=Channel.EMAIL).state is DealState.INVITED


def test_only_brands_invite(world):
    for actor in (world.creator, world.manager, world.agency):
        with pytest.raises(PermissionDenied):
            world.kit.outreach.invite(
                actor, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", body="Hi"
            )
    assert world.kit.deals.visible_deals(world.brand) == []


def test_inviting_an_unknown_creator_is_not_found(world):
    with pytest.raises(NotFound):
        world.kit.outreach.invite(
            world.brand, brief_id=world.brief.id, creator_id="creator_nope", platform="echo", body="Hi"
        )


def test_a_second_open_deal_for_the_same_brief_and_creator_is_refused(world):
    kit = world.kit
    first = world.invite()
    with pytest.raises(StateError) as raised:
        world.invite()
    assert first.id in raised.value.entity
    assert len(echo(kit).sent) == 1  # the duplicate was not sent either
    assert [d.id for d in kit.deals.visible_deals(world.brand)] == [first.id]
    kit.outreach.respond(world.creator, first.id, accept=True)
    with pytest.raises(StateError):  # still open while negotiating
        world.invite()
    other = world.invite(world.other_creator)  # another creator is fine
    assert other.id != first.id


def test_after_a_declined_deal_the_creator_can_be_invited_again(world):
    kit = world.kit
    first = world.invite()
    kit.outreach.respond(world.creator, first.id, accept=False)
    world.clock.advance(days=1)
    second = world.invite()
    assert second.id != first.id
    assert [d.id for d in kit.deals.visible_deals(world.creator)] == [first.id, second.id]


# -- responding ------------------------------------------------------------------------------------------------


def test_the_creator_accepts_an_invitation(world, events):
    kit = world.kit
    deal = world.invite()
    moved = kit.outreach.respond(world.creator, deal.id, accept=True)
    assert moved.state is DealState.NEGOTIATING
    assert kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.ACCEPTED
    (row,) = kit.deals.board(world.brand)
    assert row.tab is Tab.PENDING and row.state is DealState.NEGOTIATING
    changes = [e.data for e in events if e.name == "deal.state_changed"]
    assert changes[-1] == {"action": "accept_invitation", "from_state": "invited", "to_state": "negotiating"}


def test_the_creator_declines_an_invitation(world):
    kit = world.kit
    deal = world.invite()
    moved = kit.outreach.respond(world.creator, deal.id, accept=False, message="Booked that month, sorry")
    assert moved.state is DealState.DECLINED
    assert kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.DECLINED
    (message,) = kit.outreach.thread(world.brand, deal.id)
    assert message.direction is Direction.INBOUND and message.body == "Booked that month, sorry"
    assert kit.deals.board(world.brand, tab=Tab.INACTIVE)[0].deal_id == deal.id
    with pytest.raises(StateError):
        kit.outreach.respond(world.creator, deal.id, accept=True)


def test_a_manager_with_the_negotiate_scope_responds_on_the_creators_behalf(world):
    kit = world.kit
    deal = world.invite()
    moved = kit.outreach.respond(world.manager, deal.id, accept=True, message="Ana is in!")
    assert moved.state is DealState.NEGOTIATING
    (accepted,) = [e for e in kit.store.iter_audit() if e.action == "deal.accept_invitation"]
    assert accepted.actor_id == str(world.manager) and accepted.on_behalf_of == world.creator.id
    (message,) = kit.outreach.thread(world.creator, deal.id)
    assert message.sender_id == world.manager.id


def test_a_manager_without_the_negotiate_scope_cannot_respond(world, denials):
    kit = world.kit
    deal = world.invite()
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, Scope.MANAGE_CONTENT])
    with pytest.raises(PermissionDenied):
        kit.outreach.respond(world.manager, deal.id, accept=False)
    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED
    assert kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.SENT
    (denied,) = denials("respond_invitation")
    assert denied.actor_id == str(world.manager)


def test_the_brand_cannot_answer_its_own_invitation(world):
    kit = world.kit
    deal = world.invite()
    with pytest.raises(PermissionDenied):
        kit.outreach.respond(world.brand, deal.id, accept=True)
    with pytest.raises(NotFound):
        kit.outreach.respond(world.other_creator, deal.id, accept=True)
    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED


def test_an_invitation_past_its_deadline_expires_and_cannot_be_accepted(world, events):
    kit = world.kit
    deal = world.invite(respond_days=2)
    assert deal.deadline == world.clock.now + timedelta(days=2)
    world.clock.advance(days=2, seconds=1)
    (expired,) = kit.deals.process_deadlines().moved
    assert expired.id == deal.id and expired.state is DealState.EXPIRED
    assert events[-1].data == {"action": "expire", "from_state": "invited", "to_state": "expired"}
    with pytest.raises(StateError):
        kit.outreach.respond(world.creator, deal.id, accept=True)
    assert kit.deals.process_deadlines().moved == []  # idempotent


def test_a_lapsed_invitation_cannot_be_accepted_before_the_deadline_sweep(world):
    deal = world.invite()
    world.clock.advance(days=8)
    with pytest.raises(StateError):
        world.kit.outreach.respond(world.creator, deal.id, accept=True)


def test_an_expired_invitation_says_so(world):
    kit = world.kit
    deal = world.invite()
    world.clock.advance(days=8)
    kit.deals.process_deadlines()
    assert kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.EXPIRED


# -- threads ---------------------------------------------------------------------------------------------------


def test_a_deals_thread_keeps_outbound_messages_and_inbound_replies_in_order(world, events):
    kit = world.kit
    deal = world.invite()
    world.clock.advance(minutes=5)
    kit.outreach.respond(world.creator, deal.id, accept=True, message="Sounds great")
    world.clock.advance(minutes=5)
    sent = kit.outreach.send_message(world.brand, deal.id, "Brief attached")
    world.clock.advance(minutes=5)
    kit.outreach.record_inbound(
        world.system,  # the email webhook records the creator's reply
        deal.id,
        "Got it, thanks",
        sender_id=world.creator.id,
        channel=Channel.EMAIL,
        platform_ref="<mail-1@example>",
    )
    world.clock.advance(minutes=5)
    kit.outreach.send_message(world.manager, deal.id, "Ana can post on the 20th")
    world.clock.advance(minutes=5)
    kit.outreach.send_message(world.creator, deal.id, "Draft soon")

    thread = kit.outreach.thread(world.brand, deal.id)
    assert [m.body for m in thread] == [
        "Sounds great",
        "Brief attached",
        "Got it, thanks",
        "Ana can post on the 20th",
        "Draft soon",
    ]
    assert [m.direction for m in thread] == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.INBOUND,
        Direction.INBOUND,
        Direction.INBOUND,
    ]
    assert [m.sender_id for m in thread] == [
        world.creator.id,
        world.brand.id,
        world.creator.id,
        world.manager.id,
        world.creator.id,
    ]
    assert len({m.thread_id for m in thread}) == 1
    assert thread[2].channel is Channel.EMAIL and thread[2].platform_ref == "<mail-1@example>"
    # Only the brand's outbound message went through the platform plugin.
    assert echo(kit).sent[1:] == [sent.id]
    assert sent.platform_ref == "echo-" + hashlib.sha256(sent.id.encode()).hexdigest()[:16]
    # Everyone on the deal reads the same thread.
    assert kit.outreach.thread(world.creator, deal.id) == thread
    assert kit.outreach.thread(world.manager, deal.id) == thread
    names = [e.name for e in events if e.entity_kind == "message"]
    assert names == ["message.received", "message.sent", "message.received", "message.received", "message.received"]


def test_messages_at_the_same_instant_keep_their_order(world, monkeypatch):
    kit = world.kit
    deal = world.invite()
    monkeypatch.setattr("creatorkit.workflow._outreach.new_id", decreasing_ids())
    kit.outreach.send_message(world.brand, deal.id, "first")
    kit.outreach.record_inbound(world.system, deal.id, "second", sender_id=world.creator.id, channel=Channel.EMAIL)
    kit.outreach.send_message(world.creator, deal.id, "third")
    assert [m.body for m in kit.outreach.thread(world.brand, deal.id)] == ["first", "second", "third"]


def test_an_inbound_reply_must_come_from_a_party_to_the_deal(world):
    kit = world.kit
    deal = world.invite()
    with pytest.raises(ValidationError) as raised:
        kit.outreach.record_inbound(
            world.system, deal.id, "hi", sender_id=world.other_creator.id, channel=Channel.EMAIL
        )
    assert raised.value.paths == ["sender_id"]
    assert kit.outreach.thread(world.brand, deal.id) == []


def test_an_inbound_reply_from_the_creators_manager_is_recorded(world):
    kit = world.kit
    deal = world.invite()
    message = kit.outreach.record_inbound(
        world.manager, deal.id, "Ana is keen", sender_id=world.manager.id, channel=Channel.EMAIL
    )
    assert message.sender_id == world.manager.id


def test_a_party_records_only_what_its_own_side_sent(world, denials):
    kit = world.kit
    deal = world.invite()
    with pytest.raises(PermissionDenied, match="own side"):
        kit.outreach.record_inbound(
            world.brand, deal.id, "I accept!", sender_id=world.creator.id, channel=Channel.EMAIL
        )
    with pytest.raises(PermissionDenied, match="own side"):
        kit.outreach.record_inbound(world.creator, deal.id, "Free!", sender_id=world.brand.id, channel=Channel.EMAIL)
    assert kit.outreach.thread(world.brand, deal.id) == []
    assert len(denials("record_inbound")) == 2
    assert (
        kit.outreach.record_inbound(
            world.creator, deal.id, "Looking forward", sender_id=world.creator.id, channel=Channel.EMAIL
        ).sender_id
        == world.creator.id
    )


def test_messages_need_a_body_and_an_open_deal(world):
    kit = world.kit
    deal = world.invite()
    with pytest.raises(ValidationError):
        kit.outreach.send_message(world.brand, deal.id, "   ")
    kit.outreach.respond(world.creator, deal.id, accept=False)
    with pytest.raises(StateError):
        kit.outreach.send_message(world.brand, deal.id, "Are you sure?")
    assert len(echo(kit).sent) == 1  # only the invitation


def test_outsiders_cannot_read_or_write_a_thread(world):
    kit = world.kit
    deal = world.invite()
    for outsider in (world.unverified_brand, world.other_creator, world.other_manager):
        with pytest.raises(NotFound):
            kit.outreach.thread(outsider, deal.id)
        with pytest.raises(NotFound):
            kit.outreach.send_message(outsider, deal.id, "hello")
        with pytest.raises(NotFound):
            kit.outreach.record_inbound(outsider, deal.id, "hello", sender_id=world.creator.id, channel=Channel.EMAIL)
    assert kit.outreach.thread(world.brand, deal.id) == []


def test_the_deal_history_includes_its_thread_messages(world):
    kit = world.kit
    deal = world.invite()
    world.clock.advance(minutes=1)
    kit.outreach.respond(world.creator, deal.id, accept=True, message="Count me in")
    actions = [h["action"] for h in kit.deals.history(world.brand, deal.id)]
    assert actions == ["deal.invite", "deal.accept_invitation", "message.append"]


@pytest.mark.parametrize("text", ["", "Plain note.", "two\nlines", "ends with a newline\n", "crlf\r\nline", "50% off"])
def test_text_without_template_syntax_renders_as_jinja_would(text):
    from creatorkit.workflow._templates import _compiled, render_template

    assert render_template(text, {}) == _compiled(text).render()
