"""Rosters, delegated scopes and workspace isolation.

The issue: a manager's roster entry grants scopes once the creator accepts; ``sign_on_behalf`` only when the
creator grants it; removing a creator revokes access at once; a manager never sees a creator's platform
credentials; every refusal raises PermissionDenied and is recorded; one workspace's data is invisible to another.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from creatorkit import Actor, Money
from creatorkit._change import View
from creatorkit.converter import unstructure
from creatorkit.entities import (
    Budget,
    Channel,
    DealState,
    Deliverable,
    DeliverableType,
    Product,
    RosterEntry,
    Scope,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from creatorkit.workflow import TRANSITIONS, Role, Tab
from creatorkit.workflow._machine import role_in
from world import World

ALL_PROPOSABLE = [Scope.VIEW_STATS, Scope.EDIT_RATES, Scope.NEGOTIATE, Scope.MANAGE_CONTENT]


# -- helpers ---------------------------------------------------------------------------------------------------


def audit_actions(kit: Any) -> list[str]:
    return [event.action for event in kit.store.iter_audit()]


def negotiating(world: World) -> Any:
    deal = world.invite()
    return world.kit.outreach.respond(world.creator, deal.id, accept=True)


def fresh_brand_deal(world: World) -> Any:
    """A deal of the *other* (unverified) brand with the other creator, on an unpaid brief it may publish."""
    kit = world.kit
    brief = kit.briefs.create(
        world.unverified_brand,
        name="Fresh tasting",
        product=Product(name="Granola"),
        budget=Budget(total=Money(0, "USD")),
        timeline=world.brief.timeline,
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="echo"),),
    )
    kit.briefs.publish(world.unverified_brand, brief.id)
    return kit.outreach.invite(
        world.unverified_brand,
        brief_id=brief.id,
        creator_id=world.other_creator.id,
        platform="echo",
        body="Hi {{ creator.display_name }}",
    )


def all_documents(database: Any) -> list[tuple[str, str, Any]]:
    rows = database.execute("SELECT kind, id, doc FROM documents")
    return [(kind, id, json.loads(doc) if isinstance(doc, str | bytes) else doc) for kind, id, doc in rows]


SECRET_KEY = re.compile(r"token|secret|password|passwd|credential|api_?key|access_?key|private|refresh", re.I)


def secret_keys(value: Any, path: str = "") -> list[str]:
    """Every mapping key under ``value`` that looks like it holds a credential."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_KEY.search(str(key)):
                found.append(f"{path}.{key}")
            found.extend(secret_keys(item, f"{path}.{key}"))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found.extend(secret_keys(item, f"{path}[{i}]"))
    return found


# -- proposing and accepting ----------------------------------------------------------------------------------


def test_a_proposed_entry_grants_nothing_until_the_creator_accepts(world):
    kit = world.kit
    deal = world.invite(world.other_creator)
    entry = kit.roster.propose(
        world.agency,
        manager_id=world.manager.id,
        creator_id=world.other_creator.id,
        scopes=[Scope.VIEW_STATS, Scope.NEGOTIATE],
    )
    assert entry.accepted_at is None and not entry.active
    assert not entry.allows(Scope.VIEW_STATS)

    with pytest.raises(NotFound):
        kit.creators.overview(world.manager, world.other_creator.id)
    with pytest.raises(NotFound):
        kit.deals.get(world.manager, deal.id)
    with pytest.raises(NotFound):
        kit.outreach.respond(world.manager, deal.id, accept=True)
    assert deal.id not in [d.id for d in kit.deals.visible_deals(world.manager)]
    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED

    accepted = kit.roster.accept(world.other_creator, entry.id)
    assert accepted.active and accepted.accepted_at == world.clock.now
    assert kit.creators.overview(world.manager, world.other_creator.id).profile.id == world.other_creator.id
    assert deal.id in [d.id for d in kit.deals.visible_deals(world.manager)]
    moved = kit.outreach.respond(world.manager, deal.id, accept=True)
    assert moved.state is DealState.NEGOTIATING


def test_the_manager_may_propose_for_themselves(world):
    entry = world.kit.roster.propose(
        world.manager, manager_id=world.manager.id, creator_id=world.other_creator.id, scopes=[Scope.VIEW_STATS]
    )
    assert entry.agency_id == world.agency.id
    assert entry.id in [e.id for e in world.kit.roster.entries(world.other_creator)]


