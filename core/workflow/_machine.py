"""Moving a deal: the state table applied, inside the transaction of the call that causes the move.

Every stage (outreach, negotiation, contracting, content review, deadlines) moves a deal with :func:`apply`, so
a state change is always written together with the records that caused it and its audit event. :func:`apply`
reads the rules only from the table in :mod:`._states`; who the acting party is to the deal comes from the
access rules of :mod:`creatorkit.parties`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ..entities import (
    Actor,
    Awaiting,
    Deal,
    DealState,
    Invitation,
    InvitationStatus,
    Offer,
    OfferStatus,
    PartyKind,
)
from ..errors import NotFound, PermissionDenied, StateError
from ..parties._access import acts_for_creator, can_see_deal, on_behalf_of
from ._states import RESUME, STATES, Role, Transition, deadline_after, next_state

if TYPE_CHECKING:
    from .._change import Change, View
    from ..store import Record

__all__ = ["apply", "load_deal", "may", "role_in"]


def load_deal(view: View, actor: Actor, deal_id: str) -> tuple[Deal, Record]:
    """The deal and its record, or NotFound when it does not exist or the actor may not see it."""
    record = view.get("deal", deal_id)
    if record is None:
        raise NotFound("deal", deal_id)
    # The record's version is the concurrency token; the copy inside the document is informational.
    deal = view.entity(record, Deal)
    if deal.version != record.version:
        deal = attrs.evolve(deal, version=record.version)
    if not can_see_deal(view, actor, deal):
        # Another workspace's deal: say it does not exist rather than that it is forbidden.
        raise NotFound("deal", deal_id)
    return deal, record


def role_in(view: View, actor: Actor, deal: Deal, transition: Transition, action: str) -> Role:
    """The role ``actor`` plays for ``transition`` on ``deal``, or PermissionDenied naming the rule."""
    entity = f"deal {deal.id}"
    if actor.kind is PartyKind.SYSTEM:
        role = Role.SYSTEM
    elif actor.kind is PartyKind.BRAND and actor.id == deal.brand_id:
        role = Role.BRAND
    elif actor.kind is PartyKind.CREATOR and actor.id == deal.creator_id:
        role = Role.CREATOR
    elif actor.kind is PartyKind.TALENT_MANAGER and acts_for_creator(view, actor, deal.creator_id, None):
        if transition.scope is not None and not acts_for_creator(view, actor, deal.creator_id, transition.scope):
            raise PermissionDenied(
                str(actor), action, f"the roster entry for {deal.creator_id} lacks the {transition.scope} scope", entity
            )
        role = Role.CREATOR
    else:
        raise PermissionDenied(str(actor), action, "not a party to this deal", entity)
    if role not in transition.by:
        allowed = ", ".join(sorted(transition.by))
        raise PermissionDenied(str(actor), action, f"only {allowed} may {action} a deal", entity)
    return role


def may(view: View, actor: Actor, deal: Deal, move: str, action: str | None = None) -> Role:
    """Check that ``actor`` may make ``move`` on ``deal`` now (refusals name ``action``, default the move)."""
    return role_in(view, actor, deal, next_state(deal.id, deal.state, move), action or move)


def apply(
    change: Change,
    deal: Deal,
    action: str,
    *,
    payload: dict[str, Any] | None = None,
    deadline: datetime | None = None,
    awaiting: Awaiting | None = None,
    **updates: Any,
) -> Deal:
    """Move ``deal`` by ``action`` as ``change.actor``: check the table and the actor's role, save, audit.

    ``deadline``/``awaiting`` override the table's for the new state (e.g. a contract's own draft date, the
    side an offer is addressed to). A deal entering a final state closes what was still waiting on it: its
    open invitation and offer.
    """
    transition = next_state(deal.id, deal.state, action)
    role = role_in(change, change.actor, deal, transition, action)
    target = _target(deal, transition, action)
    row = STATES[target]
    if row.remembers_previous and deal.state is not target:
        updates["state_before_dispute"] = deal.state
    elif STATES[deal.state].remembers_previous:
        updates["state_before_dispute"] = None
    if deadline is None:
        staying = target is deal.state and not transition.resets_deadline
        deadline = deal.deadline if staying else deadline_after(target, change.flow, change.now)
    moved = attrs.evolve(
        deal,
        state=target,
        deadline=deadline,
        awaiting=awaiting or row.waiting_for,
        version=deal.version + 1,
        updated_at=change.now,
        **updates,
    )
    saved = change.save_deal(moved, expected_version=deal.version)
    change.audit(
        f"deal.{action}",
        "deal",
        deal.id,
        {"from": str(deal.state), "to": str(target), "role": str(role), **(payload or {})},
        on_behalf_of=on_behalf_of(change.actor, deal.creator_id),
        workspace=deal.brand_id,
    )
    if target is not deal.state:
        if row.final:
            _close_children(change, deal, target)
        change.event(
            "deal.state_changed", "deal", deal.id, action=action, from_state=str(deal.state), to_state=str(target)
        )
    return saved


def _target(deal: Deal, transition: Transition, action: str) -> DealState:
    if transition.to is not RESUME:
        return transition.to
    if deal.state_before_dispute is None:
        raise StateError(f"deal {deal.id}", str(deal.state), action, [], "no state to resume")
    return deal.state_before_dispute


#: What may still wait on a deal that ends: (kind, class, its open status, closed on expiry, closed otherwise).
_WAITING_ON_A_DEAL: tuple[tuple[str, type[Any], str, tuple[str, str], tuple[str, str]], ...] = (
    (
        "invitation",
        Invitation,
        InvitationStatus.SENT,
        (InvitationStatus.EXPIRED, "expire"),
        (InvitationStatus.DECLINED, "decline"),
    ),
    ("offer", Offer, OfferStatus.OPEN, (OfferStatus.EXPIRED, "expire"), (OfferStatus.WITHDRAWN, "withdraw")),
)


def _close_children(change: Change, deal: Deal, final: DealState) -> None:
    """What was still waiting on a deal that reached ``final`` says so: its open invitation and offer.

    An expired deal expires them; otherwise the invitation counts as declined and the offer as withdrawn.
    """
    for kind, cls, open_status, on_expiry, otherwise in _WAITING_ON_A_DEAL:
        closed, verb = on_expiry if final is DealState.EXPIRED else otherwise
        for record in change.records(kind, parent=deal.id, state=str(open_status)):
            item = attrs.evolve(change.entity(record, cls), status=closed)
            change.replace(kind, item, expected_version=record.version, state=str(closed))
            change.audit(
                f"{kind}.{verb}",
                kind,
                record.id,
                {"deal_id": deal.id, "deal_state": str(final)},
                workspace=deal.brand_id,
            )
