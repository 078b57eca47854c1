"""What the Stripe plugin's tests share: a host with the plugin in sandbox mode, the network off, and requests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from creatorkit_payments.stripe_connect import StripeConnectPayments
from creatorkit_payments.stripe_connect.sandbox import StripeSandbox

from creatorkit import Money
from creatorkit.entities import (
    LegRole,
    OperationKind,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    new_id,
)
from creatorkit.host import PaymentClient
from creatorkit.testing import network_disabled
from creatorkit.testing._fixtures import sandboxed_host

__all__ = ["AGENCY", "CREATOR", "FIXTURES", "Deal", "start"]

FIXTURES = Path(__file__).resolve().parents[3] / "plugins" / "payments" / "stripe_connect" / "fixtures"
CREATOR, AGENCY = "acct_creator_test", "acct_agency_test"
DEAL_AMOUNT = Money(100_000, "USD")


def start(**settings: Any) -> tuple[PaymentClient, StripeConnectPayments]:
    """The plugin registered in sandbox mode with ``settings`` (the sandbox knows both receivers' accounts)."""
    sandbox = {"accounts": [CREATOR, AGENCY], **settings.pop("sandbox", {})}
    plugin = StripeConnectPayments()
    host = sandboxed_host("stripe_connect", "creatorkit.payments", {**settings, "sandbox": sandbox}, plugin=plugin)
    return host.payments("stripe_connect"), plugin


def sandbox_of(plugin: StripeConnectPayments) -> StripeSandbox:
    assert plugin.sandbox is not None
    return plugin.sandbox


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    with network_disabled():
        yield


class Deal:
    """Requests for one deal: fund it, release to the creator and the agency, reverse, refund."""

    def __init__(self, amount: Money = DEAL_AMOUNT) -> None:
        self.amount = amount
        self.deal_id = new_id("deal")

    def fund(self, amount: Money | None = None, **changes: Any) -> ProviderRequest:
        return ProviderRequest(
            operation_id=changes.pop("operation_id", new_id("op")),
            kind=OperationKind.FUND,
            amount=amount or self.amount,
            deal_id=self.deal_id,
            reason="fund the deal",
            **changes,
        )

    def legs(self, creator: int, agency: int = 0, platform: int = 0) -> tuple[ReceiverLeg, ...]:
        currency = self.amount.currency
        parts = [
            (CREATOR, creator, LegRole.CREATOR),
            (AGENCY, agency, LegRole.AGENCY),
            ("acct_platform", platform, LegRole.PLATFORM),
        ]
        return tuple(
            ReceiverLeg(party_id=f"party_{role}", account_ref=account, amount=Money(units, currency), role=role)
            for account, units, role in parts
            if units
        )

    def release(self, fund: ProviderOperation, legs: tuple[ReceiverLeg, ...], **changes: Any) -> ProviderRequest:
        return ProviderRequest(
            operation_id=changes.pop("operation_id", new_id("op")),
            kind=OperationKind.RELEASE,
            amount=Money(sum(leg.amount.amount for leg in legs), self.amount.currency),
            deal_id=self.deal_id,
            reason="release a milestone",
            legs=legs,
            source=SourceReference(ref=fund.provider_ref, operation_id=fund.operation_id, amount=fund.amount),
            **changes,
        )

    def reverse(
        self, release: ProviderRequest, done: ProviderOperation, legs: tuple[ReceiverLeg, ...] | None = None
    ) -> ProviderRequest:
        legs = legs or release.legs
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REVERSE,
            amount=Money(sum(leg.amount.amount for leg in legs), self.amount.currency),
            deal_id=self.deal_id,
            reason="take the milestone back",
            legs=legs,
            source=SourceReference(ref=done.provider_ref, operation_id=release.operation_id),
        )

    def refund(
        self, fund: ProviderOperation, amount: Money | None = None, released: Money | None = None
    ) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REFUND,
            amount=amount or fund.amount,
            deal_id=self.deal_id,
            reason="refund the brand",
            source=SourceReference(
                ref=fund.provider_ref,
                operation_id=fund.operation_id,
                amount=fund.amount,
                released=released or Money.zero(fund.amount.currency),
            ),
        )

    def payout(self, account: str, units: int) -> ProviderRequest:
        leg = ReceiverLeg(
            party_id="party_creator",
            account_ref=account,
            amount=Money(units, self.amount.currency),
            role=LegRole.CREATOR,
        )
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.PAYOUT,
            amount=leg.amount,
            deal_id=self.deal_id,
            reason="pay the creator out",
            legs=(leg,),
        )


def objects(plugin: StripeConnectPayments, kind: str) -> list[Mapping[str, Any]]:
    return [obj for obj in sandbox_of(plugin).books.objects.values() if obj["object"] == kind]