def test_only_the_creator_accepts_an_entry(world, denials):
    kit = world.kit
    entry = kit.roster.propose(
        world.agency, manager_id=world.manager.id, creator_id=world.other_creator.id, scopes=[Scope.VIEW_STATS]
    )
    for actor in (world.manager, world.agency):
        with pytest.raises(PermissionDenied):
            kit.roster.accept(actor, entry.id)
    with pytest.raises(NotFound):  # another creator does not even see it
        kit.roster.accept(world.creator, entry.id)
    with pytest.raises(NotFound):  # nor does another agency
        kit.roster.accept(world.other_agency, entry.id)

    recorded = denials("accept_roster_entry")
    assert [e.actor_id for e in recorded] == [str(world.manager), str(world.agency)]
    assert all((e.entity_kind, e.entity_id) == ("roster_entry", entry.id) for e in recorded)
    assert not [e for e in kit.roster.entries(world.other_creator) if e.active]


def test_a_duplicate_open_entry_is_refused(world):
    with pytest.raises(StateError):
        world.kit.roster.propose(
            world.agency, manager_id=world.manager.id, creator_id=world.creator.id, scopes=[Scope.VIEW_STATS]
        )


def test_an_agency_proposes_only_for_its_own_managers(world, denials):
    kit = world.kit
    with pytest.raises(PermissionDenied):
        kit.roster.propose(
            world.agency,
            manager_id=world.other_manager.id,
            creator_id=world.other_creator.id,
            scopes=[Scope.VIEW_STATS],
        )
    with pytest.raises(PermissionDenied):
        kit.roster.propose(
            world.other_manager,
            manager_id=world.manager.id,
            creator_id=world.other_creator.id,
            scopes=[Scope.VIEW_STATS],
        )
    with pytest.raises(PermissionDenied):
        kit.roster.propose(
            world.brand, manager_id=world.manager.id, creator_id=world.other_creator.id, scopes=[Scope.VIEW_STATS]
        )
    actors = [e.actor_id for e in denials("propose_roster_entry")]
    assert actors == [str(world.agency), str(world.other_manager), str(world.brand)]
    assert kit.roster.entries(world.other_creator) == []


def test_an_unknown_scope_is_a_validation_error_listing_the_scopes(world):
    kit = world.kit
    before = kit.store.audit_head()
    with pytest.raises(ValidationError) as raised:
        kit.roster.propose(
            world.agency, manager_id=world.manager.id, creator_id=world.other_creator.id, scopes=["view_stats", "bogus"]
        )
    assert raised.value.paths == ["scopes"]
    assert "'bogus'" in str(raised.value) and all(str(scope) in str(raised.value) for scope in Scope)
    with pytest.raises(ValidationError) as raised:
        kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, "sign"])
    assert raised.value.paths == ["scopes"]
    assert kit.store.audit_head() == before
    assert kit.roster.entries(world.other_creator, include_removed=True) == []
    (entry,) = kit.roster.entries(world.manager)
    assert entry.scopes == frozenset(ALL_PROPOSABLE)
    # Plain strings naming real scopes are still welcome.
    assert kit.roster.set_scopes(world.creator, world.roster_entry_id, ["view_stats"]).scopes == {Scope.VIEW_STATS}


# -- signing on the creator's behalf ---------------------------------------------------------------------------


def test_the_agency_cannot_propose_sign_on_behalf(world):
    kit = world.kit
    with pytest.raises(PermissionDenied) as raised:
        kit.roster.propose(
            world.agency,
            manager_id=world.manager.id,
            creator_id=world.other_creator.id,
            scopes=[Scope.VIEW_STATS, Scope.SIGN_ON_BEHALF],
        )
    assert "sign_on_behalf" in str(raised.value)
    assert kit.roster.entries(world.other_creator, include_removed=True) == []


def test_the_refused_sign_on_behalf_proposal_is_recorded(world, denials):
    with pytest.raises(PermissionDenied):
        world.kit.roster.propose(
            world.agency, manager_id=world.manager.id, creator_id=world.other_creator.id, scopes=[Scope.SIGN_ON_BEHALF]
        )
    assert [e.actor_id for e in denials("propose_roster_entry")] == [str(world.agency)]


