"""Databases for tests: an empty SQLite file or a fresh PostgreSQL schema, with raw access underneath the store.

PostgreSQL comes from ``CREATORKIT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"`` starts one). Without
it the PostgreSQL cases are skipped, except on CI (``CI=true``), where they fail: CI must use the real server.

A test that needs a new database many times over (a state machine: each sequence starts from nothing) takes one
:class:`ReusedDatabase` per dialect instead: migrated once, put back as migrating left it before each use, for a few
milliseconds instead of a migration (and a PostgreSQL schema) each time. A suite's fixture is three lines::

    @pytest.fixture(params=DIALECTS)
    def reused_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReusedDatabase]:
        with ReusedDatabase.of(request.param, tmp_path) as reused:
            yield reused
"""

from __future__ import annotations

import dataclasses
import graphlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from creatorkit.audit import GENESIS, HASHED_FIELDS_FORMAT_1, AuditKeys, event_hash, payload_hash
from creatorkit.store import Store, open_store
from creatorkit.store._audit_trail import AUDIT_COLUMNS

POSTGRES_ENV = "CREATORKIT_TEST_POSTGRES_URL"
#: The dialects a test runs on, as fixture params: PostgreSQL's marked, so that ``-m "not postgres"`` leaves it out.
DIALECTS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
#: The table a reset leaves alone: which migrations ran (and when, which no two databases share).
MIGRATIONS_TABLE = "schema_migrations"


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set on CI: the PostgreSQL store suite must run for real", pytrace=False)
    pytest.skip(f'{POSTGRES_ENV} is not set (start a server with: eval "$(bash .ci/postgres.sh)")')


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("options", f"-csearch_path={schema}")]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


@dataclasses.dataclass(frozen=True)
class Contents:
    """What a database holds, comparable with what another holds: two that compare equal behave alike.

    ``rows``: every table's rows, sorted, but :data:`MIGRATIONS_TABLE`'s. ``counters``: where each identity counter
    stands (PostgreSQL's sequences, by name: start and last value given, None before the first; a SQLite rowid
    follows from the rows). ``guards``: each trigger, by name, with its table and how it is defined and enabled.
    """

    rows: dict[str, list[tuple[Any, ...]]]
    counters: dict[str, tuple[Any, ...]]
    guards: dict[str, tuple[Any, ...]]


