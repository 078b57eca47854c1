"""The embedded store: one SQLite file (WAL), nothing to start.

Each thread has its own connection, in autocommit mode with explicit ``BEGIN IMMEDIATE``/``COMMIT`` so a
write transaction holds the write lock from its first statement: writers queue on ``busy_timeout`` instead
of failing midway, and appends to the audit chain are serialized. ``:memory:`` databases are private to
one connection, so an in-memory store shares a single connection between threads under a lock.

Commits append to the write-ahead log; a *checkpoint* copies the log back into the database file and waits
for the disk (fsync) twice. A file store runs its checkpoints on a background thread of its own
(:class:`Checkpointer`), so a commit does not wait for them; SQLite's automatic checkpoint in the committing
connection stays on, at a higher threshold, as the bound on the log should that thread fall behind.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
import weakref
from datetime import UTC, datetime
from typing import Any, ClassVar

from ..audit._chain import SEPARATOR
from ..audit._keys import AuditKeys
from ..errors import StoreError
from ._base import Store
from ._records import Known
from ._transaction import Transaction

__all__ = ["Checkpointer", "SqliteStore", "SqliteTransaction"]

_log = logging.getLogger(__name__)

#: WAL size (in pages) at which a committing connection checkpoints itself; see _connect.
WAL_AUTOCHECKPOINT_PAGES = 10_000
#: Write commits between two wake-ups of a store's background checkpointer.
CHECKPOINT_EVERY_COMMITS = 64
#: The page cache (KiB) of a connection writing catalog rows in bulk, until its transaction ends.
BULK_CACHE_KIB = 65_536
_DEFAULT_CACHE_KIB = 2_000


class Checkpointer:
    """A thread with its own connection that checkpoints one database file whenever it is nudged.

    Its checkpoints are ``PASSIVE``: they copy what they can without taking any lock a writer or reader
    needs, so writers go on committing meanwhile. Whatever it leaves (frames committed during its run) is
    copied by the next run, or by SQLite's automatic checkpoint in a committing connection, which then lets
    the log start over from its beginning. A failed run is logged once and retried on the next nudge: the
    automatic checkpoint still bounds the log, and a real disk problem surfaces in the writer's own commit.
    """

    def __init__(self, path: str, *, busy_timeout_ms: int) -> None:
        self.path = path
        self.pid = os.getpid()  # a forked child has no such thread: its store starts its own
        self.runs = 0
        self.last_error: sqlite3.Error | None = None
        self._busy_timeout_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"creatorkit-checkpoint:{path}", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def nudge(self) -> None:
        """Ask for a checkpoint soon; nudges that arrive while one runs make one more run, not several."""
        self._wake.set()

    def wait_for_run(self, after: int, timeout: float) -> bool:
        """Wait until more than ``after`` runs have finished; False if ``timeout`` seconds passed first."""
        with self._done:
            return self._done.wait_for(lambda: self.runs > after or not self.alive, timeout)

    def stop(self) -> None:
        """End the thread after the run in progress (if any), and close its connection."""
        self._stopping = True
        self._wake.set()
        if self._thread is not threading.current_thread() and self.pid == os.getpid():
            self._thread.join()

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            with self._done:
                self._done.notify_all()  # wakes wait_for_run: this thread will run no more

    def _serve(self) -> None:
        try:
            # mode=rw: never create the file (it exists while its store is open; a missing one is a mistake)
            uri = f"file:{urllib.parse.quote(self.path)}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            self.last_error = exc
            _log.warning("background checkpoints of %s are off: cannot open it: %s", self.path, exc)
            return
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    if self.last_error is None:
                        _log.warning(
                            "background checkpoint of %s failed (retried on the next nudge): %s", self.path, exc
                        )
                    self.last_error = exc
                else:
                    self.last_error = None
                with self._done:
                    self.runs += 1
                    self._done.notify_all()
        finally:
            conn.close()


# The fields every format hashes first; prev_hash always comes last (see creatorkit.audit).
_FIELDS = "sequence, actor_id, on_behalf_of, action, entity_kind, entity_id, workspace_id, payload_hash, occurred_at"


class SqliteTransaction(Transaction):
    """Documents as JSON text; timestamps as ISO 8601 UTC text with microseconds (text order = time order)."""

    __slots__ = ()
    # printf renders NULL as "", which is how an absent optional field is encoded.
    _AUDIT_MATERIAL: ClassVar[str] = (
        f"CAST(printf('{SEPARATOR.join(['%d'] + ['%s'] * 11)}', {_FIELDS}, key_id, documents, prev_hash) AS BLOB)"
    )
    _AUDIT_MATERIAL_1: ClassVar[str] = (
        f"CAST(printf('{SEPARATOR.join(['%d'] + ['%s'] * 9)}', {_FIELDS}, prev_hash) AS BLOB)"
    )

    def _start_bulk_write(self) -> None:
        # A catalog import writes rows all over its primary key's index: a page cache of 64 MB (the default is
        # 2 MB) keeps the index's pages (some 40 MB for a million creators) in memory instead of reading them
        # back. And its commit leaves a log of the whole import (some 400 MB for a million): copying it back
        # is the background checkpointer's work, not the committing call's, so the connection's automatic
        # checkpoint is off until the transaction ends (SqliteStore._end_bulk_write puts both back).
        bulk = self.store._bulk  # type: ignore[attr-defined]
        if self._conn not in bulk:
            self._cur.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            self._cur.execute("PRAGMA wal_autocheckpoint = 0")
            bulk.add(self._conn)

    def _encode_time(self, moment: datetime) -> str:
        return self._utc_text(moment)

    def _as_stored(self, moment: datetime) -> datetime:
        return self._utc_read_back(moment)

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

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        create: bool = True,
        audit_keys: AuditKeys | None = None,
    ) -> None:
        """Open the database at ``path``, creating it unless ``create`` is False (then a missing file is an error).

        ``audit_keys`` MAC and verify the audit trail (default: from the environment, see :func:`open_store`).
        """
        given = os.fspath(path)
        self._memory = given == ":memory:"
        # Absolute from the start: connections open lazily (per thread, and the checkpointer's), perhaps after
        # the app has changed its working directory.
        self.path = given if self._memory else os.path.abspath(given)
        self.busy_timeout = busy_timeout
        super().__init__(f"sqlite:///{self.path}", audit_keys)
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        # Per connection: the database's data_version when its cache was last known current, and the cache.
        self._record_caches: dict[sqlite3.Connection, tuple[int, Known]] = {}
        self._checkpointer: Checkpointer | None = None
        self._checkpointer_lock = threading.Lock()
        self._commits_since_nudge = 0
        # Connections whose transaction writes in bulk (see SqliteTransaction._start_bulk_write).
        self._bulk: set[sqlite3.Connection] = set()
        if not create and self._memory:
            raise StoreError("an in-memory store is always new and empty: there is no existing store to open")
        if not create and not os.path.isfile(self.path):
            raise StoreError(f"no sqlite store at {self.path}: the file does not exist")
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
                # The background checkpointer does most of the copying; this threshold is what bounds the log
                # (about 40 MB) when it cannot keep up or is not running. Reaching it, the committing
                # connection copies what is left and the log starts over. SQLite's default of 1,000 pages made
                # these in-line checkpoints a quarter of the workflow's time.
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

    def _valid_cache(self, conn: Any) -> Known:
        # data_version changes when any *other* connection (in this process or another) has committed; reading
        # it starts this transaction's snapshot. A write transaction already holds the write lock (BEGIN
        # IMMEDIATE), a read one cannot write: either way what is known stays current until the transaction ends.
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        known = self._record_caches.get(conn)
        if known is not None and known[0] == version:
            return known[1]
        fresh = Known()
        self._record_caches[conn] = (version, fresh)
        return fresh

    def _forget_known(self, conn: Any) -> None:
        self._record_caches.pop(conn, None)

    def _discard(self, conn: Any) -> None:
        self._record_caches.pop(conn, None)
        super()._discard(conn)

    def close(self) -> None:
        with self._checkpointer_lock:
            self._closed = True  # before the join below: a commit meanwhile must not start another thread
            checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        super().close()
        self._record_caches.clear()

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _end_bulk_write(self, conn: Any) -> bool:
        """Put a bulk-writing connection's settings back; whether it was one."""
        if conn not in self._bulk:
            return False
        self._bulk.discard(conn)
        conn.execute(f"PRAGMA cache_size = -{_DEFAULT_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        return True

    def _committed(self, conn: Any, wrote: bool) -> None:
        if not wrote or self._memory:
            self._end_bulk_write(conn)
            return
        if self._end_bulk_write(conn):
            self._commits_since_nudge = CHECKPOINT_EVERY_COMMITS  # a large log to copy back: nudge now
        self._commits_since_nudge += 1  # a lost increment between threads only delays a nudge
        if self._commits_since_nudge < CHECKPOINT_EVERY_COMMITS:
            return
        self._commits_since_nudge = 0
        # The commit has happened: nothing here may turn it into an error for the caller.
        try:
            self.checkpointer().nudge()
        except StoreError:
            pass  # closed meanwhile, by another thread
        except Exception as exc:  # e.g. no thread can be started: the automatic checkpoint still bounds the log
            _log.warning("cannot start the background checkpointer of %s: %s", self.path, exc)

    def checkpointer(self) -> Checkpointer:
        """This store's background checkpointer, started on first use (and again in a forked child)."""
        if self._memory:
            raise StoreError("an in-memory store has no write-ahead log to checkpoint")
        with self._checkpointer_lock:
            running = self._checkpointer
            if running is None or running.pid != os.getpid() or not running.alive:
                if self._closed:
                    raise StoreError(f"store {self.url} is closed")
                running = Checkpointer(self.path, busy_timeout_ms=int(self.busy_timeout * 1000))
                self._checkpointer = running
                # A store dropped without close() still ends its thread (at the latest when Python exits).
                weakref.finalize(self, running.stop)
            return running

    def _rollback(self, conn: Any) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:  # a rollback that fails still leaves no bulk-write settings on the connection (or in _bulk)
            try:
                self._end_bulk_write(conn)
            except sqlite3.Error:
                self._bulk.discard(conn)

    def _applied_at(self) -> Any:
        return datetime.now(UTC).isoformat(timespec="microseconds")