def test_only_the_creator_grants_signing(world, denials):
    kit = world.kit
    (entry,) = kit.roster.entries(world.manager)
    assert not entry.allows(Scope.SIGN_ON_BEHALF)
    for actor in (world.manager, world.agency):
        with pytest.raises(PermissionDenied):
            kit.roster.grant_signing(actor, world.roster_entry_id)
        with pytest.raises(PermissionDenied):
            kit.roster.set_scopes(actor, world.roster_entry_id, [*ALL_PROPOSABLE, Scope.SIGN_ON_BEHALF])
    assert len(denials("grant_signing")) == 2
    assert len(denials("set_roster_scopes")) == 2
    (entry,) = kit.roster.entries(world.manager)
    assert not entry.allows(Scope.SIGN_ON_BEHALF)

    granted = kit.roster.grant_signing(world.creator, world.roster_entry_id)
    assert granted.allows(Scope.SIGN_ON_BEHALF)
    assert granted.scopes == frozenset([*ALL_PROPOSABLE, Scope.SIGN_ON_BEHALF])
    (entry,) = kit.roster.entries(world.manager)
    assert entry.allows(Scope.SIGN_ON_BEHALF)


def test_signing_for_the_creator_needs_the_creators_grant(world):
    """The state table's ``sign`` transition lets a manager act for the creator only with sign_on_behalf."""
    kit = world.kit
    deal = world.agree()
    sign = TRANSITIONS[DealState.CONTRACT_SENT]["sign"]
    assert sign.scope is Scope.SIGN_ON_BEHALF

    with kit.store.read() as tx, pytest.raises(PermissionDenied) as raised:
        role_in(View(tx, kit._entities), world.manager, deal, sign, "sign")
    assert "sign_on_behalf" in raised.value.reason
    with kit.store.read() as tx:  # the negotiate scope is enough for negotiating, not for signing
        assert (
            role_in(View(tx, kit._entities), world.manager, deal, TRANSITIONS[DealState.AGREED]["cancel"], "cancel")
            is Role.CREATOR
        )

    kit.roster.grant_signing(world.creator, world.roster_entry_id)
    with kit.store.read() as tx:
        assert role_in(View(tx, kit._entities), world.manager, deal, sign, "sign") is Role.CREATOR
        with pytest.raises(PermissionDenied):  # another agency's manager never
            role_in(View(tx, kit._entities), world.other_manager, deal, sign, "sign")

    kit.roster.set_scopes(world.creator, world.roster_entry_id, ALL_PROPOSABLE)  # the creator takes it back
    with kit.store.read() as tx, pytest.raises(PermissionDenied):
        role_in(View(tx, kit._entities), world.manager, deal, sign, "sign")


def test_set_scopes_takes_effect_immediately(world):
    kit = world.kit
    deal = negotiating(world)
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    with pytest.raises(PermissionDenied):
        kit.negotiation.propose(world.manager, deal.id, world.terms())
    assert kit.negotiation.offers(world.brand, deal.id) == []
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, Scope.NEGOTIATE])
    offer = kit.negotiation.propose(world.manager, deal.id, world.terms())
    assert offer.from_party == world.creator.id


# -- removing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("remover", ["creator", "manager", "agency"])
def test_removing_revokes_the_managers_access_at_once(world, events, remover):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    # Before: the manager sees and acts.
    assert kit.creators.overview(world.manager, world.creator.id).profile.id == world.creator.id
    assert [row.deal_id for row in kit.deals.board(world.manager)] == [deal.id]
    assert kit.deals.get(world.agency, deal.id).id == deal.id

    removed = kit.roster.remove(getattr(world, remover), world.roster_entry_id)
    assert removed.removed_at == world.clock.now and not removed.active

    with pytest.raises(NotFound):
        kit.creators.overview(world.manager, world.creator.id)
    with pytest.raises(NotFound):
        kit.deals.get(world.manager, deal.id)
    with pytest.raises(NotFound):
        kit.negotiation.accept(world.manager, offer.id)
    with pytest.raises(NotFound):
        kit.negotiation.propose(world.manager, deal.id, world.terms(price=99_000))
    with pytest.raises(NotFound):
        kit.outreach.thread(world.manager, deal.id)
    with pytest.raises(NotFound):
        kit.creators.update_rate_card(
            world.manager, world.creator.id, kit.creators.overview(world.creator, world.creator.id).profile.rate_card
        )
    with pytest.raises(NotFound):  # the agency loses its view too
        kit.deals.get(world.agency, deal.id)
    assert kit.deals.board(world.manager) == []
    assert kit.deals.visible_deals(world.agency) == []
    assert kit.roster.entries(world.manager) == []
    assert [e.id for e in kit.roster.entries(world.manager, include_removed=True)] == [world.roster_entry_id]

    # Nothing the manager tried went through; the offer is still open for the creator.
    (still,) = kit.negotiation.offers(world.creator, deal.id)
    assert still.status == "open"
    assert kit.deals.get(world.creator, deal.id).state is DealState.NEGOTIATING

    assert "roster.remove" in audit_actions(kit)
    (announced,) = [e for e in events if e.name == "roster.removed"]
    assert announced.entity_id == world.roster_entry_id
    assert announced.data == {"creator_id": world.creator.id, "manager_id": world.manager.id}


