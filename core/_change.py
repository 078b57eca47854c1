"""The one write path of every service call, and what a call reads through.

A :class:`View` is what a call sees of the store: the records of one transaction and the entities they hold.
A :class:`Change` is a :class:`View` that also writes: every document a service stores, and every audit event,
goes through it, so that a state change and its record in the audit trail are one thing, written in one
transaction. Services never write to the transaction themselves. The store records each document the call wrote
(its version and digest) in the call's events, which is what lets verification hold the current state to the
trail.

Building entities from stored documents (cattrs) was the largest cost of a service call, so a view serves
each stored version's entity from an :class:`EntityCache` shared by the kit, and keeps there what is derived
from a document and costly to compute again (a contract's content hash).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._memo import trim_oldest
from .converter import structure, unstructure, unstructure_evolved
from .entities import Actor, AuditEvent, Deal, Event
from .store import UNCHANGED, Record

if TYPE_CHECKING:
    from .config import WorkflowSettings
    from .store import AcceptedEvent, Order, Transaction
    from .store._documents import _Unchanged

__all__ = ["Change", "EntityCache", "View"]

E = TypeVar("E")
T = TypeVar("T")

#: (kind, id, version) → (the stored document, the entity built from it, what was derived from the document).
_Entry = tuple[dict[str, Any], Any, dict[str, Any]]


class EntityCache:
    """Entities built from stored records, reused while the stored document is the one they were built from.

    Keyed by (kind, id, version); an entry is served only when the stored document equals the one it was built
    from, so a version number reused after a rolled-back write, or a row changed underneath the SDK, is never
    served stale. Shared by every thread of one kit: lookups need no lock, additions take one.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[tuple[str, str, int], _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def entity(self, record: Record, cls: type[E]) -> E:
        """The ``cls`` entity ``record`` holds, built once per stored version."""
        hit = self._entries.get((record.kind, record.id, record.version))
        if hit is not None and type(hit[1]) is cls and (hit[0] is record.doc or hit[0] == record.doc):
            entity: E = hit[1]
            return entity
        built = structure(record.doc, cls)
        self.remember(record.kind, record.id, record.version, record.doc, built)
        return built

    def remember(
        self, kind: str, id: str, version: int, doc: dict[str, Any], entity: Any, derived: dict[str, Any] | None = None
    ) -> None:
        """``entity`` is what ``doc``, stored as ``kind`` ``id`` at ``version``, holds."""
        with self._lock:
            self._entries[(kind, id, version)] = (doc, entity, {} if derived is None else derived)
            trim_oldest(self._entries, self.size)

    def built(self, kind: str, id: str, version: int) -> tuple[dict[str, Any], Any] | None:
        """(document, entity) remembered for that stored version, if any: what an update is evolved from."""
        hit = self._entries.get((kind, id, version))
        return None if hit is None else (hit[0], hit[1])

    def derived(self, record: Record, name: str, compute: Callable[[dict[str, Any]], T]) -> T:
        """``compute(record.doc)``, remembered with the record's entity while the stored document is the same object.

        A document read anew (after another writer, from another connection) is another object and is computed
        again: what is remembered is never a claim about a document that was not itself looked at.
        """
        hit = self._entries.get((record.kind, record.id, record.version))
        if hit is not None and hit[0] is record.doc:
            if name in hit[2]:
                known: T = hit[2][name]
                return known
            value = compute(record.doc)
            hit[2][name] = value
            return value
        return compute(record.doc)


class View:
    """What one service call reads: its transaction's records, and the entities they hold."""

    __slots__ = ("_cache", "_tx")

    def __init__(self, tx: Transaction, cache: EntityCache) -> None:
        self._tx = tx
        self._cache = cache

    # -- records ---------------------------------------------------------------------------------------------

    def get(self, kind: str, id: str) -> Record | None:
        return self._tx.get(kind, id)

    def require(self, kind: str, id: str) -> Record:
        """The record, or :class:`~creatorkit.errors.NotFound`."""
        return self._tx.require(kind, id)

    def records(
        self,
        kind: str,
        *,
        workspace: str | Sequence[str] | None = None,
        parent: str | None = None,
        state: str | Sequence[str] | None = None,
        order: Order = "created",
    ) -> list[Record]:
        """Records of ``kind`` matching every filter given, oldest first (see :meth:`Transaction.find`)."""
        return self._tx.find(kind, workspace=workspace, parent=parent, state=state, order=order)

    def audit_for(self, entity_ids: Sequence[str]) -> list[AuditEvent]:
        return self._tx.audit_for(entity_ids=entity_ids)

    def accepted_webhook_events(self, source: str, event_ids: Sequence[str]) -> list[AcceptedEvent]:
        """The webhook events among ``event_ids`` of ``source`` that the core has already accepted."""
        return self._tx.accepted_webhook_events(source, event_ids)

    @property
    def ledger(self) -> Transaction:
        """This call's transaction, for the ledger's tables (``creatorkit.ledger`` alone reads and writes them).

        Read-only in a :class:`View`; in a :class:`Change` the ledger service audits every entry it writes there.
        """
        return self._tx

    @property
    def catalog(self) -> Transaction:
        """This call's transaction, for the local catalog's tables (``kit.catalog`` alone reads and writes them)."""
        return self._tx

    # -- entities --------------------------------------------------------------------------------------------

    def entity(self, record: Record, cls: type[E]) -> E:
        return self._cache.entity(record, cls)

    def load(self, kind: str, id: str, cls: type[E]) -> E:
        """The stored entity, or :class:`~creatorkit.errors.NotFound`."""
        return self._cache.entity(self._tx.require(kind, id), cls)

    def find(
        self,
        kind: str,
        cls: type[E],
        *,
        workspace: str | Sequence[str] | None = None,
        parent: str | None = None,
        state: str | Sequence[str] | None = None,
    ) -> list[E]:
        """Entities of ``kind`` matching every filter given, oldest first."""
        entity = self._cache.entity
        return [entity(r, cls) for r in self._tx.find(kind, workspace=workspace, parent=parent, state=state)]

    def derived(self, record: Record, name: str, compute: Callable[[dict[str, Any]], T]) -> T:
        """What ``compute`` derives from the record's document, remembered with its entity (see EntityCache)."""
        return self._cache.derived(record, name, compute)


class Change(View):
    """The writes of one service call: its documents, its audit events, and the events to announce after commit.

    Audit entries are appended when the call's work is done (:meth:`flush_audit`): in PostgreSQL the first
    append locks the chain's head row until commit, so appending last keeps two transactions from deadlocking
    on head and document.
    """

    __slots__ = ("_audit", "_docs", "_rotated", "actor", "announce", "events", "flow", "now")

    def __init__(
        self,
        tx: Transaction,
        cache: EntityCache,
        actor: Actor,
        now: datetime,
        flow: WorkflowSettings,
        *,
        announce: bool = True,
    ) -> None:
        super().__init__(tx, cache)
        self.actor = actor
        self.now = now
        #: The deadlines and review rule the call runs under (``[workflow]`` in the config).
        self.flow = flow
        # False when no plugin or listener hears events: event() then builds nothing.
        self.announce = announce
        self.events: list[Event] = []
        self._audit: list[dict[str, Any]] = []
        # id(entity) -> (entity, its stored document) for what this change wrote; see document().
        self._docs: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._rotated = False

    @property
    def audited(self) -> bool:
        return bool(self._audit) or self._rotated

    def as_actor(self, actor: Actor) -> Change:
        """The same change, acting as ``actor`` (e.g. the system executing a contract its signer completed).

        Writes, audit entries and events all stay in this call's one transaction, in order.
        """
        other = Change(self._tx, self._cache, actor, self.now, self.flow, announce=self.announce)
        other.events = self.events
        other._audit = self._audit
        other._docs = self._docs
        return other

    # -- the audit trail and events --------------------------------------------------------------------------

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
        """Record ``action`` on an entity in the audit trail, in this call's transaction."""
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

    def flush_audit(self) -> None:
        """Append this call's audit events; the store covers in them every document the call wrote."""
        self._tx.append_audits(self._audit)

    def rotate_audit_key(self) -> AuditEvent | None:
        """Rotate the trail to the store's current key now: its ``audit.key_rotated`` event, or None if not due.

        The store appends a rotation on its own at the first write under a new key; this makes it the whole call
        (write nothing else in it: the rotation is appended at once, and PostgreSQL then holds the head's lock).
        """
        self._rotated = True
        return self._tx._rotate_audit_key(self.now)

    def event(self, name: str, entity_kind: str, entity_id: str, **data: Any) -> None:
        """Announce ``name`` to plugins and listeners once the call has committed."""
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

    # -- webhook events ----------------------------------------------------------------------------------------

    def accept_webhook_event(self, event: AcceptedEvent) -> bool:
        """Record a webhook event as accepted, for the caller to audit; False, writing nothing, if it already was."""
        return self._tx.record_webhook_event(event)

    # -- documents -------------------------------------------------------------------------------------------

    def lock(self, kind: str, id: str) -> Record | None:
        """The record, locked against every other ``lock`` of it until this call's transaction ends.

        For work that must happen once whoever asks (renewing a token): the others wait here, then read what the
        first committed. See :meth:`Transaction.get_for_update` for what each dialect locks.
        """
        return self._tx.get_for_update(kind, id)

    def insert(
        self,
        kind: str,
        entity: Any,
        *,
        key: str | None = None,
        workspace: str | None = None,
        parent: str | None = None,
        state: str | None = None,
        subject: str | None = None,
        document: dict[str, Any] | None = None,
        derived: dict[str, Any] | None = None,
    ) -> None:
        """Store a new entity under ``key`` (default: its id); ``document`` is its plain form if already built.

        ``subject`` is what it is of besides its parent (a deal's brief), for the database's unique rules.
        """
        doc = unstructure(entity) if document is None else document
        record = self._tx.insert(
            kind, key or entity.id, doc, workspace=workspace, parent=parent, state=state, subject=subject, now=self.now
        )
        self._cache.remember(record.kind, record.id, record.version, doc, entity, derived)
        self._docs[id(entity)] = (entity, doc)

    def record(
        self,
        kind: str,
        entity: Any,
        action: str,
        *,
        workspace: str | None,
        key: str | None = None,
        parent: str | None = None,
        state: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Store a new entity and audit ``action`` on it, the stored document as the payload.

        The audit trail then holds the record as it was written, which is what verification and an evidence
        export compare the stored one against.
        """
        self.insert(kind, entity, key=key, workspace=workspace, parent=parent, state=state)
        self.audit(
            action, kind, key or entity.id, self.document(entity), on_behalf_of=on_behalf_of, workspace=workspace
        )

    def replace(
        self,
        kind: str,
        entity: Any,
        *,
        expected_version: int,
        key: str | None = None,
        state: str | _Unchanged | None = UNCHANGED,
        document: dict[str, Any] | None = None,
    ) -> int:
        """Write ``entity`` over the stored version ``expected_version`` (ConflictError if it moved); new version.

        ``document`` is the exact document to store, when the stored one must change only where the caller says
        (a contract's status: its other fields are covered by its signatures, byte for byte).
        """
        record_id = key or entity.id
        doc = self._document_over(kind, record_id, entity, expected_version) if document is None else document
        record = self._tx.update(kind, record_id, doc, expected_version=expected_version, state=state, now=self.now)
        self._cache.remember(kind, record_id, record.version, doc, entity)
        self._docs[id(entity)] = (entity, doc)
        return record.version

    def keep(
        self, kind: str, key: str, entity: Any, *, workspace: str | None, parent: str | None, state: str | None
    ) -> None:
        """Store ``entity`` under ``key``, over whatever version is stored there (a snapshot refreshed)."""
        existing = self._tx.get(kind, key)
        if existing is None:
            self.insert(kind, entity, key=key, workspace=workspace, parent=parent, state=state)
        else:
            self.replace(kind, entity, key=key, expected_version=existing.version)

    def save_deal(self, deal: Deal, *, expected_version: int) -> Deal:
        """Write ``deal`` over version ``expected_version``; a concurrent writer makes this a ConflictError."""
        saved = deal
        if deal.version != expected_version + 1 or deal.updated_at != self.now:
            saved = attrs.evolve(deal, version=expected_version + 1, updated_at=self.now)
        doc = self._document_over("deal", deal.id, saved, expected_version)
        self._tx.update("deal", deal.id, doc, expected_version=expected_version, state=str(saved.state), now=self.now)
        # What this call wrote is what the next one reads: keep the entity so it need not be rebuilt.
        self._cache.remember("deal", deal.id, saved.version, doc, saved)
        return saved

    def _document_over(self, kind: str, record_id: str, entity: Any, expected_version: int) -> dict[str, Any]:
        """``entity``'s document, converting only what differs from the version it replaces when that is known."""
        before = self._cache.built(kind, record_id, expected_version)
        if before is not None and type(before[1]) is type(entity):
            return unstructure_evolved(entity, before[1], before[0])
        doc: dict[str, Any] = unstructure(entity)
        return doc