class Database:
    """One empty database for a test: open stores on it, and reach under them with raw SQL."""

    dialect: str
    url: str

    def __init__(self) -> None:
        self._stores: list[Store] = []

    def open(self, keys: AuditKeys | None = None) -> Store:
        """A store on this database, with ``keys`` (none by default, whatever the environment holds)."""
        store = open_store(self.url, audit_keys=AuditKeys() if keys is None else keys)
        self._stores.append(store)
        return store

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) on a raw connection of its own, committed."""
        raise NotImplementedError

    def drop_audit_guard(self) -> None:
        """Remove the append-only triggers, as someone tampering with the database would."""
        raise NotImplementedError

    def tamper(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.drop_audit_guard()
        self.execute(sql, params)

    def rewrite_document(self, kind: str, id: str, change: Callable[[dict[str, Any]], None], **columns: Any) -> None:
        """Change a stored document underneath the store (its JSON by ``change``, and any ``columns`` given)."""
        [(raw,)] = self.execute("SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, id))
        doc = json.loads(raw) if isinstance(raw, str) else raw  # PostgreSQL hands JSONB back decoded
        change(doc)
        cast = "?::jsonb" if self.dialect == "postgresql" else "?"
        sets = "".join(f", {name} = ?" for name in columns)
        self.execute(
            f"UPDATE documents SET doc = {cast}{sets} WHERE kind = ? AND id = ?",
            (json.dumps(doc), *columns.values(), kind, id),
        )

    # -- what someone with write access to the database (and no key) can do to the audit trail --------------------

    def audit_rows(self) -> list[dict[str, Any]]:
        """Every stored event, oldest first, as a dict of its columns."""
        rows = self.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY sequence")
        names = [name.strip() for name in AUDIT_COLUMNS.split(",")]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def rebuild_chain(self, rows: list[dict[str, Any]], *, head_mac: str | None = None) -> None:
        """Replace the whole trail by ``rows``: numbered 1, 2, ... and hashed again, each onto the one before.

        Each row keeps the key_id and mac it is given (a rebuilt event cannot get a MAC that verifies); the head is
        moved to the last one, with ``head_mac``. Hashing is all a chain without a key asks for.
        """
        self.tamper("DELETE FROM audit_events")
        prev = GENESIS
        for sequence, row in enumerate(rows, start=1):
            row = {**row, "sequence": sequence, "prev_hash": prev}
            hashed = {name: row[name] for name in ("key_id", "documents") if row["format"] != 1}
            row["hash"] = event_hash(
                **{name: row[name] for name in HASHED_FIELDS_FORMAT_1}, **hashed, format=row["format"]
            )
            self.insert_event(row)
            prev = row["hash"]
        last_key = rows[-1]["key_id"] if rows else None
        self.execute(
            "UPDATE audit_head SET sequence = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1",
            (len(rows), prev, last_key, head_mac),
        )

    def insert_event(self, row: dict[str, Any]) -> None:
        """Insert one event row as given (columns named as in AUDIT_COLUMNS), under the append-only guard."""
        names = [name for name in row if name in AUDIT_COLUMNS]
        self.execute(
            f"INSERT INTO audit_events ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [row[name] for name in names],
        )

    def append_legacy_event(self, **fields: Any) -> str:
        """Append a format-1 event (as creatorkit wrote before migration 4) and move the head; its hash."""
        (head,) = self.execute("SELECT sequence, hash FROM audit_head WHERE id = 1")
        row = {
            "on_behalf_of": None,
            "workspace_id": None,
            "occurred_at": "2025-01-01T00:00:00.000000+00:00",
            **fields,
            "sequence": head[0] + 1,
            "prev_hash": head[1],
        }
        row["payload_hash"] = payload_hash(row.pop("payload", {}))
        row["hash"] = event_hash(**{name: row[name] for name in HASHED_FIELDS_FORMAT_1}, format=1)
        columns = ", ".join(row)
        self.execute(f"INSERT INTO audit_events ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        self.execute("UPDATE audit_head SET sequence = ?, hash = ? WHERE id = 1", (row["sequence"], row["hash"]))
        return str(row["hash"])

    def close(self) -> None:
        for store in self._stores:
            store.close()

    # -- putting a used database back as it was (see ReusedDatabase) -----------------------------------------------

    def contents(self) -> Contents:
        """What the database holds now (see :class:`Contents`)."""
        raise NotImplementedError

    def connect(self) -> Any:
        """A raw DB-API connection of the dialect's driver, for :meth:`restore` to use again and again."""
        raise NotImplementedError

    def restore(self, contents: Contents, connection: Any = None) -> None:
        """Make every table hold ``contents``' rows and every identity counter stand where it did, in one transaction.

        The append-only and immutability triggers would refuse the deletes: they are dropped inside that transaction
        only, and created again from ``contents`` (as they were defined and enabled) before it commits: a guard a test
        dropped comes back too. :data:`MIGRATIONS_TABLE` is left alone. On ``connection`` (from :meth:`connect`), or
        on one of its own.
        """
        raise NotImplementedError


