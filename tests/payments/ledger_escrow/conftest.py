"""What the escrow's tests share: the provider registered in a host, requests for one deal, and its books' stores.

Every provider a test starts is closed when the test ends, so that no store (a SQLite file, a PostgreSQL
connection) outlives it. ``store_url`` is a database of each dialect the provider keeps its books in: a SQLite
file, and a PostgreSQL schema of its own when ``CREATORKIT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from creatorkit_payments.ledger_escrow import LedgerEscrow

from creatorkit import Money
from creatorkit.config import Mode, PluginSettings
from creatorkit.entities import (
    LegRole,
    OperationKind,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    new_id,
)
from creatorkit.host import PaymentClient, PluginHost
from creatorkit.testing import network_disabled
from databases import DIALECTS, Database, empty_database

__all__ = ["AGENCY", "CREATOR", "Deal", "Providers"]

CREATOR, AGENCY = "acct_creator", "acct_agency"
DEAL_AMOUNT = Money(100_000, "USD")


class Providers:
    """Starts providers in hosts and closes every one of them at the end."""

    def __init__(self) -> None:
        self.started: list[LedgerEscrow] = []

    def plugin(self, name: str = "ledger_escrow") -> LedgerEscrow:
        plugin = LedgerEscrow(name)
        self.started.append(plugin)
        return plugin

    def start(self, mode: Mode = Mode.SANDBOX, **settings: Any) -> tuple[PaymentClient, LedgerEscrow]:
        """The provider registered in a host in ``mode`` with ``settings``, every answer checked against its schema."""
        plugin = self.plugin()
        host = PluginHost(validate_outputs=True)
        configured = PluginSettings(name="ledger_escrow", section="payments", mode=mode, settings=settings)
        host.register(plugin, name="ledger_escrow", group="creatorkit.payments", settings=configured)
        return host.payments("ledger_escrow"), plugin

    def close(self) -> None:
        for plugin in self.started:
            plugin.close()


@pytest.fixture
def providers() -> Iterator[Providers]:
    started = Providers()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(params=DIALECTS)
def books_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each dialect for the escrow's books (never migrated by the test itself)."""
    db = empty_database(request.param, tmp_path, "escrow.db")
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    # PostgreSQL's client library connects from C, below the socket module this guard replaces.
    with network_disabled():
        yield


class Deal:
    """Requests for one deal: fund it, release to the creator and the agency, reverse, refund, pay out."""

    def __init__(self, amount: Money = DEAL_AMOUNT) -> None:
        self.amount = amount
        self.deal_id = new_id("deal")

    def fund(self, amount: Money | None = None, **changes: Any) -> ProviderRequest:
        return ProviderRequest(
            operation_id=changes.pop("operation_id", new_id("op")),
            kind=OperationKind.FUND,
            amount=amount or self.amount,
            deal_id=self.deal_id,
            reason=changes.pop("reason", "fund the deal"),
            **changes,
        )

    def legs(
        self, creator: int, agency: int = 0, platform: int = 0, shares: dict[str, int] | None = None
    ) -> tuple[ReceiverLeg, ...]:
        """Legs of these minor units; ``shares`` (``{"creator": 1500}``) gives a leg's ``share_bp``."""
        shares = shares or {}
        currency = self.amount.currency
        parts = [
            (CREATOR, creator, LegRole.CREATOR, "creator"),
            (AGENCY, agency, LegRole.AGENCY, "agency"),
            ("acct_operator", platform, LegRole.PLATFORM, "platform"),
        ]
        return tuple(
            ReceiverLeg(
                party_id=f"party_{name}",
                account_ref=account,
                amount=Money(units, currency),
                role=role,
                share_bp=shares.get(name),
            )
            for account, units, role, name in parts
            if units
        )

    def release(self, fund: ProviderOperation, legs: tuple[ReceiverLeg, ...], **changes: Any) -> ProviderRequest:
        amount = Money(sum(leg.amount.amount for leg in legs), self.amount.currency) if legs else changes.pop("amount")
        return ProviderRequest(
            operation_id=changes.pop("operation_id", new_id("op")),
            kind=OperationKind.RELEASE,
            amount=amount,
            deal_id=self.deal_id,
            reason=changes.pop("reason", "release a milestone"),
            legs=legs,
            source=changes.pop(
                "source", SourceReference(ref=fund.provider_ref, operation_id=fund.operation_id, amount=fund.amount)
            ),
            **changes,
        )

    def reverse(self, release: ProviderOperation, legs: tuple[ReceiverLeg, ...]) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REVERSE,
            amount=Money(sum(leg.amount.amount for leg in legs), self.amount.currency),
            deal_id=self.deal_id,
            reason="take the milestone back",
            legs=legs,
            source=SourceReference(ref=release.provider_ref, operation_id=release.operation_id),
        )

    def refund(self, fund: ProviderOperation, amount: Money | None = None) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REFUND,
            amount=amount or fund.amount,
            deal_id=self.deal_id,
            reason="refund the brand",
            # What the host is told went out: nothing (only the escrow's own books know better).
            source=SourceReference(
                ref=fund.provider_ref,
                operation_id=fund.operation_id,
                amount=fund.amount,
                released=Money.zero(fund.amount.currency),
            ),
        )

    def payout(self, units: int, account: str = CREATOR, role: LegRole = LegRole.CREATOR) -> ProviderRequest:
        leg = ReceiverLeg(party_id="party", account_ref=account, amount=Money(units, self.amount.currency), role=role)
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.PAYOUT,
            amount=leg.amount,
            deal_id=self.deal_id,
            reason="pay the receiver out",
            legs=(leg,),
        )
