"""A transaction's document operations: get, insert, update (deferred where the dialect allows), find."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import attrs
import orjson

from .._redaction import join_path
from .._text import text_problem
from ..errors import ConflictError, NotFound, Problem, ValidationError
from ._migrations import FINAL_DEAL_STATES
from ._records import Key, Record, copy_document
from ._transaction_base import TransactionBase, utcnow

__all__ = ["DOC_COLUMNS", "UNCHANGED", "DocumentOperations", "Order"]


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

DOC_COLUMNS = "kind, id, workspace, parent, state, version, doc, created_at, updated_at"


# The stdlib encoder, built once (json.dumps with any option builds a new one per call), for what orjson refuses.
_stdlib_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(doc: dict[str, Any], what: str) -> str:
    """A document as compact JSON text, or a ValidationError naming the field of ``what`` no store can keep.

    orjson is several times faster than the stdlib on every write; what it refuses (keys that are not strings,
    integers beyond 64 bits) the stdlib writes as before. NaN and the infinities are not JSON: entities refuse
    them; in a raw document orjson writes them as null.

    Both stores refuse the same text: PostgreSQL cannot keep U+0000 in text or JSONB and no UTF-8 encoder can
    write a lone surrogate, so SQLite refuses them too, rather than keep what the other store could not.
    """
    try:
        text = orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        try:
            text = _stdlib_dumps(doc)
            text.encode()
        except (UnicodeEncodeError, TypeError, ValueError):
            raise _unstorable(doc, what) from None
    # orjson writes U+0000 as this escape; a string holding a backslash and "u0000" matches too, and passes.
    if "\\u0000" in text:
        problems = list(_unstorable_text(doc, ()))
        if problems:
            raise ValidationError(problems, what=what)
    return text


def _unstorable(doc: Any, what: str) -> ValidationError:
    problems = list(_unstorable_text(doc, ())) or [Problem("", "cannot be written as JSON")]
    return ValidationError(problems, what=what)


def _unstorable_text(value: Any, where: tuple[str | int, ...]) -> Iterator[Problem]:
    """A problem for each string (or key) under ``value`` that holds U+0000 or a lone surrogate, by field path."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield Problem(join_path(where), problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            inside = (*where, str(key))
            if isinstance(key, str) and (problem := text_problem(key)):
                yield Problem(join_path(inside), f"its name {problem}")
            yield from _unstorable_text(item, inside)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _unstorable_text(item, (*where, index))


def _storable(values: str | Sequence[str] | None) -> str | Sequence[str] | None:
    """A filter without the values no store can hold (they match nothing): [] when none is left."""
    if values is None:
        return None
    if isinstance(values, str):
        return [] if text_problem(values) else values
    return [value for value in values if not text_problem(value)]


def _check_columns(kind: str, id: str, **columns: str | None) -> None:
    """Refuse a document whose kind, id, workspace, parent or state no store can keep, naming the column."""
    named = {"kind": kind, "id": id, **columns}
    problems = [Problem(name, why) for name, value in named.items() if value and (why := text_problem(value))]
    if problems:
        raise ValidationError(problems, what=f"{kind!r} document {id!r}")


def _copied(record: Record) -> Record:
    """``record`` with a document of its own."""
    return attrs.evolve(record, doc=copy_document(record.doc))


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError([Problem(name, "must be timezone-aware")], what="store timestamp")
    return moment


