"""What every transaction holds, whatever it does: its connection, its view of the committed database, the checks.

:class:`~creatorkit.store.Transaction` is built on this: its document operations (:mod:`._documents`) and its
audit-chain operations (:mod:`._audit_trail`) share the state and the dialect hooks defined here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..audit._chain import format_occurred_at
from ..errors import StoreError
from ._records import Key, Known, Record

if TYPE_CHECKING:
    from ._base import Store

__all__ = ["Head", "TransactionBase", "utcnow"]

#: The audit chain's head as a transaction appends to it: (last sequence, last hash, the key that MACs it).
Head = tuple[int, str, str | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


class TransactionBase:
    """The state of one transaction and the hooks a dialect fills in (see :class:`~creatorkit.store.Transaction`)."""

    _P: ClassVar[str] = "?"
    _LOCK_HEAD: ClassVar[str] = ""  # appended to the head query to serialize appends, where needed
    _LOCK_ROW: ClassVar[str] = ""  # appended to a document query to lock its row (get_for_update), where rows lock
    # SQL expressions giving an event's hash encoding (creatorkit.audit) as UTF-8 bytes, in the current format
    # and in format 1, built by the database so that verifying fetches one value per event instead of twelve.
    _AUDIT_MATERIAL: ClassVar[str]
    _AUDIT_MATERIAL_1: ClassVar[str]

    __slots__ = (
        "_cache",
        "_closed",
        "_conn",
        "_copies",
        "_cur",
        "_deferred",
        "_head",
        "_head_dirty",
        "_known_state",
        "_moment",
        "_moment_stored",
        "_moment_text",
        "_readonly",
        "_uncovered",
        "_written",
        "store",
    )

    # The statements every write sends, spelled once per dialect (see Transaction.__init_subclass__).
    _SQL_GET: ClassVar[str]
    _SQL_INSERT: ClassVar[str]
    _SQL_INSERT_WITH_SUBJECT: ClassVar[str]
    _SQL_RELEASE_SUBJECT: ClassVar[str]
    _SQL_UPDATE_KNOWN: ClassVar[str]
    _SQL_HEAD: ClassVar[str]
    _SQL_INSERT_AUDIT: ClassVar[str]

    def __init__(
        self, store: Store, conn: Any, readonly: bool, known: Known | None = None, *, copies: bool = False
    ) -> None:
        self.store = store
        self._conn = conn
        self._cur: Any = conn.cursor()
        self._readonly = readonly
        self._closed = False
        self._head: Head | None = None
        self._head_dirty = False
        # What this connection knows of the committed database, when the dialect can tell it is still current
        # (see Store._valid_cache); None means every read goes to the database.
        self._known_state = known
        self._cache = None if known is None else known.records
        # Whether documents are handed out as copies: those of the connection's cache are shared with every later
        # transaction, the services' included, so a caller outside them (``store.read()``) gets its own.
        self._copies = copies and known is not None
        # Documents this transaction wrote, as they now stand: served to its own reads, merged into the cache
        # after the commit, dropped on rollback.
        self._written: dict[Key, Record] = {}
        # Documents written since this transaction last appended to the audit chain: the next append covers them
        # (see AuditOperations._coverage), so that every document a call writes is in one of its events.
        self._uncovered: dict[Key, None] = {}
        # Updates not yet sent to the database, with the version the row has there and the JSON text to send:
        # several changes of one document in a call (a deal moving through two states) become one UPDATE, sent
        # before any query that could see the row and at the latest when the transaction finishes.
        self._deferred: dict[Key, tuple[int, str]] = {}
        # The last moment this transaction formatted, its text and (once asked for) its stored form: see _utc_text.
        self._moment: datetime | None = None
        self._moment_text = ""
        self._moment_stored: datetime | None = None

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

    # --- the moment being written ------------------------------------------------------------------
    def _utc_text(self, moment: datetime) -> str:
        """``moment`` as the audit chain hashes it and SQLite stores it: UTC ISO 8601 text, microseconds.

        A call writes its one "now" into every record it touches and every event it appends, and formatting
        a datetime costs some 15,000 machine instructions; so the transaction keeps the last moment it
        formatted (that object, and the stored form :meth:`_utc_read_back` made of it) with its text, until
        it ends. Matched by identity, never equality: equal datetimes can be different instants (a repeated
        hour's ``fold``), and an object cannot change while it is held here.
        """
        if moment is not self._moment and moment is not self._moment_stored:
            text = format_occurred_at(moment)
            self._moment, self._moment_text, self._moment_stored = moment, text, None
        return self._moment_text

    def _utc_read_back(self, moment: datetime) -> datetime:
        """``moment`` as parsed back from its :meth:`_utc_text`: one object per moment, in this transaction."""
        text = self._utc_text(moment)
        stored = self._moment_stored
        if stored is None:
            stored = self._moment_stored = datetime.fromisoformat(text)
        return stored

    # --- plumbing ---------------------------------------------------------------------------------
    def _check(self, write: bool) -> None:
        if self._closed:
            raise StoreError("the transaction is over; use the store inside its `with` block")
        if write and self._readonly:
            raise StoreError("a read-only transaction (store.read()) cannot write")

    def _in(self, column: str, values: str | Sequence[str], params: list[Any]) -> str:
        if isinstance(values, str):
            params.append(values)
            return f"{column} = {self._P}"
        params.extend(values)
        return f"{column} IN ({', '.join([self._P] * len(values))})"
