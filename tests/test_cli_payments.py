"""``creatorkit payments``: balances, a deal's money, reconcile, invoice and invoices, on a store the test builds.

The store is built by a kit opened on the same config the commands read, with echo and echo_pay enabled through
their entry points. Each command opens a kit of its own, as a separate process would; echo_pay's books are shared
between its instances here, as a real provider's books outlive any one process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from workflow.test_escrow import executed, staged, submit

from creatorkit import Creatorkit, Money
from creatorkit.cli import main
from creatorkit.entities import OperationKind, ProviderRequest
from creatorkit_echo import EchoPayments
from world import Clock, World

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = """\
[creatorkit]
store = "sqlite:///ck.db"

[platforms.echo]

[payments.echo_pay]

[money]
provider = "echo_pay"

[money.fees]
policy = "flat"
rate_bp = 2500
"""


@pytest.fixture
def books(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[Any, Any]]:
    """echo_pay's books, shared by every instance the kits load."""
    shared: dict[str, dict[Any, Any]] = {"records": {}, "sources": {}, "paid": {}, "balances": {}}
    original = EchoPayments.__init__

    def sharing(self: EchoPayments, name: str = "echo_pay") -> None:
        original(self, name)
        for attribute, value in shared.items():
            setattr(self, attribute, value)

    monkeypatch.setattr(EchoPayments, "__init__", sharing)
    return shared


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock, books: Any) -> Iterator[Creatorkit]:
    """The embedding app's kit: it creates the store the commands then open."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    with Creatorkit.open("creatorkit.toml", clock=clock) as opened:
        yield opened


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def completed(world: World) -> Any:
    deal = executed(world, staged(100_001))
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    return deal


def test_reconcile_names_a_movement_only_the_provider_holds(world: World) -> None:
    deal = completed(world)
    by_hand = ProviderRequest(
        operation_id="op_made_by_hand_1",
        kind=OperationKind.FUND,
        amount=Money(25_000, "USD"),
        deal_id=deal.id,
        reason="charged at the provider's desk",
    )
    made = EchoPayments().creatorkit_payment_operation(by_hand)  # its books are the ones the commands' kits share

    found = run("payments", "reconcile")

    assert found.exit_code == 1, found.output
    assert "4 listed by the provider, 1 difference(s)" in found.stdout
    assert "extra_at_provider" in found.stdout and "op_made_by_hand_1" in found.stdout
    assert made.provider_ref in found.stdout


def test_balances_show_each_partys_own_accounts(world: World) -> None:
    deal = completed(world)
    brand = run("payments", "balances", "--as", "brand:brand_lumen")
    assert brand.exit_code == 0, brand.output
    header = brand.stdout.splitlines()[0].split()
    assert header[:3] == ["account", "kind", "posted"]
    assert "brand_funding:brand_lumen:USD" in brand.stdout and f"deal_escrow:{deal.id}:USD" in brand.stdout
    creator = run("payments", "balances", "--as", "creator:creator_ana", "--json")
    (row,) = json.loads(creator.stdout)
    money = world.kit.payments.money(world.brand, deal.id)
    assert row["account"]["id"] == "creator_payable:creator_ana:USD"
    assert row["balance"]["posted"] == {"amount": money.creator_net.amount, "currency": "USD"}
    assert run("payments", "balances").exit_code == 2, "no acting party"


def test_deal_shows_the_money_view_and_every_movement(world: World) -> None:
    deal = completed(world)
    shown = run("payments", "deal", deal.id, "--as", "brand:brand_lumen")
    assert shown.exit_code == 0, shown.output
    assert "funded:" in shown.stdout and "1000.01 USD" in shown.stdout
    assert shown.stdout.count(f"pay-{deal.id}-") == 3
    as_json = json.loads(run("payments", "deal", deal.id, "--as", "creator:creator_ana", "--json").stdout)
    assert as_json["held"] == {"amount": 0, "currency": "USD"} and len(as_json["operations"]) == 3
    refused = run("payments", "deal", deal.id, "--as", "creator:creator_bo")
    assert refused.exit_code == 1 and refused.stderr.startswith("error:")


def test_reconcile_exits_0_when_the_books_agree_and_1_naming_each_difference(world: World, books: Any) -> None:
    deal = completed(world)
    clean = run("payments", "reconcile")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.strip() == (
        "echo_pay: 3 movement(s) and 4 ledger entries checked, 3 listed by the provider, 0 difference(s)"
    )

    release = f"pay-{deal.id}-r1-1"
    del books["records"][release]  # the provider lost the second release
    found = run("payments", "reconcile")
    assert found.exit_code == 1
    assert "1 difference(s)" in found.stdout and "missing_at_provider" in found.stdout and release in found.stdout
    report = json.loads(run("payments", "reconcile", "--json", "--as", "brand:brand_lumen").stdout)
    assert [d["kind"] for d in report["differences"]] == ["missing_at_provider"]
    assert report["operations_checked"] == 3 and report["ran_by"] == "brand:brand_lumen"
    assert report["listed_by_provider"] is False and "only the system" in report["not_listed_because"]

    later = run("payments", "reconcile", "--since", "2030-01-01")
    assert later.exit_code == 0 and "echo_pay since 2030-01-01: 0 movement(s)" in later.stdout
    unknown = run("payments", "reconcile", "--provider", "no_such_pay")
    assert unknown.exit_code == 1 and "no_such_pay" in unknown.stderr
    assert run("payments", "reconcile", "--since", "March").exit_code == 2


def test_invoice_as_json_and_as_a_printable_page(world: World, tmp_path: Path) -> None:
    deal = completed(world)
    as_json = run("payments", "invoice", deal.id, "--as", "brand:brand_lumen")
    assert as_json.exit_code == 0, as_json.output
    invoice = json.loads(as_json.stdout)
    assert invoice["deal_id"] == deal.id and invoice["number"].startswith("INV-20260302-")
    assert invoice["totals"]["gross"] == {"amount": 100_001, "currency": "USD"}

    page = run("payments", "invoice", deal.id, "--format", "html", "--out", "invoice.html", "--as", "brand:brand_lumen")
    assert page.exit_code == 0, page.output
    assert page.stderr.strip() == f"wrote invoice.html (invoice {invoice['number']})"
    html = (tmp_path / "invoice.html").read_text()
    assert invoice["number"] in html and "@media print" in html and "1,000.01 USD" in html
    nobody = run("payments", "invoice", deal.id, "--as", "creator:creator_bo")
    assert nobody.exit_code == 1 and "not found" in nobody.stderr.lower()


def test_invoices_for_a_party_and_a_period(world: World, tmp_path: Path) -> None:
    deal = completed(world)
    period = ("--from", "2026-03-01", "--to", "2026-03-31")
    table = run("payments", "invoices", "--party", "brand_lumen", *period, "--as", "brand:brand_lumen")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split()[:3] == ["invoice", "issued", "deal"] and deal.id in table.stdout
    listed = json.loads(
        run(
            "payments",
            "invoices",
            "--party",
            "creator_ana",
            *period,
            "--format",
            "json",
            "--as",
            "talent_manager:mgr_mina",
        ).stdout
    )
    assert [i["deal_id"] for i in listed] == [deal.id]
    pages = run(
        "payments",
        "invoices",
        "--party",
        "brand_lumen",
        *period,
        "--format",
        "html",
        "--out",
        "inv",
        "--as",
        "brand:brand_lumen",
    )
    assert pages.exit_code == 0 and pages.stdout.strip() == "wrote 1 invoice(s) to inv"
    assert [p.name for p in (tmp_path / "inv").iterdir()] == [f"{listed[0]['number']}.html"]
    empty = run(
        "payments",
        "invoices",
        "--party",
        "brand_lumen",
        "--from",
        "2027-01-01",
        "--to",
        "2027-01-31",
        "--as",
        "brand:brand_lumen",
    )
    assert empty.stdout.strip() == "no invoices for brand_lumen from 2027-01-01 to 2027-01-31"
    no_folder = run(
        "payments", "invoices", "--party", "brand_lumen", *period, "--format", "html", "--as", "brand:brand_lumen"
    )
    assert no_folder.exit_code == 2 and "--out" in no_folder.stderr
    refused = run("payments", "invoices", "--party", "brand_lumen", *period, "--as", "creator:creator_ana")
    assert refused.exit_code == 1 and refused.stderr.startswith("error:")


def test_a_creator_registers_where_it_is_paid_and_a_brand_cannot(world: World, books: Any) -> None:
    registered = run("payments", "payout-account", "acct_ana_1", "--label", "main", "--as", "creator:creator_ana")
    assert registered.exit_code == 0, registered.output
    assert "creator_ana is paid at echo_pay into acct_ana_1" in registered.stdout
    assert run("payments", "payout-account", "acct_ana_2", "--as", "creator:creator_ana").exit_code == 0
    listed = run("payments", "payout-accounts", "--as", "creator:creator_ana")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    first, second = lines[2:4]  # under the header and its rule
    assert "acct_ana_1" in first and "replaced" in first and "acct_ana_2" in second and "active" in second
    brand = run("payments", "payout-account", "acct_brand", "--as", "brand:brand_lumen")
    assert brand.exit_code == 1 and brand.stderr.startswith("error:")
    deal = completed(world)
    paid = [leg.account_ref for record in books["records"].values() for leg in record.request.legs]
    assert paid and set(paid) == {"acct_ana_2"}, f"the releases of {deal.id} went to the active account"
