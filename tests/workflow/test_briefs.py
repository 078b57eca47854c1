"""Campaign briefs (tasks): drafted by a brand, published only by a verified brand when they carry a budget."""

from __future__ import annotations

from typing import Any

import pytest

from creatorkit import Money
from creatorkit.entities import (
    BriefStatus,
    Budget,
    ContentRules,
    DealState,
    Deliverable,
    DeliverableType,
    Kpi,
    KpiMetric,
    Product,
    Timeline,
    VerificationStatus,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from world import World


def brief_fields(world: World, **changes: Any) -> dict[str, Any]:
    fields = {
        "name": "Summer drop",
        "product": Product(name="Sun Serum", category="beauty"),
        "budget": Budget(total=Money(500_000, "USD")),
        "timeline": Timeline(
            publish_from=world.brief.timeline.publish_from, publish_until=world.brief.timeline.publish_until
        ),
        "deliverables": (Deliverable(type=DeliverableType.SHORT_VIDEO, platform="echo"),),
    }
    fields.update(changes)
    return fields


# -- drafting ------------------------------------------------------------------------------------------------


def test_a_brand_drafts_a_brief_in_its_own_workspace(world):
    kit = world.kit
    brief = kit.briefs.create(world.brand, **brief_fields(world))
    assert brief.status is BriefStatus.DRAFT
    assert brief.brand_id == world.brand.id
    assert brief.created_at == world.clock.now and brief.published_at is None
    assert kit.briefs.get(world.brand, brief.id) == brief
    assert brief.id in [b.id for b in kit.briefs.list(world.brand, status=BriefStatus.DRAFT)]
    assert brief.id not in [b.id for b in kit.briefs.list(world.brand, status=BriefStatus.PUBLISHED)]
    (created,) = [e for e in kit.store.iter_audit() if e.action == "brief.create" and e.entity_id == brief.id]
    assert created.actor_id == str(world.brand) and created.workspace_id == world.brand.id


@pytest.mark.parametrize("reserved", ["id", "brand_id", "status", "created_at", "published_at"])
def test_service_owned_fields_cannot_be_given(world, reserved):
    values = {
        "id": "brief_mine",
        "brand_id": world.unverified_brand.id,
        "status": BriefStatus.PUBLISHED,
        "created_at": world.clock.now,
        "published_at": world.clock.now,
    }
    before = len(world.kit.briefs.list(world.brand))
    with pytest.raises(ValidationError) as raised:
        world.kit.briefs.create(world.brand, **brief_fields(world), **{reserved: values[reserved]})
    assert raised.value.paths == [reserved]
    assert len(world.kit.briefs.list(world.brand)) == before


def test_an_invalid_brief_names_every_problem_and_stores_nothing(world):
    kit = world.kit
    before = kit.store.audit_head()
    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(world.brand, **brief_fields(world, name="  ", deliverables=()))
    assert sorted(raised.value.paths) == ["deliverables", "name"]
    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(
            world.brand, **brief_fields(world, kpis=(Kpi(metric=KpiMetric.CPM, target_cost=Money(500, "EUR")),))
        )
    assert raised.value.paths == ["kpis[0].target_cost"]
    assert kit.store.audit_head() == before
    assert [b.id for b in kit.briefs.list(world.brand)] == [world.brief.id]


def test_content_rules_too_many_or_too_long_are_refused_naming_the_list(world):
    """Every draft is checked against every rule and one result per rule is written in the draft's transaction:
    100,000 banned words held the write lock 0.4 s a draft. A brief's terms are limited in number and length."""
    kit, flow = world.kit, world.kit.config.workflow
    before = kit.store.audit_head()
    many = tuple(f"word{i}" for i in range(flow.content_rules_max_terms))
    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(
            world.brand, **brief_fields(world, content_rules=ContentRules(banned_words=many, required_mentions=("@a",)))
        )
    assert raised.value.paths == ["content_rules"]
    assert f"at most {flow.content_rules_max_terms:,} (workflow.content_rules_max_terms)" in str(raised.value)
    long = "x" * (flow.content_rule_max_chars + 1)
    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(world.brand, **brief_fields(world, content_rules=ContentRules(banned_words=("ok", long))))
    assert raised.value.paths == ["content_rules.banned_words[1]"]
    assert "(workflow.content_rule_max_chars)" in str(raised.value)
    assert kit.store.audit_head() == before
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    with pytest.raises(ValidationError) as raised:
        kit.briefs.update(world.brand, draft.id, content_rules=ContentRules(key_selling_points=(long,)))
    assert raised.value.paths == ["content_rules.key_selling_points[0]"]
    kept = kit.briefs.create(world.brand, **brief_fields(world, content_rules=ContentRules(banned_words=many[1:])))
    assert len(kept.content_rules.banned_words) == flow.content_rules_max_terms - 1  # "#ad" is the last term


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"nam": "Summer drop"}, ["nam"]),
        ({"name": 5}, ["name"]),
        ({"budget": "lots"}, ["budget"]),
        ({"deliverables": None}, ["deliverables"]),
        ({"target_audience": (), "colour": "red", "size": 3}, ["colour", "size"]),
    ],
    ids=["misspelt-field", "number-for-name", "string-for-budget", "none-for-deliverables", "two-unknown"],
)
def test_unknown_fields_and_wrong_types_name_the_field(world, fields, paths):
    kit = world.kit
    before = kit.store.audit_head()
    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(world.brand, **brief_fields(world, **fields))
    assert raised.value.paths == paths
    assert kit.store.audit_head() == before
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    head = kit.store.audit_head()
    with pytest.raises(ValidationError) as raised:
        kit.briefs.update(world.brand, draft.id, **fields)
    assert raised.value.paths == paths
    assert kit.store.audit_head() == head
    assert kit.briefs.get(world.brand, draft.id) == draft