def _sorted_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)  # a row may mix None with values, which do not order against each other


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.url = str(path)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def drop_audit_guard(self) -> None:
        self.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        self.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")

    def _tables(self) -> list[str]:
        # sqlite_sequence (AUTOINCREMENT's counters) is a table to reset too; SQLite's other own tables are not data.
        rows = self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> ?"
            " AND (name NOT LIKE 'sqlite^_%' ESCAPE '^' OR name = 'sqlite_sequence') ORDER BY name",
            (MIGRATIONS_TABLE,),
        )
        return [name for (name,) in rows]

    def contents(self) -> Contents:
        rows = {table: _sorted_rows(self.execute(f'SELECT * FROM "{table}"')) for table in self._tables()}
        triggers = self.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")
        return Contents(rows, {}, {name: (table, sql) for name, table, sql in triggers})

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")  # as the store writes: no sync at each commit in WAL mode
        return conn

    def restore(self, contents: Contents, connection: sqlite3.Connection | None = None) -> None:
        # SQLite cannot switch a trigger off: the guards are dropped and created again from their SQL, in the order
        # they were first created, inside the transaction (DDL is transactional here). Foreign keys are off on this
        # connection, so the tables empty in any order; a rowid starts again at 1 in an empty table, as in a new one.
        conn = self.connect() if connection is None else connection
        try:
            conn.execute("BEGIN IMMEDIATE")
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f'DROP TRIGGER "{name}"')
            for table, rows in contents.rows.items():
                conn.execute(f'DELETE FROM "{table}"')
                if rows:
                    conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(rows[0]))})', rows)
            for _, sql in contents.guards.values():
                conn.execute(sql)
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if connection is None:
                conn.close()


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.schema = f"ck_test_{uuid.uuid4().hex[:16]}"
        self._admin(f"CREATE SCHEMA {self.schema}")
        self.url = with_search_path(base_url, self.schema)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(sql)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    def drop_audit_guard(self) -> None:
        self.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")

    def close(self) -> None:
        super().close()
        self._admin(f"DROP SCHEMA {self.schema} CASCADE")

    def _tables(self) -> list[str]:
        """Every table of the schema but MIGRATIONS_TABLE, each before the tables its foreign keys reference."""
        names = [
            name
            for (name,) in self.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> ?",
                (MIGRATIONS_TABLE,),
            )
        ]
        references = self.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
        )
        referenced_by: dict[str, set[str]] = {name: set() for name in sorted(names)}
        for table, parent in references:
            if table != parent:  # a table referencing itself empties in one statement
                referenced_by[parent].add(table)
        return list(graphlib.TopologicalSorter(referenced_by).static_order())

    def contents(self) -> Contents:
        # rows in the order they can be deleted in (a table before those it references); a dict compares unordered.
        rows = {table: _sorted_rows(self.execute(f'SELECT * FROM "{table}"')) for table in self._tables()}
        counters = self.execute(
            "SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = current_schema()"
        )
        # A definition names its table with the schema, which no two databases share: the search path finds it.
        guards = {
            name: (table, enabled, definition.replace(f" ON {self.schema}.", " ON "))
            for name, table, enabled, definition in self.execute(_GUARDS)
        }
        return Contents(rows, {name: (start, last) for name, start, last in counters}, guards)

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)  # restore opens its own transaction

    def restore(self, contents: Contents, connection: Any = None) -> None:
        # The guards are dropped and created again from their definitions rather than disabled: that needs only to
        # own the tables (session_replication_role needs a superuser), and is transactional, so no other connection
        # ever sees them down. TRUNCATE would fire the guards' TRUNCATE triggers too, and costs about ten times these
        # deletes. Statements without parameters go in one round trip each.
        conn = self.connect() if connection is None else connection
        try:
            with conn.transaction():
                self._put_back(conn, contents)
        finally:
            if connection is None:
                conn.close()

    @staticmethod
    def _put_back(conn: Any, contents: Contents) -> None:
        from psycopg.types.json import Jsonb

        present = conn.execute(_GUARDS).fetchall()
        drops = [f'DROP TRIGGER "{name}" ON "{table}"' for name, table, _, _ in present]
        conn.execute(";".join(drops + [f'DELETE FROM "{table}"' for table in contents.rows]))
        for table, rows in reversed(contents.rows.items()):  # a table after those it references
            if rows:
                placeholders = ", ".join(["%s"] * len(rows[0]))
                with conn.cursor() as cur:
                    cur.executemany(
                        f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE VALUES ({placeholders})',
                        [[Jsonb(v) if isinstance(v, dict | list) else v for v in row] for row in rows],
                    )
        restarts = []
        for sequence, (start, last) in contents.counters.items():
            # Before its first value a sequence stands at its start, not yet called; after, at its last value.
            at, called = (int(start), "false") if last is None else (int(last), "true")
            restarts.append(f"SELECT setval('\"{sequence}\"'::regclass, {at}, {called})")
        guards = [definition for _, _, definition in contents.guards.values()]
        guards += [
            f'ALTER TABLE "{table}" {_ENABLE[enabled]} TRIGGER "{name}"'
            for name, (table, enabled, _) in contents.guards.items()
            if enabled != "O"  # as CREATE TRIGGER leaves it
        ]
        conn.execute(";".join(restarts + guards))


