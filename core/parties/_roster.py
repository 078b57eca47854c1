"""Talent managers' rosters and the scopes a creator grants.

An agency (or one of its managers) proposes a roster entry with scopes; it takes effect when the creator
accepts. Only the creator can grant ``sign_on_behalf``. Removing the entry — by the creator, the manager or
the agency — revokes every scope at once. Rosters hold no platform credentials: a manager works through the
creator's grants, never through the creator's login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from .._service import Service
from ..converter import coerce_enum
from ..entities import Actor, PartyKind, RosterEntry, Scope, TalentManager, new_id
from ..errors import NotFound, PermissionDenied, Problem, StateError, ValidationError
from ..store import UNCHANGED
from ._access import agency_of

if TYPE_CHECKING:
    from .._change import Change, View
    from ..store import Record

__all__ = ["RosterService"]

#: What an agency may ask for when proposing an entry; signing is the creator's grant alone.
PROPOSABLE = frozenset(Scope) - {Scope.SIGN_ON_BEHALF}


class RosterService(Service):
    def propose(
        self,
        actor: Actor,
        *,
        manager_id: str,
        creator_id: str,
        scopes: Iterable[Scope],
        agency_cut_bp: int = 0,
    ) -> RosterEntry:
        """Ask a creator to join ``manager_id``'s roster with ``scopes`` and the agency's cut of their deals
        (``agency_cut_bp`` of each release's gross); effective once the creator accepts."""
        wanted = _scopes(scopes)
        if type(agency_cut_bp) is not int or not 0 <= agency_cut_bp <= 10_000:
            problem = Problem("agency_cut_bp", f"must be between 0 and 10000 basis points, got {agency_cut_bp!r}")
            raise ValidationError([problem], "roster entry")

        def work(change: Change) -> RosterEntry:
            if Scope.SIGN_ON_BEHALF in wanted:
                raise PermissionDenied(
                    str(actor),
                    "propose_roster_entry",
                    "sign_on_behalf can only be granted by the creator (grant_signing)",
                )
            manager = change.load("talent_manager", manager_id, TalentManager)
            _agency_side(actor, manager, "propose_roster_entry")
            change.require("creator", creator_id)
            for existing in change.find("roster_entry", RosterEntry, parent=creator_id, workspace=manager.agency_id):
                if existing.manager_id == manager_id and existing.removed_at is None:
                    raise StateError(
                        f"roster entry {existing.id}",
                        "open",
                        "propose_roster_entry",
                        [],
                        "this creator already has an open entry on this roster",
                    )
            entry = RosterEntry(
                id=new_id("roster"),
                agency_id=manager.agency_id,
                manager_id=manager_id,
                creator_id=creator_id,
                scopes=wanted,
                added_at=change.now,
                agency_cut_bp=agency_cut_bp,
            )
            change.record(
                "roster_entry",
                entry,
                "roster.propose",
                workspace=manager.agency_id,
                parent=creator_id,
                state="proposed",
            )
            return entry

        return self._write(actor, "propose_roster_entry", work)

    def accept(self, actor: Actor, entry_id: str) -> RosterEntry:
        """The creator accepts the manager; the proposed scopes take effect now."""
        return self._creator_change(
            actor, entry_id, "accept_roster_entry", lambda e, now: attrs.evolve(e, accepted_at=now), state="active"
        )

    def grant_signing(self, actor: Actor, entry_id: str) -> RosterEntry:
        """The creator lets the manager sign contracts on their behalf."""
        return self._creator_change(
            actor, entry_id, "grant_signing", lambda e, now: attrs.evolve(e, scopes=e.scopes | {Scope.SIGN_ON_BEHALF})
        )

    def set_scopes(self, actor: Actor, entry_id: str, scopes: Iterable[Scope]) -> RosterEntry:
        """The creator sets exactly which scopes the manager holds (including or excluding signing)."""
        wanted = _scopes(scopes)
        return self._creator_change(actor, entry_id, "set_roster_scopes", lambda e, now: attrs.evolve(e, scopes=wanted))

    def remove(self, actor: Actor, entry_id: str) -> RosterEntry:
        """End the entry: the manager loses every scope for this creator at once."""

        def work(change: Change) -> RosterEntry:
            entry, record = _visible(change, actor, entry_id)
            if entry.removed_at is not None:
                raise StateError(f"roster entry {entry_id}", "removed", "remove_roster_entry", [])
            removed = attrs.evolve(entry, removed_at=change.now)
            change.replace("roster_entry", removed, expected_version=record.version, state="removed")
            change.audit(
                "roster.remove", "roster_entry", entry_id, {"creator_id": entry.creator_id}, workspace=entry.agency_id
            )
            change.event(
                "roster.removed", "roster_entry", entry_id, creator_id=entry.creator_id, manager_id=entry.manager_id
            )
            return removed

        return self._write(actor, "remove_roster_entry", work)

    def entries(self, actor: Actor, *, include_removed: bool = False) -> list[RosterEntry]:
        """The roster as the actor sees it: an agency's or manager's entries, or a creator's own."""

        def work(view: View) -> list[RosterEntry]:
            if actor.kind is PartyKind.CREATOR:
                found = view.find("roster_entry", RosterEntry, parent=actor.id)
            elif actor.kind is PartyKind.AGENCY:
                found = view.find("roster_entry", RosterEntry, workspace=actor.id)
            elif actor.kind is PartyKind.TALENT_MANAGER:
                entries = view.find("roster_entry", RosterEntry, workspace=agency_of(view, actor.id))
                found = [e for e in entries if e.manager_id == actor.id]
            else:
                raise PermissionDenied(str(actor), "list_roster", "brands have no roster")
            return [e for e in found if include_removed or e.removed_at is None]

        return self._read(actor, work)

    def _creator_change(
        self,
        actor: Actor,
        entry_id: str,
        action: str,
        edit: Callable[[RosterEntry, datetime], RosterEntry],
        state: str | None = None,
    ) -> RosterEntry:
        def work(change: Change) -> RosterEntry:
            entry, record = _visible(change, actor, entry_id)
            if actor.kind is not PartyKind.CREATOR:
                raise PermissionDenied(str(actor), action, "only the creator decides this", f"roster_entry {entry_id}")
            if entry.removed_at is not None:
                raise StateError(f"roster entry {entry_id}", "removed", action, [])
            changed = edit(entry, change.now)
            change.replace("roster_entry", changed, expected_version=record.version, state=state or UNCHANGED)
            change.audit(
                f"roster.{action}",
                "roster_entry",
                entry_id,
                {"scopes": sorted(map(str, changed.scopes))},
                on_behalf_of=None,
                workspace=entry.agency_id,
            )
            return changed

        return self._write(actor, action, work)


def _agency_side(actor: Actor, manager: TalentManager, action: str) -> None:
    if actor.kind is PartyKind.AGENCY and actor.id == manager.agency_id:
        return
    if actor.kind is PartyKind.TALENT_MANAGER and actor.id == manager.id:
        return
    raise PermissionDenied(str(actor), action, f"only agency {manager.agency_id} or the manager may do this")


def _visible(change: Change, actor: Actor, entry_id: str) -> tuple[RosterEntry, Record]:
    """The entry and its record, or NotFound when it does not exist or is none of the actor's business."""
    record = change.get("roster_entry", entry_id)
    if record is None:
        raise NotFound("roster_entry", entry_id)
    entry = change.entity(record, RosterEntry)
    allowed = (
        (actor.kind is PartyKind.CREATOR and actor.id == entry.creator_id)
        or (actor.kind is PartyKind.AGENCY and actor.id == entry.agency_id)
        or (actor.kind is PartyKind.TALENT_MANAGER and actor.id == entry.manager_id)
    )
    if not allowed:
        raise NotFound("roster_entry", entry_id)
    return entry, record


def _scopes(scopes: Iterable[Scope]) -> frozenset[Scope]:
    return frozenset(coerce_enum(Scope, s, "scopes", what="roster entry") for s in scopes)
