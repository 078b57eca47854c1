"""What every store does, whatever the database: transactions, documents, the audit chain, migrations.

A dialect (:mod:`.sqlite`, :mod:`.postgres`) supplies its connections, its transaction boundaries and how
it encodes JSON and timestamps; the SQL and the rules live here, once.
"""

from __future__ import annotations

import abc
import enum
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import orjson

from .._memo import trim_oldest
from ..audit._chain import GENESIS, check_field, event_hash, format_occurred_at, payload_hash
from ..entities._audit import AuditEvent
from ..errors import ConflictError, NotFound, Problem, StoreError, ValidationError
from . import _migrations as migrations

__all__ = ["UNCHANGED", "Known", "Order", "Record", "Store", "Transaction", "mask_url"]


class _Unchanged(enum.Enum):
    TOKEN = "unchanged"

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged.TOKEN
"""Default of :meth:`Transaction.update`'s ``state``: keep the stored state."""

Order = Literal["created", "-created", "updated", "-updated", "id"]
# Ties on the timestamp (several records written in one transaction share it) fall back to insertion order:
# SQLite's rowid, PostgreSQL's identity column ``seq``.
_ORDER_SQL: Final[dict[str, str]] = {
    "created": "created_at, {seq}",
    "-created": "created_at DESC, {seq} DESC",
    "updated": "updated_at, {seq}",
    "-updated": "updated_at DESC, {seq} DESC",
    "id": "id",
}
_INSERTION_ORDER: Final[dict[str, str]] = {"sqlite": "rowid", "postgresql": "seq"}
_ORDER_BY: Final[dict[str, dict[str, str]]] = {
    dialect: {order: sql.format(seq=seq) for order, sql in _ORDER_SQL.items()}
    for dialect, seq in _INSERTION_ORDER.items()
}

_DOC_COLUMNS = "kind, id, workspace, parent, state, version, doc, created_at, updated_at"
_Key = tuple[str, str]  # (kind, id)
#: Documents a connection keeps in its cache of committed ones; the oldest go first beyond this.
RECORD_CACHE_SIZE: Final = 20_000
_AUDIT_COLUMNS = (
    "sequence, actor_id, action, entity_kind, entity_id, payload_hash, occurred_at, prev_hash, hash, "
    "on_behalf_of, workspace_id"
)


# The stdlib encoder, built once (json.dumps with any option builds a new one per call), for what orjson refuses.
_stdlib_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(doc: dict[str, Any]) -> str:
    """A document as compact JSON text. orjson is several times faster than the stdlib on every write.

    What orjson refuses (keys that are not strings, integers beyond 64 bits) the stdlib writes as before.
    NaN and the infinities are not JSON: entities refuse them; in a raw document orjson writes them as null.
    """
    try:
        return orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        return _stdlib_dumps(doc)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError([Problem(name, "must be timezone-aware")], what="store timestamp")
    return moment


@attrs.frozen
class Record:
    """One stored document with its bookkeeping; ``version`` starts at 1 and grows by one per update.

    ``doc`` may be shared with the store's cache of committed documents: treat it as read-only and write
    changes as a new dict (``{**record.doc, "price": 500}``).
    """

    kind: str
    id: str
    workspace: str | None
    parent: str | None
    state: str | None
    version: int
    doc: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Known:
    """What one connection knows of the committed database: documents it has read or written, and the audit head.

    Trusted only while no other connection commits; the dialect checks that as each transaction begins
    (see :meth:`Store._valid_cache`).
    """

    __slots__ = ("audit_head", "records")

    def __init__(self) -> None:
        self.records: dict[_Key, Record] = {}
        self.audit_head: tuple[int, str] | None = None