def test_a_removed_entry_cannot_be_changed_or_removed_again(world):
    kit = world.kit
    kit.roster.remove(world.creator, world.roster_entry_id)
    with pytest.raises(StateError):
        kit.roster.remove(world.creator, world.roster_entry_id)
    with pytest.raises(StateError):
        kit.roster.grant_signing(world.creator, world.roster_entry_id)
    with pytest.raises(StateError):
        kit.roster.accept(world.creator, world.roster_entry_id)
    with pytest.raises(NotFound):
        kit.creators.overview(world.manager, world.creator.id)


def test_outsiders_cannot_remove_an_entry(world):
    kit = world.kit
    for outsider in (world.other_agency, world.other_manager, world.other_creator):
        with pytest.raises(NotFound):
            kit.roster.remove(outsider, world.roster_entry_id)
    (entry,) = kit.roster.entries(world.manager)
    assert entry.active


def test_re_adding_after_removal_needs_a_new_acceptance(world):
    kit = world.kit
    kit.roster.remove(world.agency, world.roster_entry_id)
    again = kit.roster.propose(
        world.agency, manager_id=world.manager.id, creator_id=world.creator.id, scopes=[Scope.VIEW_STATS]
    )
    assert again.id != world.roster_entry_id
    with pytest.raises(NotFound):
        kit.creators.overview(world.manager, world.creator.id)
    kit.roster.accept(world.creator, again.id)
    assert kit.creators.overview(world.manager, world.creator.id).profile.id == world.creator.id


# -- refusals are recorded ------------------------------------------------------------------------------------


def test_a_refusal_is_recorded_with_actor_action_and_entity(world):
    kit = world.kit
    deal = world.invite()
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    head = kit.store.audit_head()[0]

    with pytest.raises(PermissionDenied) as raised:
        kit.outreach.respond(world.manager, deal.id, accept=True)
    assert raised.value.actor == str(world.manager)
    assert "negotiate" in raised.value.reason

    events_after = list(kit.store.iter_audit(start=head + 1))
    assert [(e.action, e.actor_id, e.entity_kind, e.entity_id) for e in events_after] == [
        ("denied.respond_invitation", str(world.manager), "deal", deal.id)
    ]
    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED


def test_an_unregistered_actor_is_refused_and_recorded(world, denials):
    ghost = Actor.manager("mgr_ghost")
    with pytest.raises(PermissionDenied):
        world.kit.roster.remove(ghost, world.roster_entry_id)
    (denied,) = denials("remove_roster_entry")
    assert denied.actor_id == str(ghost)
    with pytest.raises(PermissionDenied):
        world.kit.deals.visible_deals(ghost)


def test_brands_have_no_roster(world):
    with pytest.raises(PermissionDenied):
        world.kit.roster.entries(world.brand)


# -- workspace isolation ---------------------------------------------------------------------------------------


def test_another_brand_cannot_see_or_touch_a_deal(world):
    kit = world.kit
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    stranger = world.unverified_brand
    for call in (
        lambda: kit.deals.get(stranger, deal.id),
        lambda: kit.deals.history(stranger, deal.id),
        lambda: kit.outreach.thread(stranger, deal.id),
        lambda: kit.outreach.invitation(stranger, deal.id),
        lambda: kit.outreach.send_message(stranger, deal.id, "psst"),
        lambda: kit.negotiation.offers(stranger, deal.id),
        lambda: kit.negotiation.status(stranger, deal.id),
        lambda: kit.negotiation.accept(stranger, offer.id),
        lambda: kit.deals.cancel(stranger, deal.id, reason="mine now"),
    ):
        with pytest.raises(NotFound):
            call()
    assert deal.id not in [d.id for d in kit.deals.visible_deals(stranger)]
    assert kit.deals.get(world.brand, deal.id).state is DealState.NEGOTIATING


