"""Invoices (``kit.payments.invoice``, ``invoices``): a deal's money as lines that add up to the minor unit.

Deals in USD, JPY and KWD are funded, released, cancelled through echo_pay; each invoice's lines come from the
deal's movements (each naming its operation and ledger entries), and its totals are exact in every exponent.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Money
from creatorkit.converter import unstructure
from creatorkit.entities import (
    Budget,
    CancellationTerms,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentSchedule,
    ScheduleKind,
)
from creatorkit.errors import NotFound, PermissionDenied, ValidationError
from creatorkit.signing import sign_contract_hash
from creatorkit.workflow._invoice_document import format_money, invoice_data
from creatorkit.workflow._invoices import Invoice, InvoiceLineKind, InvoicePartyRole, InvoiceSide
from world import START, World

from .test_escrow import executed, fees, kit, staged, submit  # noqa: F401  (fees, kit: the fixtures with echo_pay)

BRAND_SIDE = {"policy": "flat", "rate_bp": 2_500, "side": "brand", "per_project_fee": {"USD": 2_500}}
#: echo_pay lets at most 80 % of a fund, net of its 1 % fee, reach receivers: the commission keeps 23.33 %, which
#: leaves remainders for the allocator to place.
ODD_RATE = {"policy": "flat", "rate_bp": 2_333}


def sign(world: World, deal: Any, creator: Any) -> None:
    ck = world.kit
    template = ck.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = ck.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        ck.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)


def deal_in(world: World, price: Money, *, agency_cut_bp: int = 0) -> Any:
    """A deal in ``price``'s currency, paid whole on signing, with Bo Lee (on Stellar's roster, taking a cut)."""
    ck = world.kit
    creator = world.other_creator
    if agency_cut_bp:
        entry = ck.roster.propose(
            world.agency, manager_id="mgr_mina", creator_id=creator.id, scopes=[], agency_cut_bp=agency_cut_bp
        )
        ck.roster.accept(creator, entry.id)
    brief = ck.briefs.create(
        world.brand,
        name=f"Launch in {price.currency}",
        product=world.brief.product,
        budget=Budget(total=Money(price.amount * 10, price.currency)),
        timeline=world.brief.timeline,
        deliverables=world.brief.deliverables,
    )
    ck.briefs.publish(world.brand, brief.id)
    deal = ck.outreach.invite(world.brand, brief_id=brief.id, creator_id=creator.id, platform="echo", body="Hi")
    ck.outreach.respond(creator, deal.id, accept=True)
    whole = PaymentMilestone(label="on signature", amount=price, trigger=MilestoneTrigger.ON_SIGNATURE)
    terms = attrs.evolve(
        world.terms(), price=price, payment=PaymentSchedule(kind=ScheduleKind.PREPAY, milestones=(whole,))
    )
    offer = ck.negotiation.propose(world.brand, deal.id, terms)
    ck.negotiation.accept(creator, offer.id)
    sign(world, deal, creator)
    return deal


def adds_up(world: World, invoice: Invoice) -> None:
    """Every total is the sum of its lines, the split adds up, and the invoice agrees with the money view."""
    totals = invoice.totals
    currency = invoice.currency
    assert sum(line.amount.amount for line in invoice.side(InvoiceSide.BRAND)) == totals.brand_net.amount
    assert sum(line.amount.amount for line in invoice.side(InvoiceSide.CREATOR)) == totals.creator_net.amount
    assert totals.released == totals.platform_fees + totals.agency_cut + totals.creator_net
    assert totals.brand_net == totals.gross + totals.service_fees - totals.refunded
    assert totals.platform_revenue == totals.service_fees + totals.platform_fees
    assert {line.amount.currency for line in invoice.lines} == {currency}
    money = world.kit.payments.money(world.system, invoice.deal_id)
    assert (totals.gross, totals.service_fees, totals.refunded) == (money.funded, money.brand_fees, money.refunded)
    assert (totals.released, totals.platform_fees, totals.agency_cut, totals.creator_net) == (
        money.released,
        money.platform_fees,
        money.agency_cut,
        money.creator_net,
    )
    assert totals.escrow_change == money.held
    for line in invoice.lines:  # each line names the movement and ledger entries it comes from, and they exist
        assert line.ledger_entries
        for entry_id in line.ledger_entries:
            assert world.kit.ledger.entry(world.system, entry_id).deal_id == invoice.deal_id
    assert not money.failed, "every movement went through"
    operations = {op.id for op in money.operations}
    assert {line.operation_id for line in invoice.lines} <= operations


@pytest.mark.parametrize("fees", [BRAND_SIDE], indirect=True)
def test_a_usd_deal_with_brand_fees_and_an_agency_cut(world: World) -> None:
    deal = deal_in(world, Money(100_001, "USD"), agency_cut_bp=1_500)
    invoice = world.kit.payments.invoice(world.brand, deal.id)
    adds_up(world, invoice)
    kinds = [(line.side, line.kind) for line in invoice.lines]
    assert kinds == [
        (InvoiceSide.BRAND, InvoiceLineKind.GROSS),
        (InvoiceSide.BRAND, InvoiceLineKind.SERVICE_FEE),
        (InvoiceSide.CREATOR, InvoiceLineKind.RELEASE),
        (InvoiceSide.CREATOR, InvoiceLineKind.AGENCY_CUT),
    ]
    assert invoice.totals.service_fees == Money(25_000 + 2_500, "USD")  # 25 % of 1,000.01 rounds to 250.00
    assert invoice.totals.agency_cut == Money(15_000, "USD")
    roles = {party.role: party for party in invoice.parties}
    assert roles[InvoicePartyRole.BRAND].name == "Lumen Cosmetics"
    assert roles[InvoicePartyRole.CREATOR].name == "Bo Lee"
    assert roles[InvoicePartyRole.AGENCY].name == "Stellar Talent"
    assert InvoicePartyRole.PLATFORM in roles
    assert invoice.campaign == "Launch in USD" and invoice.currency == "USD"


@pytest.mark.parametrize(
    ("fees", "price", "shown"),
    [
        (ODD_RATE, Money(99_999, "JPY"), "99,999 JPY"),
        # echo_pay moves KWD in tens of fils: a quarter of a multiple of 40 fils is one it can pay.
        ({"policy": "flat", "rate_bp": 2_500}, Money(1_250_520, "KWD"), "1,250.520 KWD"),
    ],
    indirect=["fees"],
)
def test_lines_add_up_exactly_in_jpy_and_kwd(world: World, price: Money, shown: str) -> None:
    deal = deal_in(world, price)
    invoice = world.kit.payments.invoice(world.brand, deal.id)
    adds_up(world, invoice)
    assert invoice.totals.gross == price and format_money(invoice.totals.gross) == shown
    fee = invoice.totals.platform_fees
    assert fee + invoice.totals.creator_net == price, "commission and net are the whole gross, to the unit"
    html = world.kit.payments.invoice_html(invoice)
    assert shown in html


def test_a_cancelled_deal_shows_the_kill_fee_and_the_refund(world: World) -> None:
    deal = executed(world, staged(), CancellationTerms(kill_fee_bp=4_000))
    world.kit.deals.cancel(world.brand, deal.id, reason="campaign dropped")
    invoice = world.kit.payments.invoice(world.brand, deal.id)
    adds_up(world, invoice)
    kinds = {line.kind for line in invoice.lines}
    assert {InvoiceLineKind.KILL_FEE, InvoiceLineKind.REFUND, InvoiceLineKind.PLATFORM_FEE} <= kinds
    assert invoice.totals.refunded == Money(90_000, "USD") and invoice.totals.escrow_change == Money.zero("USD")
    assert invoice.totals.brand_net == Money(60_000, "USD"), "the brand paid 1,500.00 and got 900.00 back"


def test_the_number_is_stable_and_changes_with_what_the_invoice_covers(world: World) -> None:
    deal = executed(world)
    first = world.kit.payments.invoice(world.brand, deal.id)
    assert world.kit.payments.invoice(world.creator, deal.id) == first, "asked again (by another party): the same"
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    second = world.kit.payments.invoice(world.brand, deal.id)
    assert second.number != first.number and len(second.lines) > len(first.lines)
    assert first.number.startswith("INV-20260302-")


def test_period_invoices_cover_the_movements_between_two_dates(world: World) -> None:
    deal = executed(world)  # funded and first milestone released on the first day
    day = world.clock.now.date()
    world.clock.advance(days=3)
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)  # the rest released three days later
    later = world.clock.now.date()
    payments = world.kit.payments

    (first,) = payments.invoices(world.brand, world.brand.id, day, day)
    (second,) = payments.invoices(world.creator, world.creator.id, later, later)
    (whole,) = payments.invoices(world.system, world.creator.id, day, later)
    assert {line.on for line in first.lines} == {day} and {line.on for line in second.lines} == {later}
    assert len(first.lines) + len(second.lines) == len(whole.lines)
    assert first.totals.creator_net + second.totals.creator_net == whole.totals.creator_net
    assert (whole.period_start, whole.period_end) == (day, later)
    assert payments.invoices(world.brand, world.brand.id, later + timedelta(days=1), later + timedelta(days=9)) == []
    assert payments.invoices(world.manager, world.creator.id, day, later) == [whole], "the creator's manager may"


def test_invoices_refuse_other_parties_and_bad_periods(world: World) -> None:
    deal = executed(world)
    day = world.clock.now.date()
    with pytest.raises(PermissionDenied):
        world.kit.payments.invoices(world.creator, world.brand.id, day, day)
    with pytest.raises(ValidationError) as raised:
        world.kit.payments.invoices(world.brand, world.brand.id, day, day - timedelta(days=1))
    assert raised.value.paths == ["end"]
    with pytest.raises(ValidationError) as raised:
        world.kit.payments.invoices(world.brand, "nobody", day, day)
    assert raised.value.paths == ["party_id"]
    with pytest.raises(NotFound):
        world.kit.payments.invoice(world.other_manager, deal.id)


def test_json_and_html_are_the_same_invoice(world: World) -> None:
    deal = executed(world)
    invoice = world.kit.payments.invoice(world.brand, deal.id)
    data = json.loads(json.dumps(invoice_data(invoice)))
    assert data == unstructure(invoice)
    assert data["totals"]["creator_net"] == {"amount": invoice.totals.creator_net.amount, "currency": "USD"}
    assert [line["operation_id"] for line in data["lines"]] == [line.operation_id for line in invoice.lines]
    html = world.kit.payments.invoice_html(invoice)
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html and "<link" not in html
    assert invoice.number in html and format_money(invoice.totals.creator_net) in html


def test_names_from_the_parties_are_escaped_in_the_document(world: World) -> None:
    deal = executed(world)
    invoice = world.kit.payments.invoice(world.brand, deal.id)
    hostile = attrs.evolve(invoice, campaign="<script>alert(1)</script> & co")
    html = world.kit.payments.invoice_html(hostile)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
