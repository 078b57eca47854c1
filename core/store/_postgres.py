"""The shared store: PostgreSQL, for several processes or hosts.

Each thread has its own psycopg connection with autocommit off; a transaction begins with its first
statement and ends with an explicit commit or rollback. Writes run at READ COMMITTED: optimistic updates
compare the version in their ``WHERE`` clause, so of two concurrent updates from the same version the
second re-reads the row after the first commits and matches nothing (a ConflictError). Appends to the audit
chain lock the head row (``SELECT ... FOR UPDATE``), so they form one linear chain across processes. Reads
(``store.read()``) run at REPEATABLE READ, READ ONLY: one snapshot for the whole block.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from ..audit._keys import AuditKeys
from ..errors import StoreError
from ._base import Store
from ._transaction import Transaction

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the install
    psycopg = None  # type: ignore[assignment]

_DRIVER_ERRORS: tuple[type[BaseException], ...] = () if psycopg is None else (psycopg.Error,)

__all__ = ["PostgresStore", "PostgresTransaction"]

_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('creatorkit.store.migrations'))"


# The fields every format hashes first; prev_hash always comes last (see creatorkit.audit).
_FIELDS = (
    "sequence::text, actor_id, COALESCE(on_behalf_of, ''), action, entity_kind, entity_id,"
    " COALESCE(workspace_id, ''), payload_hash, occurred_at"
)


class PostgresTransaction(Transaction):
    """Documents as JSONB; timestamps as timestamptz."""

    __slots__ = ()
    _P: ClassVar[str] = "%s"
    _DOC_PARAM: ClassVar[str] = "%s::jsonb"
    _LOCK_HEAD: ClassVar[str] = " FOR UPDATE"
    _LOCK_ROW: ClassVar[str] = " FOR UPDATE"
    # concat_ws skips NULLs, so every optional field is coalesced to "", its encoding.
    _AUDIT_MATERIAL: ClassVar[str] = (
        f"convert_to(concat_ws(chr(31), {_FIELDS}, COALESCE(key_id, ''), COALESCE(documents, ''), prev_hash), 'UTF8')"
    )
    _AUDIT_MATERIAL_1: ClassVar[str] = f"convert_to(concat_ws(chr(31), {_FIELDS}, prev_hash), 'UTF8')"

    def lock_catalog(self, workspace: str) -> None:
        # A transaction-scoped advisory lock on the workspace's catalog: concurrent imports into it take turns.
        self._cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", ("catalog:" + workspace,))

    def _encode_time(self, moment: datetime) -> datetime:
        return moment.astimezone(UTC)

    def _decode_time(self, value: Any) -> datetime:
        moment: datetime = value.astimezone(UTC)
        return moment

    def _decode_doc(self, value: Any) -> dict[str, Any]:
        doc: dict[str, Any] = value  # psycopg already loads jsonb
        return doc


class PostgresStore(Store):
    """A store in a PostgreSQL database, given as a ``postgresql://`` URL (libpq syntax)."""

    dialect: ClassVar[str] = "postgresql"
    locks_rows: ClassVar[bool] = True
    _transaction_class = PostgresTransaction
    _driver_errors = _DRIVER_ERRORS

    def __init__(self, url: str, *, connect_timeout: int = 10, audit_keys: AuditKeys | None = None) -> None:
        if psycopg is None:
            raise StoreError("a postgresql:// store needs psycopg: pip install 'creatorkit[postgres]'")
        self._conninfo = url
        self.connect_timeout = connect_timeout
        super().__init__(url, audit_keys)
        self._migrate_or_close()

    def _unmasked_url(self) -> str:
        """The URL as given, password included: for a client of the same database (the job queue); never print it."""
        return self._conninfo

    def _connect(self) -> Any:
        conn = psycopg.connect(self._conninfo, autocommit=False, connect_timeout=self.connect_timeout)
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _usable(self, conn: Any) -> bool:
        return not conn.closed and not conn.broken

    def _begin(self, conn: Any, readonly: bool) -> None:
        # psycopg opens the transaction with the first statement; a read sets its level as that statement.
        if readonly:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def _commit(self, conn: Any) -> None:
        conn.commit()

    def _rollback(self, conn: Any) -> None:
        if not conn.closed:
            conn.rollback()

    def _migration_prelude(self) -> tuple[str, ...]:
        return (_MIGRATION_LOCK,)
