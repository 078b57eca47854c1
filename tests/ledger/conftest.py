"""Fixtures for the ledger suite: kits on fresh databases of each dialect, deals to hold money for, profiles.

The state-machine test runs ``CREATORKIT_LEDGER_PROFILE`` (default ``ledger``: 40 sequences, or
``CREATORKIT_LEDGER_EXAMPLES``; ``ledger-ci``: 2,000, which ``.ci/run`` sets). Each sequence starts from nothing, as
the reference model does: on one migrated database per dialect, put back as migrating left it before each sequence
(``reused_kits``, over ``databases.ReusedDatabase``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import attrs
import pytest
from hypothesis import HealthCheck, settings

from creatorkit import Actor, Creatorkit
from creatorkit.converter import unstructure
from creatorkit.entities import LedgerAccount, LedgerAccountKind
from databases import DIALECTS, Database, PostgresDatabase, ReusedDatabase, SqliteDatabase, postgres_url_or_skip
from samples import deal as sample_deal

PROFILE_ENV = "CREATORKIT_LEDGER_PROFILE"
CI_PROFILE = "ledger-ci"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system()

_common = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], stateful_step_count=25)
settings.register_profile("ledger", _common, max_examples=int(os.environ.get("CREATORKIT_LEDGER_EXAMPLES", "40")))
settings.register_profile(CI_PROFILE, _common, max_examples=2_000)


def ledger_settings() -> settings:
    """The profile the state-machine test runs under (see the module docstring)."""
    return settings.get_profile(os.environ.get(PROFILE_ENV, "ledger"))


def add_deal(kit: Creatorkit, deal_id: str, brand_id: str = "brand_lumen") -> None:
    """A deal record to hold money for (the workflow's own path is not what these tests are about)."""
    deal = attrs.evolve(sample_deal, id=deal_id, brand_id=brand_id)
    with kit.store._write_transaction() as tx:
        tx.insert("deal", deal_id, unstructure(deal), now=NOW)


def open_accounts(
    kit: Creatorkit, currency: str, deal_id: str, tag: str = ""
) -> dict[LedgerAccountKind, LedgerAccount]:
    """One account of every kind in ``currency``: the deal's escrow and the holders' accounts (``tag`` in their ids)."""
    from creatorkit.ledger import OpenAccount

    holders = {
        LedgerAccountKind.BRAND_FUNDING: f"brand{tag}",
        LedgerAccountKind.AGENCY_SHARE: f"agency{tag}",
        LedgerAccountKind.CREATOR_PAYABLE: f"creator{tag}",
        LedgerAccountKind.PROVIDER_CLEARING: f"provider{tag}",
    }
    operations = [OpenAccount(kind=kind, currency=currency, holder=holder) for kind, holder in holders.items()]
    operations.append(OpenAccount(kind=LedgerAccountKind.DEAL_ESCROW, currency=currency, deal_id=deal_id))
    operations.append(OpenAccount(kind=LedgerAccountKind.PLATFORM_FEES, currency=currency))
    opened = kit.ledger.apply(SYSTEM, operations)
    return {account.kind: account for account in opened if isinstance(account, LedgerAccount)}


class Kits(Protocol):
    """Where a state machine gets the kit of each sequence, on a database with nothing in it, and gives it back."""

    def new(self) -> Creatorkit: ...

    def discard(self, kit: Creatorkit) -> None: ...


class KitFactory:
    """Kits on new, empty databases of one dialect (a file; a PostgreSQL schema), each dropped when discarded."""

    def __init__(self, folder: Path, postgres_url: str | None) -> None:
        self._folder = folder
        self._url = postgres_url
        self._counter = itertools.count()
        self._databases: dict[int, Database] = {}

    def new(self) -> Creatorkit:
        database: Database = (
            SqliteDatabase(self._folder / f"ledger_{next(self._counter)}.db")
            if self._url is None
            else PostgresDatabase(self._url)
        )
        kit = Creatorkit(store=database.open(), clock=lambda: NOW)
        self._databases[id(kit)] = database
        return kit

    def discard(self, kit: Creatorkit) -> None:
        database = self._databases.pop(id(kit), None)
        if database is not None:
            database.close()

    def discard_all(self) -> None:
        for database in self._databases.values():
            database.close()
        self._databases.clear()


class ReusedDatabaseKits:
    """Kits one after another on one migrated database, each a new kit on it just put back as migrated.

    What :class:`KitFactory` gives (a kit that finds nothing stored), without migrating a database each time: each
    :meth:`new` resets the database (see :class:`databases.ReusedDatabase`). The kits share its one store, which the
    fixture closes: a kit discarded leaves it open for the next.
    """

    def __init__(self, database: ReusedDatabase) -> None:
        self.database = database

    def new(self) -> Creatorkit:
        return Creatorkit(store=self.database.fresh_store(), clock=lambda: NOW)

    def discard(self, kit: Creatorkit) -> None:
        pass  # the next new() resets the database; its store is the fixture's to close


@pytest.fixture(params=DIALECTS)
def reused_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReusedDatabase]:
    """One migrated database of each dialect, for a test to reset as often as it needs a new one."""
    with ReusedDatabase.of(request.param, tmp_path) as reused:
        yield reused


@pytest.fixture
def reused_kits(reused_database: ReusedDatabase) -> ReusedDatabaseKits:
    """:class:`ReusedDatabaseKits` of each dialect."""
    return ReusedDatabaseKits(reused_database)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kits(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KitFactory]:
    """A :class:`KitFactory` of the dialect."""
    factory = KitFactory(tmp_path, None if request.param == "sqlite" else postgres_url_or_skip())
    try:
        yield factory
    finally:
        factory.discard_all()


@pytest.fixture
def ledger_kit(kits: KitFactory) -> Creatorkit:
    """A kit on a fresh database holding one deal, ``deal_1``, of brand ``brand_lumen`` (not registered)."""
    kit = kits.new()
    add_deal(kit, "deal_1")
    return kit