class DocumentOperations(TransactionBase):
    """The document half of :class:`~creatorkit.store.Transaction`."""

    __slots__ = ()

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

    def _flush_deferred(self) -> None:
        """Send the deferred updates, each checked against the version the row had when it was deferred."""
        if not self._deferred:
            return
        deferred, self._deferred = self._deferred, {}
        sql = self._SQL_UPDATE_KNOWN
        encode = self._encode_time
        for key, (stored_version, text) in deferred.items():
            record = self._written[key]
            self._cur.execute(
                sql,
                (
                    text,
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

    # --- documents --------------------------------------------------------------------------------
    def _known(self, key: Key) -> Record | None:
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
            return _copied(known) if self._copies else known
        if text_problem(id) or text_problem(kind):
            return None  # no store holds such an id: answered alike, before the driver would refuse it
        self._cur.execute(self._SQL_GET, (kind, id))
        row = self._cur.fetchone()
        if row is None:
            return None
        record = self._record(row)
        if self._cache is not None:
            self._cache[key] = record  # read from the database, not written here: committed whatever happens next
        return _copied(record) if self._copies else record

    def get_for_update(self, kind: str, id: str) -> Record | None:
        """The document ``kind``/``id`` read from the database and locked until this write transaction ends.

        Another transaction's ``get_for_update`` of the same document waits, then reads what this one committed:
        what lets one process do slow work for a document (renew a token at its platform) while the others wait
        for the result instead of repeating it. On PostgreSQL the lock is the row's (``SELECT ... FOR UPDATE``),
        so other documents stay writable meanwhile; a SQLite write transaction already holds the whole database
        (see :attr:`Store.locks_rows`).
        """
        self._check(True)
        if not self._LOCK_ROW:
            return self.get(kind, id)
        if text_problem(id) or text_problem(kind):
            return None
        self._flush_deferred()
        self._cur.execute(self._SQL_GET + self._LOCK_ROW, (kind, id))
        row = self._cur.fetchone()
        if row is None:
            return None
        written = self._written.get((kind, id))
        return written if written is not None else self._record(row)

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
        subject: str | None = None,
        now: datetime | None = None,
    ) -> Record:
        """Store a new document at version 1.

        ``subject`` is what the document is of besides its parent: a deal's brief, which the database's
        one-open-deal rule reads (an open deal is unique by parent and subject). The store clears it when
        :meth:`update` moves a deal to a final state.

        Raises ConflictError when ``kind``/``id`` exists, or when the document breaks one of the database's unique
        rules (a deal of a brief and creator who have an open deal: ``actual_version`` is then None), and
        ValidationError naming the field when it holds text no store can keep.
        """
        self._check(True)
        moment = utcnow() if now is None else _aware(now, "now")
        stamp = self._encode_time(moment)
        text = _dumps(doc, f"{kind} {id}")
        _check_columns(kind, id, workspace=workspace, parent=parent, state=state, subject=subject)
        if subject is not None and self._deferred:
            self._flush_deferred()  # a deal this call closed must be closed in the database's unique index too
        # ON CONFLICT instead of catching the driver's error: in PostgreSQL a failed statement would
        # abort the whole transaction, and the caller may want to go on after a duplicate.
        if subject is None:
            self._cur.execute(self._SQL_INSERT, (kind, id, workspace, parent, state, text, stamp, stamp))
        else:
            row = (kind, id, workspace, parent, state, text, stamp, stamp, subject)
            self._cur.execute(self._SQL_INSERT_WITH_SUBJECT, row)
        if self._cur.rowcount != 1:
            p = self._P
            self._cur.execute(f"SELECT version FROM documents WHERE kind = {p} AND id = {p}", (kind, id))
            row = self._cur.fetchone()
            raise ConflictError(f"{kind} {id}", expected_version=0, actual_version=row[0] if row else None)
        created = self._as_stored(moment)
        record = Record(kind, id, workspace, parent, state, 1, doc, created, created)
        self._written[(kind, id)] = record
        self._uncovered[(kind, id)] = None
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
        moment = utcnow() if now is None else _aware(now, "now")
        key = (kind, id)
        known = self._known(key)
        if known is not None and self._cache is not None:
            record = self._update_known(key, known, doc, expected_version, state, moment)
        else:
            record = self._update_stored(key, doc, expected_version, state, moment)
        if kind == "deal" and state in FINAL_DEAL_STATES:
            # A closed deal no longer holds its brief and creator (the database's one-open-deal rule).
            self._cur.execute(self._SQL_RELEASE_SUBJECT, (kind, id))
        self._uncovered[key] = None
        return record

    def _update_known(
        self,
        key: Key,
        known: Record,
        doc: dict[str, Any],
        expected_version: int,
        state: str | _Unchanged | None,
        moment: datetime,
    ) -> Record:
        # The dialect vouches that the known version is the stored one and that no one else can write
        # before this transaction ends: check the version here and send the UPDATE later, once.
        kind, id = key
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
        # Encoded now, so that a document no store can keep is refused by this call, naming its field.
        text = _dumps(doc, f"{kind} {id}")
        if state is not UNCHANGED:
            _check_columns(kind, id, state=state)
        self._deferred[key] = (self._deferred.get(key, (expected_version, ""))[0], text)
        self._written[key] = record
        return record

    def _update_stored(
        self, key: Key, doc: dict[str, Any], expected_version: int, state: str | _Unchanged | None, moment: datetime
    ) -> Record:
        kind, id = key
        self._flush_deferred()
        p = self._P
        params: list[Any] = [_dumps(doc, f"{kind} {id}"), self._encode_time(moment)]
        set_state = ""
        if state is not UNCHANGED:
            _check_columns(kind, id, state=state)
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
        workspace, state = _storable(workspace), _storable(state)
        if parent is not None and text_problem(parent):
            return []  # no store holds such a parent
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
        sql = f"SELECT {DOC_COLUMNS} FROM documents WHERE {' AND '.join(where)} ORDER BY {order_sql}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        self._flush_deferred()  # the query must see this transaction's updates
        self._cur.execute(sql, params)
        found = [self._reuse(row) for row in self._cur.fetchall()]
        return [_copied(record) for record in found] if self._copies else found

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
