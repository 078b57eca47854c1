"""What every store does, whatever the database: connections per thread, transactions, migrations.

A dialect (:mod:`._sqlite`, :mod:`._postgres`) supplies its connections, its transaction boundaries and how
it encodes JSON and timestamps; the SQL and the rules live here and in the transaction's modules, once.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, ClassVar

from .._memo import trim_oldest
from .._redaction import mask_url, scrub, scrub_error, url_passwords
from ..audit._keys import AuditKeys
from ..entities._audit import AuditEvent
from ..errors import StoreError
from . import _migrations as migrations
from ._audit_trail import AUDIT_COLUMNS
from ._records import RECORD_CACHE_SIZE, Known
from ._transaction import Transaction
from ._transaction_base import utcnow

__all__ = ["Store", "mask_url"]


class Store(abc.ABC):
    """A document store with a tamper-evident audit chain; open one with :func:`creatorkit.store.open_store`.

    Thread-safe: each thread gets its own connection. Every read goes through :meth:`read` (a read-only
    snapshot). There is no public way to write: state changes only through the services, each call one
    transaction holding the change and its audit events (:meth:`_write_transaction`, the private path the
    services' write path, migrations and tests use). Transactions do not nest.
    """

    dialect: ClassVar[str]
    #: Whether a write transaction can lock one document (``Transaction.get_for_update``) and leave the others
    #: writable: PostgreSQL locks rows; a SQLite write transaction holds the whole database, so work that waits
    #: on something slow (a platform) is better done outside it, and checked with the document's version after.
    locks_rows: ClassVar[bool] = False
    url: str
    """Where the store lives, with any password masked: safe to log and print."""
    audit_keys: AuditKeys
    """The keys this process MACs the audit trail with (the current one) and verifies it with (all)."""

    _transaction_class: ClassVar[type[Transaction]] = Transaction
    _driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, url: str, audit_keys: AuditKeys | None = None) -> None:
        self.url = mask_url(url)
        self._url_passwords = url_passwords(url)
        # Read before any connection: a malformed key in the environment stops the store from opening at all.
        self.audit_keys = AuditKeys.from_environment() if audit_keys is None else audit_keys
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
            raise StoreError(f"cannot open {self.dialect} store {self.url}: {self._driver_text(exc)}") from exc
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _driver_text(self, exc: BaseException) -> str:
        """The driver's message, and ``exc`` itself (it stays the cause), scrubbed of the URL's password.

        libpq quotes a password it cannot parse; however short, it is masked (only where no letter or digit
        touches it, so that ordinary words stay).
        """
        if self._url_passwords:
            scrub_error(exc, self._url_passwords, minimum=1)
            return scrub(str(exc), self._url_passwords, minimum=1)
        return str(exc)

    def close(self) -> None:
        """Close every connection this store opened (in any thread); the store cannot be used after."""
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(*self._driver_errors):  # a broken connection is closed enough
                conn.close()

    # --- transactions -----------------------------------------------------------------------------
    def _write_transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction: committed when the block ends, rolled back on any exception.

        Private on purpose. Through it a caller could change a document without its audit event, or append an
        event no service made, so only the services' write path (``Service._write`` and its ``Change``), the
        store's own migrations and creatorkit's tests use it; an app changes state through the services.
        """
        return self._scope(readonly=False)

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction on one consistent snapshot; writes in it raise StoreError.

        Each document it hands out is the caller's own: changing one in place changes nothing stored, nor what
        the next read or the services see.
        """
        return self._scope(readonly=True, copies=True)

    def _read_transaction(self) -> AbstractContextManager[Transaction]:
        """:meth:`read` for the services: documents may be shared with the connection's cache (SQLite), unchanged.

        Private like :meth:`_write_transaction`: a document changed in place here would be what every later
        transaction on this connection reads, and a service would write it on under a valid audit event.
        """
        return self._scope(readonly=True)

    @contextmanager
    def _scope(self, readonly: bool, copies: bool = False) -> Iterator[Transaction]:
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
                tx = self._transaction_class(self, conn, readonly, known, copies=copies)
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
            raise StoreError(f"{self.dialect} store {self.url}: {self._driver_text(exc)}") from exc
        finally:
            local.busy = False

    def _rollback_quietly(self, conn: Any) -> None:
        with suppress(*self._driver_errors):  # the connection is already gone; nothing to undo
            self._rollback(conn)

    # --- conveniences over one short transaction --------------------------------------------------
    def schema_version(self) -> int:
        """The highest migration applied to this database."""
        with self._read_transaction() as tx:
            tx._cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            return int(tx._cur.fetchone()[0])

    def audit_head(self) -> tuple[int, str]:
        """``(last sequence, last hash)``; ``(0, GENESIS)`` while the chain is empty."""
        with self._read_transaction() as tx:
            return tx.audit_head()

    def iter_audit(self, start: int = 1, batch: int = 10_000) -> Iterator[AuditEvent]:
        """Every event from ``start`` on, in sequence order.

        Each batch is read in its own short read transaction, so the caller may use the store between
        items; events appended meanwhile are included when their batch is read.
        """
        while True:
            with self._read_transaction() as tx:
                events = [tx._event(row) for row in tx._audit_page(AUDIT_COLUMNS, start, batch)]
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
                self._refuse_if_broken(cur, migration)
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
                raise StoreError(f"cannot migrate {self.dialect} store {self.url}: {self._driver_text(exc)}") from exc
            raise
        finally:
            self._release(conn)

    def _refuse_if_broken(self, cur: Any, migration: migrations.Migration) -> None:
        """StoreError, listing the rows, when the data already breaks the rule ``migration`` adds."""
        query = migration.refusing_query(self.dialect)
        if query is None:
            return
        cur.execute(query)
        rows = cur.fetchall()
        if rows:
            shown = "; ".join(str(row[0]) for row in rows[:20]) + ("; ..." if len(rows) > 20 else "")
            raise StoreError(
                f"cannot migrate {self.dialect} store {self.url} to version {migration.version} "
                f"({migration.description}): {migration.refusal}: {shown}"
            )

    def _applied_at(self) -> Any:
        return utcnow()
