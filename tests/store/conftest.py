"""Fixtures for the store suite: every test taking ``store`` or ``db`` runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``CREATORKIT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"`` starts one);
each test gets a schema of its own, dropped afterwards. Without the variable the PostgreSQL cases are
skipped, except on CI (``CI=true``), where they fail: CI must exercise the real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from creatorkit.audit import AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV
from creatorkit.store import Store
from databases import Database, PostgresDatabase, SqliteDatabase, postgres_url_or_skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each dialect (a fresh file; a fresh PostgreSQL schema)."""
    database: Database
    if request.param == "sqlite":
        database = SqliteDatabase(tmp_path / "store.db")
    else:
        database = PostgresDatabase(postgres_url_or_skip())
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def store(db: Database) -> Store:
    """A migrated, empty store of each dialect."""
    return db.open()


@pytest.fixture(autouse=True)
def no_audit_keys_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores opened here directly (open_store) are unkeyed whatever the developer's shell holds."""
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    monkeypatch.delenv(AUDIT_OLD_KEYS_ENV, raising=False)
