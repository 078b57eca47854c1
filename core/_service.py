"""What every service shares: the acting party, one transaction per call with its audit event, and access rules.

A service call takes the :class:`Actor` doing it. The embedding app authenticates its users and maps each to
the party it acts as; services only authorise. Each call runs in one store transaction that contains the state
change *and* its audit event(s): it happens entirely or not at all. A refusal (``PermissionDenied``) is itself
recorded, in a transaction of its own, so the trail shows who tried what. Events are announced to plugins and
listeners only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._memo import trim_oldest
from .converter import structure, unstructure, unstructure_evolved
from .entities import Actor, Deal, Event, PartyKind, RosterEntry, Scope
from .errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from ._kit import Creatorkit
    from .store import Record, Transaction
    from .workflow._states import Role, Transition

__all__ = ["Change", "Service"]

_ENTITY_CACHE_SIZE = 4096

#: (kind, id, version) → (the stored document, the entity built from it); see Service.entity.
EntityCache = dict[tuple[str, str, int], tuple[dict[str, Any], Any]]


def cached_entity(cache: EntityCache, record: Record, cls: type[E]) -> E:
    hit = cache.get((record.kind, record.id, record.version))
    if hit is not None and type(hit[1]) is cls and (hit[0] is record.doc or hit[0] == record.doc):
        entity: E = hit[1]
        return entity
    built = structure(record.doc, cls)
    remember(cache, record.kind, record.id, record.version, record.doc, built)
    return built


def remember(cache: EntityCache, kind: str, id: str, version: int, doc: dict[str, Any], entity: Any) -> None:
    cache[(kind, id, version)] = (doc, entity)
    trim_oldest(cache, _ENTITY_CACHE_SIZE)


T = TypeVar("T")
E = TypeVar("E")


#: Store kinds of the party records, by party kind.
PARTY_KINDS = {
    PartyKind.BRAND: "brand",
    PartyKind.AGENCY: "agency",
    PartyKind.TALENT_MANAGER: "talent_manager",
    PartyKind.CREATOR: "creator",
}


class Change:
    """The writes of one service call: its transaction, audit entries and the events to announce after commit."""

    def __init__(
        self,
        tx: Transaction,
        actor: Actor,
        now: datetime,
        cache: EntityCache | None = None,
        *,
        announce: bool = True,
    ) -> None:
        self.tx = tx
        self.actor = actor
        self.now = now
        self.cache: EntityCache = {} if cache is None else cache
        # False when no plugin or listener hears events: event() then builds nothing.
        self.announce = announce
        self.events: list[Event] = []
        self._audit: list[dict[str, Any]] = []
        # id(entity) -> (entity, its stored document) for what this change wrote; see document().
        self._docs: dict[int, tuple[Any, dict[str, Any]]] = {}

    @property
    def audited(self) -> bool:
        return bool(self._audit)

    def audit(
        self,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        *,
        on_behalf_of: str | None = None,
        workspace: str | None = None,
    ) -> None:
        # Appended at the end of the transaction (flush_audit): in PostgreSQL the first append locks the chain's
        # head row until commit, so appending last keeps two transactions from deadlocking on head and document.
        self._audit.append(
            {
                "actor_id": str(self.actor),
                "action": action,
                "entity_kind": entity_kind,
                "entity_id": entity_id,
                "payload": payload,
                "on_behalf_of": on_behalf_of,
                "workspace_id": workspace,
                "occurred_at": self.now,
            }
        )

    def as_actor(self, actor: Actor) -> Change:
        """The same change, acting as ``actor`` (e.g. the system executing a contract its signer completed).

        Writes, audit entries and events all stay in this call's one transaction, in order.
        """
        other = Change(self.tx, actor, self.now, self.cache, announce=self.announce)
        other.events = self.events
        other._audit = self._audit
        other._docs = self._docs
        return other

    def document(self, entity: Any) -> dict[str, Any]:
        """``entity`` as plain data: the very document stored if this change wrote it, else converted now.

        An audit payload is often the record just stored; converting it once keeps the two identical and
        saves a second conversion.
        """
        known = self._docs.get(id(entity))
        if known is not None and known[0] is entity:
            return known[1]
        doc: dict[str, Any] = unstructure(entity)
        return doc

    def flush_audit(self) -> None:
        self.tx.append_audits(self._audit)

    def event(self, name: str, entity_kind: str, entity_id: str, **data: Any) -> None:
        if not self.announce:
            return
        self.events.append(
            Event(
                name=name,
                entity_kind=entity_kind,
                entity_id=entity_id,
                occurred_at=self.now,
                actor_id=str(self.actor),
                data=data,
            )
        )

    # -- entity persistence ------------------------------------------------------------------------------------

    def insert(
        self,
        kind: str,
        entity: Any,
        *,
        workspace: str | None = None,
        parent: str | None = None,
        state: str | None = None,
        document: dict[str, Any] | None = None,
    ) -> None:
        """Store a new entity; ``document`` is its unstructured form when the caller has already built it."""
        doc = unstructure(entity) if document is None else document
        record = self.tx.insert(kind, entity.id, doc, workspace=workspace, parent=parent, state=state, now=self.now)
        remember(self.cache, record.kind, record.id, record.version, doc, entity)
        self._docs[id(entity)] = (entity, doc)

    def record(
        self,
        kind: str,
        entity: Any,
        action: str,
        *,
        workspace: str | None,
        parent: str | None = None,
        state: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Store a new entity and audit ``action`` on it, the stored document as the payload.

        The audit trail then holds the record as it was written, which is what verification and an evidence
        export compare the stored one against.
        """
        self.insert(kind, entity, workspace=workspace, parent=parent, state=state)
        self.audit(action, kind, entity.id, self.document(entity), on_behalf_of=on_behalf_of, workspace=workspace)

    def replace(self, kind: str, entity: Any, *, expected_version: int, **changes: Any) -> int:
        """Write ``entity`` over the stored version ``expected_version`` (ConflictError if it moved); new version."""
        doc = self._document_over(kind, entity, expected_version)
        record = self.tx.update(kind, entity.id, doc, expected_version=expected_version, now=self.now, **changes)
        remember(self.cache, kind, entity.id, record.version, doc, entity)
        self._docs[id(entity)] = (entity, doc)
        return record.version

    def _document_over(self, kind: str, entity: Any, expected_version: int) -> dict[str, Any]:
        """``entity``'s document, converting only what differs from the version it replaces when that is cached."""
        before = self.cache.get((kind, entity.id, expected_version))
        if before is not None and type(before[1]) is type(entity):
            return unstructure_evolved(entity, before[1], before[0])
        doc: dict[str, Any] = unstructure(entity)
        return doc

    def load(self, kind: str, id: str, cls: type[E]) -> E:
        return cached_entity(self.cache, self.tx.require(kind, id), cls)

    def find(self, kind: str, cls: type[E], **filters: Any) -> list[E]:
        return [cached_entity(self.cache, record, cls) for record in self.tx.find(kind, **filters)]

    def save_deal(self, deal: Deal, *, expected_version: int) -> Deal:
        """Write ``deal`` over version ``expected_version``; a concurrent writer makes this a ConflictError."""
        saved = deal
        if deal.version != expected_version + 1 or deal.updated_at != self.now:
            saved = attrs.evolve(deal, version=expected_version + 1, updated_at=self.now)
        doc = self._document_over("deal", saved, expected_version)
        self.tx.update("deal", deal.id, doc, expected_version=expected_version, state=str(saved.state), now=self.now)
        # What this call wrote is what the next one reads: keep the entity so it need not be rebuilt.
        remember(self.cache, "deal", deal.id, saved.version, doc, saved)
        return saved


