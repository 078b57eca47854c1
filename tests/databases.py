"""Databases for tests: an empty SQLite file or a fresh PostgreSQL schema, with raw access underneath the store.

PostgreSQL comes from ``CREATORKIT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"`` starts one). Without
it the PostgreSQL cases are skipped, except on CI (``CI=true``), where they fail: CI must use the real server.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from creatorkit.store import Store, open_store

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

    def open(self) -> Store:
        store = open_store(self.url)
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
