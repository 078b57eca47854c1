"""What every service shares: one transaction per call, with its audit events, made as a party.

A service call takes the :class:`~creatorkit.entities.Actor` doing it. The embedding app authenticates its users
and maps each to the party it acts as; services only authorise. Each call runs in one store transaction that
contains the state change *and* its audit event(s), all written through one :class:`~creatorkit._change.Change`:
it happens entirely or not at all. A refusal (``PermissionDenied``) is itself recorded, in a transaction of its
own, so the trail shows who tried what. Events are announced to plugins and listeners only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from ._change import Change, View
from .entities import Actor, PartyKind
from .errors import PermissionDenied, Problem, ValidationError

if TYPE_CHECKING:
    from ._kit import Creatorkit
    from .config import WorkflowSettings

__all__ = ["PARTY_KINDS", "Service", "aware_datetime", "require_party"]

T = TypeVar("T")

#: Store kinds of the party records, by party kind (the system and platforms act without a record).
PARTY_KINDS = {
    PartyKind.BRAND: "brand",
    PartyKind.AGENCY: "agency",
    PartyKind.TALENT_MANAGER: "talent_manager",
    PartyKind.CREATOR: "creator",
}


def require_party(view: View, actor: Actor) -> None:
    """The acting party must be registered (the system always is)."""
    if actor.kind is PartyKind.SYSTEM:
        return
    kind = PARTY_KINDS.get(actor.kind)
    if kind is None or view.get(kind, actor.id) is None:
        raise PermissionDenied(str(actor), "act", "no such party is registered")


def aware_datetime(value: object, field: str, what: str) -> datetime:
    """``value`` if it is a timezone-aware datetime, else a ValidationError naming ``field``.

    Every stored time is aware; comparing a naive one with them raises TypeError deep inside a call, so a
    datetime that comes from the caller (an argument, the kit's clock) is checked where it comes in.
    """
    if not isinstance(value, datetime):
        raise ValidationError([Problem(field, f"must be a datetime, got {type(value).__name__}")], what)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError([Problem(field, f"must be timezone-aware, got {value.isoformat()}")], what)
    return value


class Service:
    """Base of every service reached through the kit (``kit.outreach``, ``kit.contracts``, ...)."""

    #: Whether a deal this service moves has its money moved after the commit (``kit.payments`` itself: no).
    _drives_payments = True

    def __init__(self, kit: Creatorkit) -> None:
        self._kit = kit

    def _now(self) -> datetime:
        """The kit's clock, which the embedding app may have given: checked on every read of it."""
        return aware_datetime(self._kit.clock(), "clock", "kit clock")

    @property
    def _flow(self) -> WorkflowSettings:
        return self._kit.config.workflow

    def _write(self, actor: Actor, action: str, work: Callable[[Change], T]) -> T:
        """Run ``work`` in one transaction with its audit event; record refusals; announce events after commit."""
        kit = self._kit
        now = self._now()
        try:
            with kit.store._write_transaction() as tx:
                announce = kit.plugins.listening or (self._drives_payments and kit._moves_money)
                change = Change(tx, kit._entities, actor, now, kit.config.workflow, announce=announce)
                require_party(change, actor)
                result = work(change)
                if not change.audited:
                    raise AssertionError(f"service action {action!r} changed state without an audit event")
                change.flush_audit()
        except PermissionDenied as denied:
            self._record_denial(actor, action, denied, now)
            raise
        for event in change.events:
            kit.plugins.notify(event)
        if self._drives_payments and kit._moves_money:
            kit._sync_payments(change.events)
        return result

    def _read(self, actor: Actor, work: Callable[[View], T], action: str = "read") -> T:
        """Run ``work`` in a read-only transaction; a refusal is recorded like a refused write."""
        try:
            with self._kit.store._read_transaction() as tx:
                view = View(tx, self._kit._entities)
                require_party(view, actor)
                return work(view)
        except PermissionDenied as denied:
            self._record_denial(actor, denied.action or action, denied, self._now())
            raise

    def _record_denial(self, actor: Actor, action: str, denied: PermissionDenied, now: datetime) -> None:
        with self._kit.store._write_transaction() as tx:
            # PermissionDenied names its entity as "<kind> <id>": file the refusal under that entity, so it shows
            # in the entity's history and evidence bundle.
            kind, _, entity_id = (denied.entity or "").partition(" ")
            tx.append_audit(
                actor_id=str(actor),
                action=f"denied.{action}",
                entity_kind=kind if entity_id else "denial",
                entity_id=entity_id or denied.entity or "-",
                payload={"reason": denied.reason, "action": action},
                occurred_at=now,
            )