#: Each trigger of the schema's tables (not those PostgreSQL makes for foreign keys): name, table, how it is enabled
#: (O: as created; D: disabled; A, R: always, on replicas only) and its definition.
_GUARDS = (
    "SELECT t.tgname, c.relname, t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY t.tgname"
)
_ENABLE = {"O": "ENABLE", "D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}


def empty_database(dialect: str, folder: Path, name: str = "store.db") -> Database:
    """An empty database of ``dialect`` (a param of :data:`DIALECTS`, or a store's ``dialect``): the file ``name`` in
    ``folder``, or a new schema on the test server."""
    if dialect == "sqlite":
        return SqliteDatabase(folder / name)
    if dialect in ("postgres", "postgresql"):
        return PostgresDatabase(postgres_url_or_skip())
    raise ValueError(f"no test database of dialect {dialect!r}")


class ReusedDatabase:
    """One migrated database that stands in for a new one each time a test asks: see :meth:`fresh_store`.

    For tests that need a newly migrated database many times over, a state machine's sequences above all (each must
    start from nothing): a database per sequence (a SQLite file; a PostgreSQL schema), created, migrated and dropped,
    cost about 55 ms on SQLite and 130 ms on PostgreSQL; a reset and a new store on it, about 7 and 35 ms. Nothing
    is carried from one use to the next but the database, and :meth:`reset` makes it hold exactly what it held when
    migrated: every table's rows (the audit head at genesis), every identity counter (entry sequences, PostgreSQL's
    document numbers) where it stood, the guard triggers as defined. The ledger suite's ``test_reused_database``
    holds it to that. A suite whose uses all start from the same world (parties, a deal) writes it once and resets
    to its :meth:`snapshot` instead. What does differ is bookkeeping that no query reads: SQLite's schema version
    counter, which each reset moves on, and PostgreSQL's trigger oids and dead rows awaiting vacuum.
    """

    def __init__(self, database: Database, keys: AuditKeys | None = None) -> None:
        self.database = database
        self.keys = keys
        self._store: Store | None = None
        database.open(keys).close()  # migrated
        self.migrated = database.contents()
        # Kept open: a connection each reset would cost a PostgreSQL login, or on SQLite a checkpoint of the log
        # and its deletion whenever the last connection closes.
        self._connection = database.connect()

    def reset(self, start: Contents | None = None) -> None:
        """Put the database back as migrating left it, or as it was when :meth:`snapshot` gave ``start``."""
        self.database.restore(self.migrated if start is None else start, self._connection)

    def snapshot(self) -> Contents:
        """What the database holds now, for :meth:`fresh_store` to start from again: a world that many uses share
        (the parties of a suite's sequences), written once instead of once per use."""
        return self.database.contents()

    def fresh_store(self, start: Contents | None = None) -> Store:
        """The store on the database, just reset: it finds what ``open_store`` finds on a newly migrated one (or
        what the database held when :meth:`snapshot` gave ``start``).

        One store serves every call, opened at the first (and again after a caller closed it): opening one each time
        would cost a PostgreSQL login and a backend with cold caches (about 20 ms). A store keeps nothing it read
        across another connection's commit, which the reset is: SQLite's record cache starts afresh when ``PRAGMA
        data_version`` moves; PostgreSQL's store keeps none. ``test_reused_database`` holds it to that.
        """
        self.reset(start)
        if self._store is None or self._store._closed:
            self._store = open_store(self.database.url, audit_keys=AuditKeys() if self.keys is None else self.keys)
        return self._store

    @classmethod
    def of(cls, dialect: str, folder: Path) -> ReusedDatabase:
        """One of ``dialect`` (see :func:`empty_database`)."""
        database = empty_database(dialect, folder, "reused.db")
        try:
            return cls(database)
        except BaseException:
            database.close()
            raise

    def __enter__(self) -> ReusedDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self._connection.close()
        self.database.close()
