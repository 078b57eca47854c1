"""No provider hold outlives its maximum: before a fund's hold ends, the deadline run refunds what it still holds.

echo_pay holds a fund until 90 days after its as-of date (``hold_expires_at`` in its answer). A deal still in
production when that comes near (``[money] hold_margin_days`` before it) has its escrow refunded to the brand,
on the ledger and at echo_pay, and the milestones the fund had not paid are funded again when they fall due.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import creatorkit_echo
from creatorkit import Money
from creatorkit.entities import DealState, PaymentOperationStatus, PaymentPurpose
from creatorkit.errors import PermissionDenied
from creatorkit_echo import AS_OF, EchoPayments
from world import World

from .test_escrow import accounted, executed, submit
from .test_escrow import fees as fees
from .test_escrow import kit as kit  # the kit with echo_pay and a 25 % commission

HOLD_ENDS = AS_OF + timedelta(days=EchoPayments.CAPABILITIES.max_hold_days or 0)


def test_the_fund_records_when_the_provider_stops_holding_it(world: World) -> None:
    deal = executed(world)
    (fund,) = [op for op in world.kit.payments.operations(world.brand, deal.id) if op.purpose is PaymentPurpose.FUND]
    assert fund.hold_expires_at == HOLD_ENDS


def test_nothing_is_refunded_while_the_hold_has_time_left(world: World) -> None:
    deal = executed(world)
    world.clock.now = HOLD_ENDS - timedelta(days=4)  # the margin is 3 days
    assert world.kit.payments.sweep_holds(world.system) == []
    assert accounted(world, deal).held == Money(105_000, "USD")


def test_a_lapsing_hold_is_refunded_and_the_rest_funded_again_when_due(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = executed(world)
    world.clock.now = HOLD_ENDS - timedelta(days=2)
    (swept,) = world.kit.payments.sweep_holds(world.system)
    (refund,) = swept.succeeded
    assert refund.purpose is PaymentPurpose.REFUND and refund.request.amount == Money(105_000, "USD")
    money = accounted(world, deal)
    assert (money.held, money.refunded) == (Money.zero("USD"), Money(105_000, "USD"))
    assert money.state is DealState.IN_PRODUCTION, "the deal goes on; only where its money waits changed"
    assert world.kit.payments.sweep_holds(world.system) == [], "asked again, nothing more moves"

    # echo_pay answers as of a fixed date; a new fund made now is held 90 days from now, as a real provider's is.
    monkeypatch.setattr(creatorkit_echo, "AS_OF", world.clock.now)
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    money = accounted(world, deal)
    funds = [op for op in money.operations if op.purpose is PaymentPurpose.FUND]
    assert [op.request.metadata["step"] for op in funds] == ["f", "f1"], "the approval milestone funded on its own"
    assert money.released == Money(150_000, "USD"), "both milestones paid in full, each once"
    assert money.held == Money.zero("USD")
    assert all(op.status is PaymentOperationStatus.SUCCEEDED for op in money.operations)


def test_only_the_system_sweeps(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.kit.payments.sweep_holds(world.brand)