@pytest.mark.parametrize("outsider", ["other_manager", "other_agency", "other_creator"])
def test_other_workspaces_cannot_see_a_deal(world, outsider):
    kit = world.kit
    deal = negotiating(world)
    actor = getattr(world, outsider)
    with pytest.raises(NotFound):
        kit.deals.get(actor, deal.id)
    with pytest.raises(NotFound):
        kit.outreach.thread(actor, deal.id)
    with pytest.raises(NotFound):
        kit.deals.history(actor, deal.id)
    assert kit.deals.board(actor) == []


def test_each_board_lists_only_its_own_workspaces_deals(world):
    kit = world.kit
    ours = world.invite()
    theirs = fresh_brand_deal(world)
    assert [r.deal_id for r in kit.deals.board(world.brand)] == [ours.id]
    assert [r.deal_id for r in kit.deals.board(world.unverified_brand)] == [theirs.id]
    assert [r.deal_id for r in kit.deals.board(world.manager)] == [ours.id]  # only roster creators' deals
    assert [r.deal_id for r in kit.deals.board(world.agency)] == [ours.id]
    assert [r.deal_id for r in kit.deals.board(world.creator)] == [ours.id]
    assert [r.deal_id for r in kit.deals.board(world.other_creator)] == [theirs.id]
    assert kit.deals.board(world.other_manager) == []
    assert kit.deals.board(world.other_agency) == []
    (row,) = kit.deals.board(world.manager, tab=Tab.PENDING)
    assert (row.brand, row.campaign, row.creator) == ("Lumen Cosmetics", "Spring Glow launch", "Ana Costa")
    assert kit.deals.board(world.manager, tab=Tab.ACTIVE) == []


def test_one_agencys_roster_is_invisible_to_another(world):
    kit = world.kit
    assert [e.id for e in kit.roster.entries(world.agency)] == [world.roster_entry_id]
    assert kit.roster.entries(world.other_agency) == []
    assert kit.roster.entries(world.other_manager) == []
    with pytest.raises(NotFound):
        kit.creators.overview(world.other_manager, world.creator.id)


def test_a_brands_templates_and_draft_briefs_are_invisible_to_another(world):
    kit = world.kit
    template = kit.outreach.create_template(world.brand, name="hello", body="Hi {{ creator.display_name }}")
    draft = kit.briefs.create(
        world.brand,
        name="Secret launch",
        product=world.brief.product,
        budget=world.brief.budget,
        timeline=world.brief.timeline,
        deliverables=world.brief.deliverables,
    )
    stranger = world.unverified_brand
    with pytest.raises(NotFound):
        kit.briefs.get(stranger, draft.id)
    assert draft.id not in [b.id for b in kit.briefs.list(stranger)]
    with pytest.raises(NotFound):
        kit.briefs.update(stranger, draft.id, name="hijacked")
    with pytest.raises(NotFound):  # not even a published brief of another brand can be invited to
        kit.outreach.invite(
            stranger, brief_id=world.brief.id, creator_id=world.other_creator.id, platform="echo", body="Hi"
        )
    with pytest.raises(NotFound):
        kit.outreach.revise_template(stranger, template.id, body="mine")
    assert kit.briefs.get(world.brand, draft.id).name == "Secret launch"


# -- no credentials anywhere ----------------------------------------------------------------------------------


def test_no_platform_credentials_are_stored_or_shown(world, database):
    kit = world.kit
    kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    kit.roster.grant_signing(world.creator, world.roster_entry_id)
    deal = negotiating(world)
    offer = kit.negotiation.propose(world.manager, deal.id, world.terms())
    kit.negotiation.accept(world.brand, offer.id)
    kit.outreach.record_inbound(world.system, deal.id, "thanks!", sender_id=world.creator.id, channel=Channel.EMAIL)

    overview = unstructure(kit.creators.overview(world.manager, world.creator.id))
    assert secret_keys(overview) == []
    for entry in kit.roster.entries(world.manager):
        assert secret_keys(unstructure(entry)) == []
    documents = all_documents(database)
    assert {kind for kind, _, _ in documents} >= {"creator", "roster_entry", "deal", "offer", "metrics_snapshot"}
    for kind, id, doc in documents:
        assert secret_keys(doc) == [], f"{kind} {id}"

    # The private signing keys never reach the store: only the public halves do.
    dumped = json.dumps([doc for _, _, doc in documents])
    for private, public in world.keys.values():
        assert private not in dumped
        assert public in dumped
    assert all(isinstance(e, RosterEntry) for e in kit.roster.entries(world.creator))
