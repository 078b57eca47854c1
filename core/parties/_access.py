"""Who may act for whom: the roster's scopes, who sees a deal, and on whose behalf a call is made.

The embedding app authenticates people; these rules authorise the party it maps them to. A talent manager acts
for a creator only through an accepted (active) roster entry and only within its scopes; an agency sees what its
roster's creators see; another workspace's records are none of a party's business (callers answer ``NotFound``
rather than say what exists).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..entities import Actor, Deal, PartyKind, RosterEntry, Scope

if TYPE_CHECKING:
    from .._change import View

__all__ = [
    "acts_for_creator",
    "agency_of",
    "can_see_deal",
    "on_behalf_of",
    "on_creator_side",
    "represented_creators",
    "roster_entry",
]


def on_behalf_of(actor: Actor, creator_id: str) -> str | None:
    """For the audit trail: a manager acting for a creator acts on that creator's behalf; anyone else for themself."""
    return creator_id if actor.kind is PartyKind.TALENT_MANAGER else None


def agency_of(view: View, manager_id: str) -> str:
    """The agency a talent manager works for."""
    return str(view.require("talent_manager", manager_id).doc["agency_id"])


def roster_entry(view: View, manager_id: str, creator_id: str) -> RosterEntry | None:
    """The manager's active roster entry for the creator, if any."""
    for entry in view.find("roster_entry", RosterEntry, parent=creator_id):
        if entry.manager_id == manager_id and entry.active:
            return entry
    return None


def acts_for_creator(view: View, actor: Actor, creator_id: str, scope: Scope | None) -> bool:
    """True when ``actor`` is the creator, or a manager holding ``scope`` for them (any active entry if None)."""
    if actor.kind is PartyKind.CREATOR:
        return actor.id == creator_id
    if actor.kind is PartyKind.TALENT_MANAGER:
        entry = roster_entry(view, actor.id, creator_id)
        return entry is not None and (scope is None or scope in entry.scopes)
    return False


def represented_creators(view: View, actor: Actor, creator_id: str | None = None) -> list[str]:
    """Creators on an active roster entry of ``actor`` (an agency, or a manager's own entries), sorted.

    With ``creator_id``, only that creator is looked at: the answer is ``[creator_id]`` or ``[]``.
    """
    if actor.kind is PartyKind.AGENCY:
        workspace, manager_id = actor.id, None
    elif actor.kind is PartyKind.TALENT_MANAGER:
        workspace, manager_id = agency_of(view, actor.id), actor.id
    else:
        return []
    entries = view.find("roster_entry", RosterEntry, workspace=workspace, parent=creator_id)
    return sorted({e.creator_id for e in entries if e.active and manager_id in (None, e.manager_id)})


def on_creator_side(view: View, actor: Actor, creator_id: str) -> bool:
    """The creator, a manager with an active entry for them, or the agency whose roster holds them."""
    if actor.kind is PartyKind.AGENCY:
        return bool(represented_creators(view, actor, creator_id))
    return acts_for_creator(view, actor, creator_id, None)


def can_see_deal(view: View, actor: Actor, deal: Deal) -> bool:
    """The system, the deal's brand, and the creator's side see a deal; nobody else knows it exists."""
    if actor.kind is PartyKind.SYSTEM:
        return True
    if actor.kind is PartyKind.BRAND:
        return actor.id == deal.brand_id
    return on_creator_side(view, actor, deal.creator_id)
