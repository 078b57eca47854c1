"""The embedded store: one SQLite file (WAL), nothing to start.

Each thread has its own connection, in autocommit mode with explicit ``BEGIN IMMEDIATE``/``COMMIT`` so a
write transaction holds the write lock from its first statement: writers queue on ``busy_timeout`` instead
of failing midway, and appends to the audit chain are serialized. ``:memory:`` databases are private to
one connection, so an in-memory store shares a single connection between threads under a lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from ..audit import SEPARATOR
from ..errors import StoreError
from ._base import Record, Store, Transaction

__all__ = ["SqliteStore", "SqliteTransaction"]


#: WAL size (in pages) that triggers an automatic checkpoint; see _connect.
WAL_AUTOCHECKPOINT_PAGES = 10_000


class SqliteTransaction(Transaction):
    """Documents as JSON text; timestamps as ISO 8601 UTC text with microseconds (text order = time order)."""

    __slots__ = ()
    # printf renders NULL as "", which is how an absent optional field is encoded.
    _AUDIT_MATERIAL: ClassVar[str] = (
        f"CAST(printf('{SEPARATOR.join(['%d'] + ['%s'] * 9)}', "
        "sequence, actor_id, on_behalf_of, action, entity_kind, entity_id, workspace_id, "
        "payload_hash, occurred_at, prev_hash) AS BLOB)"
    )

    def _encode_time(self, moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def _decode_time(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _decode_doc(self, value: Any) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(value)
        return doc


class SqliteStore(Store):
    """A store in one SQLite database file (or in memory for ``:memory:``)."""

    dialect: ClassVar[str] = "sqlite"
    _transaction_class = SqliteTransaction
    _driver_errors = (sqlite3.Error,)

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.busy_timeout = busy_timeout
        self._memory = self.path == ":memory:"
        super().__init__(f"sqlite:///{self.path}")
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        # Per connection: the database's data_version when its cache was last known current, and the cache.
        self._record_caches: dict[sqlite3.Connection, tuple[int, dict[tuple[str, str], Record]]] = {}
        if not self._memory:
            directory = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(directory):
                raise StoreError(f"cannot open sqlite store {self.url}: directory {directory} does not exist")
        self._migrate_or_close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,  # used by one thread at a time; close() may run in another
            cached_statements=256,
        )
        try:
            if not self._memory:
                self._use_wal(conn)
                # Every checkpoint copies the pages written since the last one back into the database; the hot
                # pages (the audit head, index roots) are copied once per checkpoint however often they changed.
                # SQLite's default of 1,000 pages made checkpoints a quarter of the workflow's time; 10,000 pages
                # (about 40 MB of WAL at most) keeps that cost small and the WAL bounded.
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _acquire(self) -> Any:
        if not self._memory:
            return super()._acquire()
        self._shared_lock.acquire()  # held for the whole transaction; released in _release
        try:
            if self._shared is None:
                self._shared = self._open_connection()
        except BaseException:
            self._shared_lock.release()
            raise
        return self._shared

    def _release(self, conn: Any) -> None:
        if self._memory:
            self._shared_lock.release()

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs a moment alone with it and, unlike ordinary statements, does
        # not wait on busy_timeout: several processes opening one new file at once would see "locked".
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _begin(self, conn: Any, readonly: bool) -> None:
        conn.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

    def _valid_cache(self, conn: Any) -> dict[tuple[str, str], Record]:
        # data_version changes when any *other* connection (in this process or another) has committed; reading
        # it starts this transaction's snapshot. A write transaction already holds the write lock (BEGIN
        # IMMEDIATE), a read one cannot write: either way the cache stays current until the transaction ends.
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        known = self._record_caches.get(conn)
        if known is not None and known[0] == version:
            return known[1]
        cache: dict[tuple[str, str], Record] = {}
        self._record_caches[conn] = (version, cache)
        return cache

    def _discard(self, conn: Any) -> None:
        self._record_caches.pop(conn, None)
        super()._discard(conn)

    def close(self) -> None:
        super().close()
        self._record_caches.clear()

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _applied_at(self) -> Any:
        return datetime.now(UTC).isoformat(timespec="microseconds")
