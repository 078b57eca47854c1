"""The annual fee of a commission policy: billed on the ledger once per brand and year, owed by the brand.

With ``annual_fee = {USD = 120000}`` in ``[money.fees]``, the brand's first funded deal of a year bills the year's
fee in the same transaction; a second deal that year bills nothing more; a year with no deal is billed by hand.
"""

from __future__ import annotations

from datetime import date

import pytest

from creatorkit import Money
from creatorkit.entities import LedgerAccountKind
from creatorkit.errors import NotFound, PermissionDenied, ValidationError
from creatorkit.ledger import account_id
from world import World

from .test_escrow import executed, kit_fees, staged
from .test_escrow import fees as fees
from .test_escrow import kit as kit

ANNUAL = {"policy": "flat", "rate_bp": 2_500, "annual_fee": {"USD": 120_000}}
FEE = Money(120_000, "USD")


def owed(world: World) -> Money:
    funding = account_id(LedgerAccountKind.BRAND_FUNDING, "USD", holder=world.brand.id)
    return world.kit.ledger.balance(world.system, funding).posted


@pytest.mark.parametrize("fees", [ANNUAL], indirect=True)
def test_the_first_funded_deal_of_the_year_bills_the_annual_fee_once(world: World) -> None:
    deal = executed(world, staged(100_000))
    entries = [e for e in world.kit.ledger.entries(world.system, account_id="platform_fees:USD")]
    annual = [e for e in entries if e.operation_id == f"annual-{world.brand.id}-2026-USD"]
    assert len(annual) == 1
    assert owed(world) == -FEE, "the brand owes the fee: its funding account is below zero by it"
    commission = world.kit.payments.money(world.brand, deal.id).platform_fees
    assert kit_fees(world) == FEE + commission

    again = world.kit.payments.bill_annual_fee(world.system, world.brand.id, 2026, "USD")
    assert again is not None and again.id == annual[0].id, "asked again: the same entry"
    assert owed(world) == -FEE, "billed once"


@pytest.mark.parametrize("fees", [ANNUAL], indirect=True)
def test_a_year_without_a_deal_is_billed_by_hand_once(world: World) -> None:
    kit = world.kit
    entry = kit.payments.bill_annual_fee(world.system, world.brand.id, 2027, "USD")
    assert entry is not None and entry.memo == "annual fee 2027 (flat)"
    assert kit.payments.bill_annual_fee(world.system, world.brand.id, 2027, "USD") == entry
    assert owed(world) == -FEE
    assert kit.payments.bill_annual_fee(world.system, world.brand.id, 2027, "EUR") is None, "no fee in EUR"


@pytest.mark.parametrize("fees", [ANNUAL], indirect=True)
def test_billing_refuses_what_it_cannot_bill(world: World) -> None:
    kit = world.kit
    with pytest.raises(PermissionDenied):
        kit.payments.bill_annual_fee(world.brand, world.brand.id, 2026, "USD")
    with pytest.raises(ValidationError, match="year"):
        kit.payments.bill_annual_fee(world.system, world.brand.id, 26, "USD")
    with pytest.raises(ValidationError, match="currency"):
        kit.payments.bill_annual_fee(world.system, world.brand.id, 2026, "usd")
    with pytest.raises(NotFound):
        kit.payments.bill_annual_fee(world.system, "brand_nobody", 2026, "USD")


def test_without_an_annual_fee_nothing_is_billed(world: World) -> None:
    executed(world, staged(100_000))
    assert world.kit.payments.bill_annual_fee(world.system, world.brand.id, 2026, "USD") is None


@pytest.mark.parametrize("fees", [ANNUAL], indirect=True)
def test_the_invoice_of_the_deal_that_billed_the_annual_fee_lists_it(world: World) -> None:
    from creatorkit.workflow._invoices import InvoiceLineKind

    kit = world.kit
    first = executed(world, staged(100_000))
    invoice = kit.payments.invoice(world.brand, first.id)
    (line,) = [line for line in invoice.lines if line.kind is InvoiceLineKind.ANNUAL_FEE]
    assert line.amount == FEE and line.operation_id == f"annual-{world.brand.id}-2026-USD"
    assert line.description == "annual fee 2026 (flat)"
    totals = invoice.totals
    assert totals.brand_net == totals.gross + totals.service_fees - totals.refunded
    assert (
        FEE.amount <= totals.service_fees.amount
        and totals.platform_revenue == totals.service_fees + totals.platform_fees
    )
    assert totals.escrow_change == totals.gross - totals.released - totals.refunded, "owed, not held in escrow"
    # A period that ends before the fee was billed does not list it.
    earlier = kit.payments.invoices(world.system, world.brand.id, date(2025, 1, 1), date(2025, 12, 31))
    assert earlier == []


@pytest.mark.parametrize("fees", [ANNUAL], indirect=True)
def test_an_annual_fee_billed_by_hand_is_not_billed_again_by_the_first_fund(world: World) -> None:
    from creatorkit.workflow._invoices import InvoiceLineKind

    kit = world.kit
    billed = kit.payments.bill_annual_fee(world.system, world.brand.id, 2026, "USD")
    assert billed is not None and billed.deal_id is None
    deal = executed(world, staged(100_000))  # its fund asks to bill the year again: the same entry, no conflict
    assert owed(world) == -FEE
    invoice = kit.payments.invoice(world.brand, deal.id)
    assert not [line for line in invoice.lines if line.kind is InvoiceLineKind.ANNUAL_FEE]
