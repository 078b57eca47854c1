"""Every transition in the deal table: allowed for the roles it names, refused for the others and elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest

from creatorkit import Actor
from creatorkit.config import WorkflowSettings
from creatorkit.converter import structure, unstructure
from creatorkit.entities import Deal, DealState, Dispute, DisputeStatus, InvitationStatus, OfferStatus, Scope
from creatorkit.errors import NotFound, PermissionDenied, StateError
from creatorkit.workflow import (
    FINAL_STATES,
    ON_TIMEOUT,
    RESUME,
    STATES,
    TABS,
    TRANSITIONS,
    DeadlineRun,
    Role,
    next_state,
    tab_of,
    timeout_action,
)
from creatorkit.workflow._machine import apply, load_deal
from world import START, World

from .test_content import to_production

ALL_ACTIONS = sorted({action for moves in TRANSITIONS.values() for action in moves})
CASES = [(state, action) for state, moves in TRANSITIONS.items() for action in moves]
REFUSED = [(state, action) for state in DealState for action in ALL_ACTIONS if action not in TRANSITIONS[state]]


def test_every_state_is_in_the_table_and_on_exactly_one_tab() -> None:
    assert set(TRANSITIONS) == set(DealState)
    for state in DealState:
        assert sum(state in states for states in TABS.values()) == 1, state
        assert tab_of(state) in TABS


def test_every_waiting_state_has_a_timeout_rule_that_is_a_legal_move() -> None:
    for state in DealState:
        if state in FINAL_STATES:
            assert state not in ON_TIMEOUT
            continue
        action = timeout_action(state)
        assert action is not None, f"{state} could wait forever"
        assert Role.SYSTEM in next_state("d", state, action).by
    assert timeout_action(DealState.IN_REVIEW, WorkflowSettings(unanswered_review="expire")) == "expire"


def test_every_transition_target_is_a_state() -> None:
    for state, moves in TRANSITIONS.items():
        for action, transition in moves.items():
            # RESUME goes back to the state before the dispute: only a state that remembers it may use it.
            resumes = transition.to is RESUME and STATES[state].remembers_previous
            assert transition.to in DealState or resumes, (state, action)
            assert transition.by, (state, action)


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
def test_moves_outside_the_table_raise_state_error_naming_the_allowed_moves(state: DealState, action: str) -> None:
    with pytest.raises(StateError) as caught:
        next_state("deal_x", state, action)
    assert caught.value.state == str(state)
    assert caught.value.allowed == sorted(TRANSITIONS[state])
    assert str(state) in str(caught.value)


# -- through the service: each role the table names may do it, every other party may not -------------------------


def _deal_in(world: World, state: DealState, suffix: str = "", deadline: datetime | None = None) -> Deal:
    """A deal written straight into ``state``, for a brief of its own (a creator has one open deal per brief)."""
    now = world.clock()
    brief = attrs.evolve(world.brief, id=f"{world.brief.id}_{state}{suffix}")
    deal = Deal(
        id=f"deal_{state}{suffix}",
        brief_id=brief.id,
        brand_id=world.brand.id,
        creator_id=world.creator.id,
        platform="echo",
        state=state,
        created_at=now,
        updated_at=now,
        deadline=deadline,
        state_before_dispute=DealState.IN_PRODUCTION if state is DealState.DISPUTED else None,
    )
    with world.kit.store._write_transaction() as tx:
        tx.insert("brief", brief.id, unstructure(brief), workspace=brief.brand_id, state=str(brief.status), now=now)
        tx.insert(
            "deal",
            deal.id,
            unstructure(deal),
            workspace=deal.brand_id,
            parent=deal.creator_id,
            state=str(state),
            now=now,
        )
    return deal


def _apply(world: World, actor: Actor, deal_id: str, action: str) -> Deal:
    kit = world.kit

    def work(change: Any) -> Deal:
        deal, _ = load_deal(change, actor, deal_id)
        return apply(change, deal, action)

    return kit.deals._write(actor, action, work)


def _actors(world: World) -> dict[str, Actor]:
    return {
        "brand": world.brand,
        "creator": world.creator,
        "manager": world.manager,
        "system": world.system,
        "other_brand": world.unverified_brand,
        "other_creator": world.other_creator,
        "other_manager": world.other_manager,
    }


def _may(world: World, who: str, state: DealState, action: str) -> bool:
    transition = TRANSITIONS[state][action]
    if who == "brand":
        return Role.BRAND in transition.by
    if who == "system":
        return Role.SYSTEM in transition.by
    if who == "creator":
        return Role.CREATOR in transition.by
    if who == "manager":
        granted = {Scope.VIEW_STATS, Scope.EDIT_RATES, Scope.NEGOTIATE, Scope.MANAGE_CONTENT}
        return Role.CREATOR in transition.by and (transition.scope is None or transition.scope in granted)
    return False


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_each_transition_is_allowed_exactly_for_its_roles(world: World, state: DealState, action: str) -> None:
    allowed = []
    for who, actor in _actors(world).items():
        deal = _deal_in(world, state, f"_{who}")
        if _may(world, who, state, action):
            moved = _apply(world, actor, deal.id, action)
            expected = deal.state_before_dispute if action == "resolve_resume" else TRANSITIONS[state][action].to
            assert moved.state is expected, (who, action)
            assert moved.version == deal.version + 1
            allowed.append(who)
        else:
            # Outsiders cannot even see the deal (NotFound); parties without the role are refused.
            with pytest.raises((PermissionDenied, NotFound)):
                _apply(world, actor, deal.id, action)
            unchanged = world.kit.deals.get(world.system, deal.id)
            assert unchanged.state is state and unchanged.version == deal.version
    assert allowed, f"nobody may {action} in {state}"


def test_a_refused_transition_is_recorded_in_the_audit_trail(world: World, denials: Any) -> None:
    deal = _deal_in(world, DealState.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        _apply(world, world.creator, deal.id, "approve")
    (denied,) = denials("approve")
    assert (denied.actor_id, denied.entity_kind, denied.entity_id) == (str(world.creator), "deal", deal.id)
    assert [e["action"] for e in world.kit.deals.history(world.system, deal.id)] == ["denied.approve"]


def test_deadline_moves_with_each_waiting_state(world: World) -> None:
    deal = world.invite()
    assert deal.deadline is not None and deal.deadline > START
    accepted = world.kit.outreach.respond(world.creator, deal.id, accept=True)
    assert accepted.deadline is not None
    assert accepted.awaiting is not None


def test_overdue_deals_follow_their_timeout_rule(world: World) -> None:
    invited = world.invite()
    world.clock.advance(days=world.kit.config.workflow.invitation_response_days + 1)
    run = world.kit.deals.process_deadlines()
    assert [d.id for d in run.moved] == [invited.id] and run.failed == {}
    assert run.moved[0].state is DealState.EXPIRED
    assert world.kit.deals.process_deadlines() == DeadlineRun([], {})  # idempotent


def test_one_deal_that_cannot_move_does_not_stop_the_others(world: World) -> None:
    """An IN_REVIEW deal without a draft cannot be auto-approved; the invitation after it still expires."""
    kit = world.kit
    stuck = _deal_in(world, DealState.IN_REVIEW, deadline=START)
    world.clock.advance(seconds=1)
    invited = world.invite(world.other_creator)
    world.clock.advance(days=kit.config.workflow.invitation_response_days + 1)
    run = kit.deals.process_deadlines()
    assert [(d.id, d.state) for d in run.moved] == [(invited.id, DealState.EXPIRED)]
    assert list(run.failed) == [stuck.id] and "no draft has been submitted" in run.failed[stuck.id]
    assert kit.deals.get(world.system, stuck.id).state is DealState.IN_REVIEW
    again = kit.deals.process_deadlines()  # the next run tries the stuck deal again
    assert (again.moved, list(again.failed)) == ([], [stuck.id])


# -- what waits on a deal is closed with it -------------------------------------------------------------------


def _history_actions(world: World, deal_id: str) -> list[str]:
    return [e["action"] for e in world.kit.deals.history(world.system, deal_id)]


def test_a_withdrawn_deal_declines_its_open_invitation(world: World) -> None:
    deal = world.invite()
    world.kit.deals.withdraw_invitation(world.brand, deal.id)
    assert world.kit.outreach.invitation(world.brand, deal.id).status is InvitationStatus.DECLINED
    assert "invitation.decline" in _history_actions(world, deal.id)


def test_walking_away_withdraws_the_open_offer(world: World) -> None:
    kit = world.kit
    deal = world.invite()
    kit.outreach.respond(world.creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())
    assert kit.deals.walk_away(world.creator, deal.id, reason="not for me").state is DealState.DECLINED
    (closed,) = kit.negotiation.offers(world.brand, deal.id)
    assert (closed.id, closed.status) == (offer.id, OfferStatus.WITHDRAWN)
    assert "offer.withdraw" in _history_actions(world, deal.id)


def test_an_expired_negotiation_expires_its_open_offer(world: World) -> None:
    kit = world.kit
    deal = world.invite()
    kit.outreach.respond(world.creator, deal.id, accept=True)
    kit.negotiation.propose(world.brand, deal.id, world.terms())
    world.clock.advance(days=kit.config.workflow.offer_response_days + 1)
    (expired,) = kit.deals.process_deadlines().moved
    assert expired.state is DealState.EXPIRED
    assert [o.status for o in kit.negotiation.offers(world.brand, deal.id)] == [OfferStatus.EXPIRED]


# -- disputes ---------------------------------------------------------------------------------------------------


def _dispute(world: World, dispute_id: str) -> Dispute:
    with world.kit.store.read() as tx:
        record = tx.require("dispute", dispute_id)
        assert record.state == str(structure(record.doc, Dispute).status)
        return structure(record.doc, Dispute)


def test_the_arbiter_resolves_a_dispute(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    dispute = kit.deals.open_dispute(world.brand, deal.id, reason="the draft is late")
    resumed = kit.deals.resolve_dispute(world.system, dispute.id, outcome="resume", resolution="new draft date agreed")
    assert resumed.state is DealState.IN_PRODUCTION
    closed = _dispute(world, dispute.id)
    assert (closed.status, closed.resolution, closed.resolved_at) == (
        DisputeStatus.SETTLED,
        "new draft date agreed",
        world.clock.now,
    )


def test_a_dispute_left_past_its_deadline_is_closed_with_the_deal(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    dispute = kit.deals.open_dispute(world.creator, deal.id, reason="the brand changed the brief")
    world.clock.advance(days=kit.config.workflow.dispute_days, minutes=1)
    (cancelled,) = kit.deals.process_deadlines().moved
    assert (cancelled.id, cancelled.state) == (deal.id, DealState.CANCELLED)
    closed = _dispute(world, dispute.id)
    assert (closed.status, closed.resolution, closed.resolved_at) == (
        DisputeStatus.RESOLVED_FOR_BRAND,
        "dispute deadline passed",
        world.clock.now,
    )
    assert _history_actions(world, deal.id)[-2:] == ["deal.resolve_cancel", "dispute.resolve"]


def documented_rows() -> set[str]:
    """The rows docs/workflow.md must show for the table: the moves, then what each state waits for."""
    rows = set()
    for state, row in STATES.items():
        if row.final:
            rows.add(f"| `{state}` | {row.tab} | — (final) | | | |")
        for action, t in row.moves.items():
            to = "the state before the dispute" if t.to is RESUME else f"`{t.to}`"
            who = ", ".join(sorted(t.by))
            rows.add(f"| `{state}` | {row.tab} | `{action}` | {to} | {who} | {t.scope or ''} |")
        if row.deadline is not None:
            days, timeout = f"`{row.deadline.days}`", f"`{row.deadline.on_timeout}`"
            if row.deadline.configured:
                days += ' (`review_days` with `unanswered_review = "expire"`)'
                timeout += " (or `expire`)"
            restarts = ", ".join(f"`{a}`" for a, t in sorted(row.moves.items()) if t.resets_deadline)
            rows.add(f"| `{state}` | {row.waiting_for} | {row.next_step} | {days} | {timeout} | {restarts} |")
    return rows


def test_the_documented_table_is_the_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "workflow.md").read_text(encoding="utf-8")
    rows = {line for line in doc.splitlines() if line.startswith("| `") and not line.startswith("| `kit.")}
    assert rows == documented_rows(), "docs/workflow.md's state tables differ from creatorkit.workflow.STATES"