def test_an_update_keeps_what_it_does_not_name(world):
    kit = world.kit
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    updated = kit.briefs.update(world.brand, draft.id, deliverables=[Deliverable(type=DeliverableType.STORY)])
    assert updated.deliverables == (Deliverable(type=DeliverableType.STORY),)
    assert (updated.id, updated.name, updated.budget, updated.created_at) == (
        draft.id,
        draft.name,
        draft.budget,
        draft.created_at,
    )
    assert kit.briefs.get(world.brand, draft.id) == updated


@pytest.mark.parametrize("who", ["creator", "manager", "agency"])
def test_only_brands_write_briefs(world, who, denials):
    with pytest.raises(PermissionDenied):
        world.kit.briefs.create(getattr(world, who), **brief_fields(world))
    with pytest.raises(PermissionDenied):  # nor change one
        world.kit.briefs.update(getattr(world, who), world.brief.id, name="x")
    assert [e.actor_id for e in denials("update_brief")] == [str(getattr(world, who))]
    assert world.kit.briefs.get(world.brand, world.brief.id).name == "Spring Glow launch"


def test_a_refused_create_is_recorded(world, denials):
    with pytest.raises(PermissionDenied):
        world.kit.briefs.create(world.creator, **brief_fields(world))
    assert [e.actor_id for e in denials("create_brief")] == [str(world.creator)]


# -- updating ------------------------------------------------------------------------------------------------


def test_a_draft_can_be_updated_and_validated(world):
    kit = world.kit
    brief = kit.briefs.create(world.brand, **brief_fields(world))
    updated = kit.briefs.update(
        world.brand, brief.id, name="Summer drop v2", budget=Budget(total=Money(600_000, "USD"))
    )
    assert updated.name == "Summer drop v2" and updated.budget.total == Money(600_000, "USD")
    assert kit.briefs.get(world.brand, brief.id) == updated
    with pytest.raises(ValidationError) as raised:
        kit.briefs.update(world.brand, brief.id, deliverables=())
    assert raised.value.paths == ["deliverables"]
    assert kit.briefs.get(world.brand, brief.id).deliverables == brief.deliverables


def test_a_published_brief_cannot_be_updated(world):
    kit = world.kit
    with pytest.raises(StateError) as raised:
        kit.briefs.update(world.brand, world.brief.id, name="Changed after publishing")
    assert raised.value.state == "published" and raised.value.allowed == ["close"]
    assert kit.briefs.get(world.brand, world.brief.id).name == "Spring Glow launch"
    closed = kit.briefs.close(world.brand, world.brief.id)
    with pytest.raises(StateError):
        kit.briefs.update(world.brand, closed.id, name="Changed after closing")


def test_update_cannot_publish_around_the_verification_gate(world):
    kit = world.kit
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world))
    with pytest.raises(ValidationError):
        kit.briefs.update(world.unverified_brand, brief.id, status=BriefStatus.PUBLISHED)
    assert kit.briefs.get(world.unverified_brand, brief.id).status is BriefStatus.DRAFT
    with pytest.raises(StateError):
        kit.outreach.invite(
            world.unverified_brand, brief_id=brief.id, creator_id=world.other_creator.id, platform="echo", body="Hi"
        )


# -- publishing and verification -----------------------------------------------------------------------------


def test_an_unverified_brand_cannot_publish_a_paid_brief(world, denials):
    kit = world.kit
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world))
    with pytest.raises(PermissionDenied) as raised:
        kit.briefs.publish(world.unverified_brand, brief.id)
    assert "verif" in raised.value.reason
    assert kit.briefs.get(world.unverified_brand, brief.id).status is BriefStatus.DRAFT
    (denied,) = denials("publish_brief")
    assert denied.actor_id == str(world.unverified_brand) and (denied.entity_kind, denied.entity_id) == (
        "brief",
        brief.id,
    )
    assert brief.id not in [b.id for b in kit.briefs.list(world.creator)]


