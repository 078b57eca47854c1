"""Databases for tests: an empty SQLite file or a fresh PostgreSQL schema, with raw access underneath the store.

PostgreSQL comes from ``CREATORKIT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"`` starts one). Without
it the PostgreSQL cases are skipped, except on CI (``CI=true``), where they fail: CI must use the real server.
"""

from __future__ import annotations

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