def mask_url(url: str) -> str:
    """``url`` with any password (in the authority or a ``password=`` query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key.lower() == "password" for key, _ in pairs):
        query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret; keep the spelling (urlunsplit would drop sqlite:///'s empty authority)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Transaction:
    """Reads and writes inside one database transaction; obtained from :meth:`Store.transaction`.

    Valid only inside its ``with`` block. A read-only transaction (:meth:`Store.read`) refuses writes.
    The dialect subclass sets the placeholder style and how documents and timestamps are encoded.
    """

    _P: ClassVar[str] = "?"
    _LOCK_HEAD: ClassVar[str] = ""  # appended to the head query to serialize appends, where needed
    # An SQL expression giving an event's hash encoding (creatorkit.audit) as UTF-8 bytes, built by the
    # database so that verifying fetches one value per event instead of ten.
    _AUDIT_MATERIAL: ClassVar[str]

    __slots__ = (
        "_cache",
        "_closed",
        "_conn",
        "_cur",
        "_deferred",
        "_head",
        "_head_dirty",
        "_known_state",
        "_readonly",
        "_written",
        "store",
    )

    # The statements every write sends, spelled once per dialect (see __init_subclass__).
    _SQL_GET: ClassVar[str]
    _SQL_INSERT: ClassVar[str]
    _SQL_UPDATE_KNOWN: ClassVar[str]
    _SQL_HEAD: ClassVar[str]
    _SQL_INSERT_AUDIT: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        p, doc = cls._P, cls._DOC_PARAM
        cls._SQL_GET = f"SELECT {_DOC_COLUMNS} FROM documents WHERE kind = {p} AND id = {p}"
        cls._SQL_INSERT = (
            f"INSERT INTO documents ({_DOC_COLUMNS}) VALUES ({p}, {p}, {p}, {p}, {p}, 1, {doc}, {p}, {p})"
            " ON CONFLICT (kind, id) DO NOTHING"
        )
        cls._SQL_UPDATE_KNOWN = (
            f"UPDATE documents SET doc = {doc}, updated_at = {p}, version = {p}, state = {p}"
            f" WHERE kind = {p} AND id = {p} AND version = {p}"
        )
        cls._SQL_HEAD = f"UPDATE audit_head SET sequence = {p}, hash = {p} WHERE id = 1"
        cls._SQL_INSERT_AUDIT = f"INSERT INTO audit_events ({_AUDIT_COLUMNS}) VALUES ({', '.join([p] * 11)})"

    def __init__(self, store: Store, conn: Any, readonly: bool, known: Known | None = None) -> None:
        self.store = store
        self._conn = conn
        self._cur: Any = conn.cursor()
        self._readonly = readonly
        self._closed = False
        self._head: tuple[int, str] | None = None
        self._head_dirty = False
        # What this connection knows of the committed database, when the dialect can tell it is still current
        # (see Store._valid_cache); None means every read goes to the database.
        self._known_state = known
        self._cache = None if known is None else known.records
        # Documents this transaction wrote, as they now stand: served to its own reads, merged into the cache
        # after the commit, dropped on rollback.
        self._written: dict[_Key, Record] = {}
        # Updates not yet sent to the database, with the version the row has there: several changes of one
        # document in a call (a deal moving through two states) become one UPDATE, sent before any query that
        # could see the row and at the latest when the transaction finishes.
        self._deferred: dict[_Key, int] = {}

    # --- dialect hooks ----------------------------------------------------------------------------
    def _encode_time(self, moment: datetime) -> Any:
        raise NotImplementedError

    def _decode_time(self, value: Any) -> datetime:
        raise NotImplementedError

    def _as_stored(self, moment: datetime) -> datetime:
        """``moment`` as the database gives it back once stored (its precision, UTC)."""
        return self._decode_time(self._encode_time(moment))

    def _decode_doc(self, value: Any) -> dict[str, Any]:
        raise NotImplementedError

    _DOC_PARAM: ClassVar[str] = "?"  # how the JSON text parameter is written in SQL (e.g. a cast)

    # --- plumbing ---------------------------------------------------------------------------------
    def _check(self, write: bool) -> None:
        if self._closed:
            raise StoreError("the transaction is over; use the store inside its `with` block")
        if write and self._readonly:
            raise StoreError("a read-only transaction (store.read()) cannot write")

    def _record(self, row: Sequence[Any]) -> Record:
        decode = self._decode_time
        return Record(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            self._decode_doc(row[6]),
            decode(row[7]),
            decode(row[8]),
        )

    def _event(self, row: Sequence[Any]) -> AuditEvent:
        return AuditEvent(
            sequence=row[0],
            actor_id=row[1],
            action=row[2],
            entity_kind=row[3],
            entity_id=row[4],
            payload_hash=row[5],
            occurred_at=datetime.fromisoformat(row[6]),
            prev_hash=row[7],
            hash=row[8],
            on_behalf_of=row[9],
            workspace_id=row[10],
        )

    def _in(self, column: str, values: str | Sequence[str], params: list[Any]) -> str:
        if isinstance(values, str):
            params.append(values)
            return f"{column} = {self._P}"
        params.extend(values)
        return f"{column} IN ({', '.join([self._P] * len(values))})"

    def _flush_deferred(self) -> None:
        """Send the deferred updates, each checked against the version the row had when it was deferred."""
        if not self._deferred:
            return
        deferred, self._deferred = self._deferred, {}
        sql = self._SQL_UPDATE_KNOWN
        encode = self._encode_time
        for key, stored_version in deferred.items():
            record = self._written[key]
            self._cur.execute(
                sql,
                (
                    _dumps(record.doc),
                    encode(record.updated_at),
                    record.version,
                    record.state,
                    record.kind,
                    record.id,
                    stored_version,
                ),
            )
            if self._cur.rowcount != 1:
                raise ConflictError(f"{record.kind} {record.id}", expected_version=stored_version, actual_version=None)

    def _finish(self) -> None:
        """Write what was deferred to commit time (updates, the audit head), then refuse further use."""
        self._flush_deferred()
        if self._head_dirty and self._head is not None:
            self._cur.execute(self._SQL_HEAD, self._head)
            self._head_dirty = False

    # --- documents --------------------------------------------------------------------------------
    def _known(self, key: _Key) -> Record | None:
        """The document as this transaction knows it without asking the database, if it does."""
        record = self._written.get(key)
        if record is None and self._cache is not None:
            record = self._cache.get(key)
        return record

    def get(self, kind: str, id: str) -> Record | None:
        """The document ``kind``/``id``, or None."""
        self._check(False)
        key = (kind, id)
        known = self._known(key)
        if known is not None:
            return known
        self._cur.execute(self._SQL_GET, (kind, id))
        row = self._cur.fetchone()
        if row is None:
            return None
        record = self._record(row)
        if self._cache is not None:
            self._cache[key] = record  # read from the database, not written here: committed whatever happens next
        return record

    def require(self, kind: str, id: str) -> Record:
        """The document ``kind``/``id``; raises :class:`~creatorkit.errors.NotFound` when there is none."""
        record = self.get(kind, id)
        if record is None:
            raise NotFound(kind, id)
        return record

    def insert(
        self,
        kind: str,
        id: str,
        doc: dict[str, Any],
        *,
        workspace: str | None = None,
        parent: str | None = None,
        state: str | None = None,
        now: datetime | None = None,
    ) -> Record:
        """Store a new document at version 1; an existing ``kind``/``id`` raises ConflictError."""
        self._check(True)
        moment = _utcnow() if now is None else _aware(now, "now")
        stamp = self._encode_time(moment)
        # ON CONFLICT instead of catching the driver's error: in PostgreSQL a failed statement would
        # abort the whole transaction, and the caller may want to go on after a duplicate.
        self._cur.execute(self._SQL_INSERT, (kind, id, workspace, parent, state, _dumps(doc), stamp, stamp))
        if self._cur.rowcount != 1:
            p = self._P
            self._cur.execute(f"SELECT version FROM documents WHERE kind = {p} AND id = {p}", (kind, id))
            row = self._cur.fetchone()
            raise ConflictError(f"{kind} {id}", expected_version=0, actual_version=row[0] if row else None)
        created = self._as_stored(moment)
        record = Record(kind, id, workspace, parent, state, 1, doc, created, created)
        self._written[(kind, id)] = record
        return record

    def update(
        self,
        kind: str,
        id: str,
        doc: dict[str, Any],
        *,
        expected_version: int,
        state: str | _Unchanged | None = UNCHANGED,
        now: datetime | None = None,
    ) -> Record:
        """Replace the document if it is still at ``expected_version``; returns it at the next version.

        Raises :class:`~creatorkit.errors.ConflictError` when someone else updated it first and
        :class:`~creatorkit.errors.NotFound` when it does not exist.
        """
        self._check(True)
        moment = _utcnow() if now is None else _aware(now, "now")
        key = (kind, id)
        known = self._known(key)
        if known is not None and self._cache is not None:
            # The dialect vouches that the known version is the stored one and that no one else can write
            # before this transaction ends: check the version here and send the UPDATE later, once.
            if known.version != expected_version:
                raise ConflictError(f"{kind} {id}", expected_version=expected_version, actual_version=known.version)
            record = Record(
                kind,
                id,
                known.workspace,
                known.parent,
                known.state if state is UNCHANGED else state,
                expected_version + 1,
                doc,
                known.created_at,
                # What the database would give back: the time as the dialect stores it.
                self._as_stored(moment),
            )
            self._deferred.setdefault(key, expected_version)
            self._written[key] = record
            return record
        self._flush_deferred()
        p = self._P
        params: list[Any] = [_dumps(doc), self._encode_time(moment)]
        set_state = ""
        if state is not UNCHANGED:
            set_state = f", state = {p}"
            params.append(state)
        params += [kind, id, expected_version]
        self._cur.execute(
            f"UPDATE documents SET doc = {self._DOC_PARAM}, updated_at = {p},"
            f" version = version + 1{set_state}"
            f" WHERE kind = {p} AND id = {p} AND version = {p}"
            " RETURNING kind, id, workspace, parent, state, version, created_at, updated_at",
            params,
        )
        row = self._cur.fetchone()
        if row is None:
            self._cur.execute(f"SELECT version FROM documents WHERE kind = {p} AND id = {p}", (kind, id))
            found = self._cur.fetchone()
            if found is None:
                raise NotFound(kind, id)
            raise ConflictError(f"{kind} {id}", expected_version=expected_version, actual_version=found[0])
        decode = self._decode_time
        record = Record(row[0], row[1], row[2], row[3], row[4], row[5], doc, decode(row[6]), decode(row[7]))
        self._written[key] = record
        return record

    def find(
        self,
        kind: str,
        *,
        workspace: str | Sequence[str] | None = None,
        parent: str | None = None,
        state: str | Sequence[str] | None = None,
        limit: int | None = None,
        order: Order = "created",
    ) -> list[Record]:
        """Documents of ``kind`` matching every filter given (a sequence means "any of these")."""
        self._check(False)
        try:
            order_sql = _ORDER_BY[self.store.dialect][order]
        except KeyError:
            raise ValueError(f"order must be one of {sorted(_ORDER_SQL)}, not {order!r}") from None
        if (workspace is not None and not workspace) or (state is not None and not state):
            return []  # "any of no values" matches nothing
        params: list[Any] = [kind]
        where = [f"kind = {self._P}"]
        if workspace is not None:
            where.append(self._in("workspace", workspace, params))
        if parent is not None:
            where.append(f"parent = {self._P}")
            params.append(parent)
        if state is not None:
            where.append(self._in("state", state, params))
        sql = f"SELECT {_DOC_COLUMNS} FROM documents WHERE {' AND '.join(where)} ORDER BY {order_sql}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        self._flush_deferred()  # the query must see this transaction's updates
        self._cur.execute(sql, params)
        return [self._reuse(row) for row in self._cur.fetchall()]

    def _reuse(self, row: Sequence[Any]) -> Record:
        """The record for a fetched row: the known one when its version matches (no decoding), else decoded."""
        key = (row[0], row[1])
        known = self._known(key)
        if known is not None and known.version == row[5]:
            return known
        record = self._record(row)
        if self._cache is not None and key not in self._written:
            self._cache[key] = record
        return record

    # --- audit ------------------------------------------------------------------------------------
    def audit_head(self) -> tuple[int, str]:
        """``(last sequence, last hash)`` as this transaction sees it; ``(0, GENESIS)`` when empty."""
        self._check(False)
        if self._head is not None:
            return self._head
        # Read from the database even when this connection knows it: verify_chain holds the chain to this row.
        self._cur.execute("SELECT sequence, hash FROM audit_head WHERE id = 1")
        row = self._cur.fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def append_audit(
        self,
        *,
        actor_id: str,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        on_behalf_of: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> AuditEvent:
        """Append one event to the chain, in this transaction; it is kept only if the transaction commits.

        Text fields may not contain U+001F (see :mod:`creatorkit.audit`); ``on_behalf_of`` and
        ``workspace_id`` are None when absent, never empty.

        Make it the last write of the transaction: on PostgreSQL the first append locks the chain's head
        row until commit (that is what keeps the chain linear), so documents updated *after* it could
        deadlock with another transaction waiting for the head; PostgreSQL would then abort one of them
        (a StoreError).
        """
        self._check(True)
        row = self._audit_row(
            actor_id, action, entity_kind, entity_id, payload, on_behalf_of, workspace_id, occurred_at
        )
        self._cur.execute(self._SQL_INSERT_AUDIT, row)
        return AuditEvent(
            sequence=row[0],
            actor_id=actor_id,
            action=action,
            entity_kind=entity_kind,
            entity_id=entity_id,
            payload_hash=row[5],
            occurred_at=datetime.fromisoformat(row[6]),
            prev_hash=row[7],
            hash=row[8],
            on_behalf_of=on_behalf_of,
            workspace_id=workspace_id,
        )

    def append_audits(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Append several events, in order, each given as :meth:`append_audit`'s keyword arguments.

        The same rules and chain as one call per event, sent to the database as one statement.
        """
        self._check(True)
        head, dirty = self._head, self._head_dirty
        try:
            rows = [self._audit_row(**entry) for entry in entries]
        except BaseException:
            self._head, self._head_dirty = head, dirty  # a refused entry appends none of them
            raise
        if rows:
            self._cur.executemany(self._SQL_INSERT_AUDIT, rows)

    def _audit_row(
        self,
        actor_id: str,
        action: str,
        entity_kind: str,
        entity_id: str,
        payload: Any,
        on_behalf_of: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[Any, ...]:
        """The next event's row, in ``_AUDIT_COLUMNS`` order, chained to the head (which it then becomes)."""
        check_field("actor_id", actor_id)
        check_field("action", action)
        check_field("entity_kind", entity_kind)
        check_field("entity_id", entity_id)
        check_field("on_behalf_of", on_behalf_of, required=False)
        check_field("workspace_id", workspace_id, required=False)
        when = format_occurred_at(_utcnow() if occurred_at is None else occurred_at)
        digest = payload_hash(payload)
        head = self._head
        if head is None and self._known_state is not None:
            head = self._known_state.audit_head
        if head is None:
            self._cur.execute(f"SELECT sequence, hash FROM audit_head WHERE id = 1{self._LOCK_HEAD}")
            found = self._cur.fetchone()
            if found is None:
                raise StoreError("the audit head row is missing; the store was changed outside creatorkit")
            head = (int(found[0]), str(found[1]))
        sequence = head[0] + 1
        prev = head[1]
        digest_event = event_hash(
            sequence=sequence,
            actor_id=actor_id,
            on_behalf_of=on_behalf_of,
            action=action,
            entity_kind=entity_kind,
            entity_id=entity_id,
            workspace_id=workspace_id,
            payload_hash=digest,
            occurred_at=when,
            prev_hash=prev,
        )
        # The head row is written once, at commit (see _finish), still inside this transaction.
        self._head = (sequence, digest_event)
        self._head_dirty = True
        return (
            sequence,
            actor_id,
            action,
            entity_kind,
            entity_id,
            digest,
            when,
            prev,
            digest_event,
            on_behalf_of,
            workspace_id,
        )

    def audit_for(
        self, *, entity_ids: Sequence[str] | None = None, workspace_id: str | None = None
    ) -> list[AuditEvent]:
        """Events about any of ``entity_ids`` and/or in ``workspace_id``, in sequence order.

        Events are indexed by entity; ``workspace_id`` alone reads the whole trail (fine for an export, not for
        a request path).
        """
        self._check(False)
        if entity_ids is not None and not entity_ids:
            return []
        params: list[Any] = []
        where = []
        if entity_ids is not None:
            where.append(self._in("entity_id", entity_ids, params))
        if workspace_id is not None:
            where.append(f"workspace_id = {self._P}")
            params.append(workspace_id)
        sql = f"SELECT {_AUDIT_COLUMNS} FROM audit_events"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        self._cur.execute(sql + " ORDER BY sequence", params)
        event = self._event
        return [event(row) for row in self._cur.fetchall()]

    def iter_audit_events(self, start: int = 1, batch: int = 10_000) -> Iterator[AuditEvent]:
        """Events from sequence ``start`` on, in order, read in batches within this transaction."""
        event = self._event
        for rows in self._audit_batches(_AUDIT_COLUMNS, start, batch):
            yield from map(event, rows)

    def iter_audit_rows(self, start: int = 1, batch: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        """Raw audit rows in sequence order, in batches, shaped for :func:`creatorkit.audit.verify_rows`.

        Each row is ``(sequence, encoding, prev_hash, hash)``: ``encoding`` is the event's hash encoding
        (see :mod:`creatorkit.audit`) as UTF-8 bytes, built from the stored fields by the database. No
        objects are built per event, so verifying stays fast.
        """
        return self._audit_batches(f"sequence, {self._AUDIT_MATERIAL}, prev_hash, hash", start, batch)

    def _audit_batches(self, columns: str, start: int, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            rows = self._audit_page(columns, start, batch)
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            start = int(rows[-1][0]) + 1

    def _audit_page(self, columns: str, start: int, batch: int) -> list[tuple[Any, ...]]:
        # Keyset pages rather than one open cursor: PostgreSQL's client cursor would load everything at once.
        self._check(False)
        if batch < 1:
            raise ValueError("batch must be at least 1")
        p = self._P
        self._cur.execute(
            f"SELECT {columns} FROM audit_events WHERE sequence >= {p} ORDER BY sequence LIMIT {int(batch)}",
            (start,),
        )
        rows: list[tuple[Any, ...]] = self._cur.fetchall()
        return rows


class Store(abc.ABC):
    """A document store with a tamper-evident audit chain; open one with :func:`creatorkit.store.open_store`.

    Thread-safe: each thread gets its own connection. Every call into the data goes through
    :meth:`transaction` (read-write, committed at the end of the ``with`` block, rolled back on any
    exception) or :meth:`read` (a read-only snapshot). Transactions do not nest.
    """

    dialect: ClassVar[str]
    url: str
    """Where the store lives, with any password masked: safe to log and print."""

    _transaction_class: ClassVar[type[Transaction]] = Transaction
    _driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, url: str) -> None:
        self.url = mask_url(url)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- dialect hooks ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection, configured for this store."""

    @abc.abstractmethod
    def _begin(self, conn: Any, readonly: bool) -> None: ...

    @abc.abstractmethod
    def _commit(self, conn: Any) -> None: ...

    @abc.abstractmethod
    def _rollback(self, conn: Any) -> None: ...

    def _forget_known(self, conn: Any) -> None:
        """Drop what ``conn`` knows of the committed database (see :meth:`_valid_cache`)."""
        return None

    def _committed(self, conn: Any, wrote: bool) -> None:
        """Called after each commit (``wrote``: it was a read-write transaction); a dialect may act on it."""
        return None

    def _usable(self, conn: Any) -> bool:
        """Whether a thread's cached connection can still be used (a dialect may detect broken ones)."""
        return True

    def _valid_cache(self, conn: Any) -> Known | None:
        """Called right after a transaction begins: what the connection knows of the committed database, or None.

        A dialect returns it only if it can tell, at this point, that no other connection has committed since
        it was last filled (starting afresh otherwise), and that no other connection can write before this
        transaction ends. The default keeps nothing: every read asks the database.
        """
        return None

    def _migration_prelude(self) -> Sequence[str]:
        """Statements run first in the migration transaction (e.g. a lock so two processes do not race)."""
        return ()

    # --- connections ------------------------------------------------------------------------------
    def _acquire(self) -> Any:
        """This thread's connection, opened on first use (or again, if the old one broke)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not self._usable(conn):
            self._discard(conn)
            conn = None
        if conn is None:
            conn = self._open_connection()
            self._local.conn = conn
        return conn

    def _release(self, conn: Any) -> None:
        """Hand back what :meth:`_acquire` gave (a dialect sharing one connection unlocks it here)."""
        return None

    def _discard(self, conn: Any) -> None:
        with self._connections_lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with suppress(*self._driver_errors):
            conn.close()

    def _open_connection(self) -> Any:
        if self._closed:
            raise StoreError(f"store {self.url} is closed")
        try:
            conn = self._connect()
        except self._driver_errors as exc:
            raise StoreError(f"cannot open {self.dialect} store {self.url}: {exc}") from exc
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened (in any thread); the store cannot be used after."""
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(*self._driver_errors):  # a broken connection is closed enough
                conn.close()

    # --- transactions -----------------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction: committed when the block ends, rolled back on any exception."""
        return self._scope(readonly=False)

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction on one consistent snapshot; writes in it raise StoreError."""
        return self._scope(readonly=True)

    @contextmanager
    def _scope(self, readonly: bool) -> Iterator[Transaction]:
        if self._closed:
            raise StoreError(f"store {self.url} is closed")
        local = self._local
        if getattr(local, "busy", False):
            raise StoreError("transactions do not nest: this thread is already inside one on this store")
        local.busy = True
        tx: Transaction | None = None
        committing = False
        try:
            conn = self._acquire()
            try:
                self._begin(conn, readonly)
                known = self._valid_cache(conn)
                tx = self._transaction_class(self, conn, readonly, known)
                yield tx
                tx._finish()
                tx._closed = True
                committing = True
                self._commit(conn)
                if known is not None:
                    if tx._head is not None:
                        known.audit_head = tx._head
                    if tx._written:
                        known.records.update(tx._written)
                    trim_oldest(known.records, RECORD_CACHE_SIZE)  # reads add to it too
                self._committed(conn, not readonly)
            except BaseException:
                if tx is not None:
                    tx._closed = True
                if committing:
                    # Whether the commit happened is unknown (an interrupt, a failed COMMIT): what this
                    # connection knows may be behind the database, and its own commits do not show in
                    # data_version. Start afresh.
                    self._forget_known(conn)
                self._rollback_quietly(conn)
                raise
            finally:
                self._release(conn)
        except self._driver_errors as exc:
            raise StoreError(f"{self.dialect} store {self.url}: {exc}") from exc
        finally:
            local.busy = False

    def _rollback_quietly(self, conn: Any) -> None:
        with suppress(*self._driver_errors):  # the connection is already gone; nothing to undo
            self._rollback(conn)

    # --- conveniences over one short transaction --------------------------------------------------
    def schema_version(self) -> int:
        """The highest migration applied to this database."""
        with self.read() as tx:
            tx._cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            return int(tx._cur.fetchone()[0])

    def audit_head(self) -> tuple[int, str]:
        """``(last sequence, last hash)``; ``(0, GENESIS)`` while the chain is empty."""
        with self.read() as tx:
            return tx.audit_head()

    def iter_audit(self, start: int = 1, batch: int = 10_000) -> Iterator[AuditEvent]:
        """Every event from ``start`` on, in sequence order.

        Each batch is read in its own short read transaction, so the caller may use the store between
        items; events appended meanwhile are included when their batch is read.
        """
        while True:
            with self.read() as tx:
                events = [tx._event(row) for row in tx._audit_page(_AUDIT_COLUMNS, start, batch)]
            yield from events
            if len(events) < batch:
                return
            start = events[-1].sequence + 1

    # --- schema -----------------------------------------------------------------------------------
    def _migrate_or_close(self) -> None:
        """Migrate on open; a store that cannot be opened keeps no connection behind."""
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _migrate(self) -> None:
        """Bring the schema up to date in one transaction; refuse a database newer than this code."""
        conn = self._acquire()
        try:
            self._begin(conn, False)
            cur = conn.cursor()
            for statement in self._migration_prelude():
                cur.execute(statement)
            cur.execute(migrations.bookkeeping_table(self.dialect))
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            current = int(cur.fetchone()[0])
            migrations.check_supported(current, where=self.url)
            p = self._transaction_class._P
            for migration in migrations.pending(current):
                for statement in migration.statements(self.dialect):
                    cur.execute(statement)
                cur.execute(
                    f"INSERT INTO schema_migrations (version, description, applied_at) VALUES ({p}, {p}, {p})",
                    (migration.version, migration.description, self._applied_at()),
                )
            cur.close()
            self._commit(conn)
        except BaseException as exc:
            self._rollback_quietly(conn)
            if isinstance(exc, self._driver_errors):
                raise StoreError(f"cannot migrate {self.dialect} store {self.url}: {exc}") from exc
            raise
        finally:
            self._release(conn)

    def _applied_at(self) -> Any:
        return _utcnow()
