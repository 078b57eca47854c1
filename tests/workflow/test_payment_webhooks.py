"""A payment provider's webhook carries a deal's money on: the movement it names is re-read, never trusted.

echo_pay answers ``pending`` until its movement is retrieved a number of times (its ``pending_retrieves`` switch):
the fund of a signed deal waits, and the deal stays executed, until a delivery about that fund arrives. Then the
kit asks echo_pay again, records what echo_pay says, and makes what comes next (the signing milestone's release).
The same delivery again, deliveries out of order, or one naming an operation that is not ours move nothing more.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import pytest

from creatorkit import Creatorkit, Money
from creatorkit.entities import DealState, PaymentOperationStatus, PaymentPurpose
from creatorkit.host import PluginHost
from creatorkit_echo import EchoPayments, EchoPlatform, webhooks
from world import START, Clock, World

from .test_escrow import accounted, executed, money_config

SECRET = b"webhook-test-secret"


@pytest.fixture
def provider() -> EchoPayments:
    return EchoPayments()


@pytest.fixture
def kit(store: Any, clock: Clock, provider: EchoPayments) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    plugins.register(provider, name="echo_pay", group="creatorkit.payments")
    # After registering, which configures echo_pay with its defaults: movements wait for two retrieves.
    provider.webhook_secret = SECRET
    provider.pending_retrieves = 2
    return Creatorkit(store=store, plugins=plugins, config=money_config(), clock=clock)


def deliver(kit: Creatorkit, event_id: str, operation_id: str, event_type: str = "fund.succeeded") -> Any:
    body = webhooks.payment_event(
        event_id, event_type, operation_id=operation_id, provider_ref=None, created=START + timedelta(hours=1)
    )
    request = webhooks.payment_request(SECRET, body, signed_at=kit.clock())
    return kit.webhooks.receive("echo_pay", request)


def fund_of(world: World, deal: Any) -> Any:
    (fund,) = [op for op in world.kit.payments.operations(world.brand, deal.id) if op.purpose is PaymentPurpose.FUND]
    return fund


def test_a_waiting_fund_completes_when_its_webhook_arrives(world: World, provider: EchoPayments) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a movement waiting on the provider is not a failure
        deal = executed(world)
    assert deal.state is DealState.EXECUTED, "the fund is waiting on echo_pay: no production yet"
    fund = fund_of(world, deal)
    assert fund.status is PaymentOperationStatus.PENDING

    received = deliver(world.kit, "evt_fund_1", fund.id)
    assert [notice.operation_id for notice in received.notices] == [fund.id]

    assert fund_of(world, deal).status is PaymentOperationStatus.SUCCEEDED
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.IN_PRODUCTION
    money = accounted(world, deal)
    assert money.funded == Money(150_000, "USD")
    release = [op for op in money.operations if op.purpose is PaymentPurpose.RELEASE]
    assert len(release) == 1, "what the deal calls for next (the signing milestone) is started"


def test_duplicated_and_reordered_deliveries_move_nothing_twice(world: World, provider: EchoPayments) -> None:
    deal = executed(world)
    fund = fund_of(world, deal)
    # echo_pay's later event about the fund arrives first, then the earlier one, then the later one again.
    deliver(world.kit, "evt_fund_2", fund.id, "fund.updated")
    deliver(world.kit, "evt_fund_1", fund.id)
    again = deliver(world.kit, "evt_fund_2", fund.id, "fund.updated")
    assert again.notices == () and [n.event_id for n in again.duplicates] == ["evt_fund_2"]

    fund_ops = [record for record in provider.records.values() if record.request.kind.value == "fund"]
    assert len(fund_ops) == 1, "echo_pay was asked to fund once"
    money = accounted(world, deal)
    assert money.funded == Money(150_000, "USD")
    assert len([op for op in money.operations if op.purpose is PaymentPurpose.FUND]) == 1


def test_a_delivery_about_an_operation_that_is_not_ours_changes_nothing(world: World) -> None:
    deal = executed(world)
    before = world.kit.payments.operations(world.brand, deal.id)
    received = deliver(world.kit, "evt_foreign", "pay-someone-elses-deal-f-1")
    assert len(received.notices) == 1, "the event is accepted (and kept once), only nothing of ours moves"
    assert world.kit.payments.operations(world.brand, deal.id) == before
    assert world.kit.payments.refresh_from_notice(world.system, "another_provider", before[0].id) is None


def test_a_fund_completed_during_a_dispute_moves_the_resumed_deal_into_production(
    world: World, provider: EchoPayments
) -> None:
    kit = world.kit
    deal = executed(world)
    fund = fund_of(world, deal)
    dispute = kit.deals.open_dispute(world.brand, deal.id, reason="wrong brief attached")
    deliver(kit, "evt_fund_during_dispute", fund.id)
    assert fund_of(world, deal).status is PaymentOperationStatus.SUCCEEDED
    assert kit.deals.get(world.brand, deal.id).state is DealState.DISPUTED, "a dispute holds the deal"

    resumed = kit.deals.resolve_dispute(world.system, dispute.id, outcome="resume", resolution="brief fixed")
    assert resumed.state is DealState.EXECUTED  # where it stood when the dispute was opened ...
    # ... and, its escrow funded meanwhile, the payments flow moves it on: the creator can submit a draft.
    assert kit.deals.get(world.brand, deal.id).state is DealState.IN_PRODUCTION
    accounted(world, deal)