@pytest.mark.parametrize("status", [VerificationStatus.PENDING, VerificationStatus.REJECTED])
def test_pending_or_rejected_verification_does_not_publish_either(world, status):
    kit = world.kit
    kit.parties.set_brand_verification(world.system, world.unverified_brand.id, status)
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world))
    with pytest.raises(PermissionDenied):
        kit.briefs.publish(world.unverified_brand, brief.id)


def test_an_unpaid_brief_needs_no_verification(world):
    kit = world.kit
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world, budget=Budget(total=Money(0, "USD"))))
    published = kit.briefs.publish(world.unverified_brand, brief.id)
    assert published.status is BriefStatus.PUBLISHED


def test_once_verified_the_brand_publishes(world, events):
    kit = world.kit
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world))
    with pytest.raises(PermissionDenied):
        kit.briefs.publish(world.unverified_brand, brief.id)
    kit.parties.set_brand_verification(world.system, world.unverified_brand.id, VerificationStatus.VERIFIED)
    world.clock.advance(hours=1)
    published = kit.briefs.publish(world.unverified_brand, brief.id)
    assert published.status is BriefStatus.PUBLISHED and published.published_at == world.clock.now
    assert kit.briefs.get(world.creator, brief.id) == published  # now on the marketplace
    assert brief.id in [b.id for b in kit.briefs.list(world.manager)]
    assert [e.entity_id for e in events if e.name == "brief.published"][-1] == brief.id


def test_only_the_marketplace_verifies_brands(world, denials):
    kit = world.kit
    with pytest.raises(PermissionDenied):
        kit.parties.set_brand_verification(
            world.unverified_brand, world.unverified_brand.id, VerificationStatus.VERIFIED
        )
    (denied,) = denials("verify_brand")
    assert denied.actor_id == str(world.unverified_brand)
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world))
    with pytest.raises(PermissionDenied):
        kit.briefs.publish(world.unverified_brand, brief.id)


def test_publishing_twice_is_a_state_error(world):
    with pytest.raises(StateError) as raised:
        world.kit.briefs.publish(world.brand, world.brief.id)
    assert raised.value.allowed == ["close"]


def test_another_brand_cannot_publish_or_close_a_brief(world):
    kit = world.kit
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    with pytest.raises(NotFound):
        kit.briefs.publish(world.unverified_brand, draft.id)
    with pytest.raises(NotFound):
        kit.briefs.close(world.unverified_brand, world.brief.id)
    assert kit.briefs.get(world.brand, draft.id).status is BriefStatus.DRAFT
    assert kit.briefs.get(world.brand, world.brief.id).status is BriefStatus.PUBLISHED


# -- visibility ------------------------------------------------------------------------------------------------


def test_drafts_are_private_and_published_briefs_are_listed(world):
    kit = world.kit
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    for outsider in (world.creator, world.manager, world.unverified_brand):
        with pytest.raises(NotFound):
            kit.briefs.get(outsider, draft.id)
        listed = [b.id for b in kit.briefs.list(outsider)]
        assert draft.id not in listed
    assert [b.id for b in kit.briefs.list(world.creator)] == [world.brief.id]
    assert kit.briefs.get(world.other_creator, world.brief.id).name == "Spring Glow launch"
    assert kit.briefs.get(world.system, draft.id).id == draft.id
    with pytest.raises(NotFound):
        kit.briefs.get(world.brand, "brief_nope")


# -- invitations need a published brief ------------------------------------------------------------------------


def test_inviting_to_a_draft_is_refused(world):
    kit = world.kit
    draft = kit.briefs.create(world.brand, **brief_fields(world))
    with pytest.raises(StateError) as raised:
        kit.outreach.invite(world.brand, brief_id=draft.id, creator_id=world.creator.id, platform="echo", body="Hi")
    assert raised.value.state == "draft" and raised.value.allowed == ["publish"]
    assert kit.deals.visible_deals(world.brand) == []
    assert kit.plugins._loaded["echo"].plugin.sent == []  # nothing went out


def test_closing_stops_new_invitations_but_not_deals_under_way(world):
    kit = world.kit
    deal = world.invite()
    closed = kit.briefs.close(world.brand, world.brief.id)
    assert closed.status is BriefStatus.CLOSED
    assert world.brief.id not in [b.id for b in kit.briefs.list(world.creator)]
    with pytest.raises(StateError):
        world.invite(world.other_creator)
    moved = kit.outreach.respond(world.creator, deal.id, accept=True)
    assert moved.state is DealState.NEGOTIATING
    with pytest.raises(StateError):
        kit.briefs.close(world.brand, world.brief.id)