def on_behalf_of(actor: Actor, creator_id: str) -> str | None:
    """For the audit trail: a manager acting for a creator acts on that creator's behalf; anyone else for themself."""
    return creator_id if actor.kind is PartyKind.TALENT_MANAGER else None


class Service:
    """Base of every service module: access to the kit, its store, its clock and its plugins."""

    def __init__(self, kit: Creatorkit) -> None:
        self.kit = kit

    @property
    def now(self) -> datetime:
        return self.kit.clock()

    def entity(self, record: Record, cls: type[E]) -> E:
        """The entity a stored record holds, built once per (record, version) and reused while it is unchanged.

        Rebuilding entities with cattrs dominated the cost of a service call. An entry is reused only when the
        stored document equals the one it was built from, so a version number reused after a rolled-back write
        (or a row changed underneath) is never served stale.
        """
        return cached_entity(self.kit.entity_cache, record, cls)

    def days(self, n: int) -> datetime:
        return self.now + timedelta(days=n)

    def _write(self, actor: Actor, action: str, work: Callable[[Change], T]) -> T:
        """Run ``work`` in one transaction with its audit event; record refusals; announce events after commit."""
        now = self.now
        try:
            with self.kit.store.transaction() as tx:
                change = Change(tx, actor, now, self.kit.entity_cache, announce=self.kit.plugins.listening)
                self.check_actor(tx, actor)
                result = work(change)
                if not change.audited:
                    raise AssertionError(f"service action {action!r} changed state without an audit event")
                change.flush_audit()
        except PermissionDenied as denied:
            self._record_denial(actor, action, denied, now)
            raise
        for event in change.events:
            self.kit.plugins.notify(event)
        return result

    def _read(self, actor: Actor, work: Callable[[Transaction], T], action: str = "read") -> T:
        """Run ``work`` in a read-only transaction; a refusal is recorded like a refused write."""
        try:
            with self.kit.store.read() as tx:
                self.check_actor(tx, actor)
                return work(tx)
        except PermissionDenied as denied:
            self._record_denial(actor, denied.action or action, denied, self.now)
            raise

    def _record_denial(self, actor: Actor, action: str, denied: PermissionDenied, now: datetime) -> None:
        with self.kit.store.transaction() as tx:
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

    # -- who is acting -----------------------------------------------------------------------------------------

    def check_actor(self, tx: Transaction, actor: Actor) -> None:
        """The acting party must exist (the system always does)."""
        if actor.kind is PartyKind.SYSTEM:
            return
        known = self.kit.known_parties
        if actor in known:
            return  # parties are never deleted: once seen, a party exists
        kind = PARTY_KINDS.get(actor.kind)
        if kind is None or tx.get(kind, actor.id) is None:
            raise PermissionDenied(str(actor), "act", "no such party is registered")
        known.add(actor)

    def roster_entry(self, tx: Transaction, manager_id: str, creator_id: str) -> RosterEntry | None:
        """The manager's active roster entry for the creator, if any."""
        for record in tx.find("roster_entry", parent=creator_id):
            entry = self.entity(record, RosterEntry)
            if entry.manager_id == manager_id and entry.active:
                return entry
        return None

    def acts_for_creator(self, tx: Transaction, actor: Actor, creator_id: str, scope: Scope | None) -> bool:
        """True when ``actor`` is the creator, or a manager holding ``scope`` for them (any active entry if None)."""
        if actor.kind is PartyKind.CREATOR:
            return actor.id == creator_id
        if actor.kind is PartyKind.TALENT_MANAGER:
            entry = self.roster_entry(tx, actor.id, creator_id)
            return entry is not None and (scope is None or scope in entry.scopes)
        return False

    def can_see_deal(self, tx: Transaction, actor: Actor, deal: Deal) -> bool:
        if actor.kind is PartyKind.SYSTEM:
            return True
        if actor.kind is PartyKind.BRAND:
            return actor.id == deal.brand_id
        if actor.kind is PartyKind.AGENCY:
            return bool(self.represented_creators(tx, actor, deal.creator_id))
        return self.acts_for_creator(tx, actor, deal.creator_id, None)

    def represented_creators(self, tx: Any, actor: Actor, creator_id: str | None = None) -> list[str]:
        """Creators on an active roster entry of ``actor`` (an agency, or a manager's own entries), sorted.

        With ``creator_id``, only that creator is looked at: the answer is ``[creator_id]`` or ``[]``.
        """
        if actor.kind is PartyKind.AGENCY:
            workspace, manager_id = actor.id, None
        elif actor.kind is PartyKind.TALENT_MANAGER:
            workspace, manager_id = tx.require("talent_manager", actor.id).doc["agency_id"], actor.id
        else:
            return []
        entries = [self.entity(r, RosterEntry) for r in tx.find("roster_entry", workspace=workspace, parent=creator_id)]
        return sorted({e.creator_id for e in entries if e.active and manager_id in (None, e.manager_id)})

    def load_deal(self, tx: Transaction, actor: Actor, deal_id: str) -> tuple[Deal, Record]:
        """The deal and its record, or NotFound when it does not exist or the actor may not see it."""
        record = tx.get("deal", deal_id)
        if record is None:
            raise NotFound("deal", deal_id)
        # The record's version is the concurrency token; the copy inside the document is informational.
        deal = self.entity(record, Deal)
        if deal.version != record.version:
            deal = attrs.evolve(deal, version=record.version)
        if not self.can_see_deal(tx, actor, deal):
            # Another workspace's deal: say it does not exist rather than that it is forbidden.
            raise NotFound("deal", deal_id)
        return deal, record

    def role_in(self, tx: Transaction, actor: Actor, deal: Deal, transition: Transition, action: str) -> Role:
        """The role ``actor`` plays for ``transition`` on ``deal``, or PermissionDenied naming the rule."""
        from .workflow._states import Role

        entity = f"deal {deal.id}"
        if actor.kind is PartyKind.SYSTEM:
            role = Role.SYSTEM
        elif actor.kind is PartyKind.BRAND and actor.id == deal.brand_id:
            role = Role.BRAND
        elif actor.kind is PartyKind.CREATOR and actor.id == deal.creator_id:
            role = Role.CREATOR
        elif actor.kind is PartyKind.TALENT_MANAGER and self.acts_for_creator(tx, actor, deal.creator_id, None):
            if transition.scope is not None and not self.acts_for_creator(tx, actor, deal.creator_id, transition.scope):
                raise PermissionDenied(
                    str(actor),
                    action,
                    f"the roster entry for {deal.creator_id} lacks the {transition.scope} scope",
                    entity,
                )
            role = Role.CREATOR
        else:
            raise PermissionDenied(str(actor), action, "not a party to this deal", entity)
        if role not in transition.by:
            allowed = ", ".join(sorted(transition.by))
            raise PermissionDenied(str(actor), action, f"only {allowed} may {action} a deal", entity)
        return role


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def first(items: Sequence[T]) -> T | None:
    return items[0] if items else None
