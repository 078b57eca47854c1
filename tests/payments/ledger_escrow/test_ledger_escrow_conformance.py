"""The payment conformance kit over the escrow: in-memory books, then books on each store dialect, in four currencies.

The kit starts a new provider for every host; each is closed when its test ends. On PostgreSQL every test's
providers keep their books in one schema of the test server (the kit's ids are new each time, so tests never
meet), given as the ``store`` setting: the one the kit's ``settings`` pass to every host it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from creatorkit_payments.ledger_escrow import LedgerEscrow
from creatorkit_payments.ledger_escrow.conformance import LedgerEscrowConformance

from creatorkit import Money
from databases import DIALECTS, Database, empty_database


class ClosingProviders(LedgerEscrowConformance):
    """The escrow's suite, closing every provider the kit started once the test is over."""

    started: list[LedgerEscrow]

    @pytest.fixture(autouse=True)
    def _close_providers(self) -> Iterator[None]:
        self.started = []
        yield
        for plugin in self.started:
            plugin.close()

    def load_plugin(self) -> object:
        plugin = LedgerEscrow(self.plugin_name)
        self.started.append(plugin)
        return plugin


class TestLedgerEscrowConformance(ClosingProviders):
    """The suite ``creatorkit plugins check ledger_escrow`` runs: sandbox mode's in-memory books."""


class TestInYen(ClosingProviders):
    amount = Money(12_345, "JPY")


class TestInKuwaitiDinars(ClosingProviders):
    amount = Money(1_250_505, "KWD")


class TestInBahrainiDinars(ClosingProviders):
    amount = Money(1_250_505, "BHD")


@pytest.fixture(scope="module", params=DIALECTS)
def books_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    folder: Path = tmp_path_factory.mktemp("books")
    database = empty_database(request.param, folder, "books.db")
    try:
        yield database
    finally:
        database.close()


class TestOnEachStore(ClosingProviders):
    """The whole kit again, with the books in a SQLite file and in a PostgreSQL schema (``store``)."""

    @pytest.fixture(autouse=True)
    def _books_in(self, books_store: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        # The kit hands `settings` to every host it starts; the class's are put back after the test.
        monkeypatch.setattr(type(self), "settings", {"store": books_store.url})


class TestOnEachStoreInKuwaitiDinars(TestOnEachStore):
    amount = Money(1_250_505, "KWD")
