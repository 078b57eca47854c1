"""The escrow as a workspace's money provider: ``kit.payments`` moves a deal's money, the escrow keeps its books.

The workspace's store is each dialect (the world's); the escrow's books are a SQLite file of their own. After a
deal is signed and its content approved, the two ledgers agree: what the workspace says the creator and the
agency earned is what the escrow owes them, and what stays in the fund's escrow account is the platform's
commission, still in the operator's bank. Pointed at the workspace's own store, the escrow refuses every
movement, saying why, and writes nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from creatorkit_payments.ledger_escrow import LedgerEscrow

from creatorkit import Creatorkit, Money
from creatorkit.config import Config, Mode, PluginSettings
from creatorkit.entities import (
    DealState,
    LedgerAccountKind,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentOperationStatus,
    PaymentSchedule,
    ScheduleKind,
)
from creatorkit.host import PluginHost
from creatorkit.ledger import account_id
from creatorkit.signing import sign_contract_hash
from creatorkit_echo import EchoPlatform
from world import START, Clock, World

COMMISSION_BP = 2_500


@pytest.fixture
def escrow() -> Iterator[LedgerEscrow]:
    plugin = LedgerEscrow()
    try:
        yield plugin
    finally:
        plugin.close()


@pytest.fixture
def books_store(request: pytest.FixtureRequest, tmp_path: Path, database: Any) -> str:
    """Where the escrow keeps its books: a file of its own, or (``indirect``, "workspace") the workspace's store."""
    if getattr(request, "param", None) == "workspace":
        return str(database.url)
    return str(tmp_path / "escrow-books.db")


@pytest.fixture
def kit(store: Any, clock: Clock, escrow: LedgerEscrow, books_store: str) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    settings = PluginSettings(
        name="ledger_escrow", section="payments", mode=Mode.SANDBOX, settings={"store": books_store}
    )
    plugins.register(escrow, name="ledger_escrow", group="creatorkit.payments", settings=settings)
    config = Config.from_mapping(
        {"money": {"provider": "ledger_escrow", "fees": {"policy": "flat", "rate_bp": COMMISSION_BP}}}
    )
    return Creatorkit(store=store, plugins=plugins, config=config, clock=clock)


def staged(price: int) -> PaymentSchedule:
    first, rest = Money(price, "USD").allocate([30, 70])
    return PaymentSchedule(
        kind=ScheduleKind.MILESTONES,
        milestones=(
            PaymentMilestone(label="on signing", amount=first, trigger=MilestoneTrigger.ON_SIGNATURE),
            PaymentMilestone(label="on approval", amount=rest, trigger=MilestoneTrigger.ON_DRAFT_APPROVED),
        ),
    )


def signed(world: World, payment: PaymentSchedule) -> Any:
    kit = world.kit
    deal = world.agree(price=payment.total.amount, payment=payment)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, world.creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    return kit.deals.get(world.brand, deal.id)


def owed(escrow: LedgerEscrow, kind: LedgerAccountKind, holder: str) -> Money:
    books = escrow.books
    found = books.kit.ledger.balances(books.actor, [account_id(kind, "USD", holder=holder)])
    return next(iter(found.values())).posted


def assert_the_books_agree(world: World, escrow: LedgerEscrow, deal_id: str) -> None:
    money = world.kit.payments.money(world.brand, deal_id)
    assert money.failed == () and all(op.status is PaymentOperationStatus.SUCCEEDED for op in money.operations)
    fund = money.operations[0]
    assert fund.provider_ref is not None and fund.provider_ref == f"le_{fund.id}"
    assert owed(escrow, LedgerAccountKind.CREATOR_PAYABLE, world.creator.id) == money.creator_net
    kept = owed(escrow, LedgerAccountKind.FUND_ESCROW, fund.provider_ref)
    assert kept == money.funded - money.creator_net - money.agency_cut == money.held + money.platform_fees
    assert escrow.books.kit.ledger.verify(escrow.books.actor) == [] == world.kit.ledger.verify(world.system)


def test_a_staged_deal_moves_through_the_escrows_books(world: World, escrow: LedgerEscrow) -> None:
    deal = signed(world, staged(150_001))
    assert deal.state is DealState.IN_PRODUCTION, "the fund succeeded, so the deal moved on"
    assert_the_books_agree(world, escrow, deal.id)
    world.kit.content.submit_draft(world.creator, deal.id, caption="Vitamin C glow #ad", elements=("product close-up",))
    world.kit.content.review(world.brand, deal.id, approve=True)
    assert_the_books_agree(world, escrow, deal.id)
    money = world.kit.payments.money(world.brand, deal.id)
    assert money.held == Money.zero("USD") and money.released == Money(150_001, "USD")
    assert world.kit.payments.sync(world.system, deal.id).succeeded == (), "nothing moves twice"


@pytest.mark.parametrize("books_store", ["workspace"], indirect=True)
def test_pointed_at_the_workspaces_own_store_it_refuses_every_movement(world: World, escrow: LedgerEscrow) -> None:
    deal = signed(world, staged(150_000))
    assert deal.state is DealState.EXECUTED, "the fund failed, so the deal waits"
    [fund] = world.kit.payments.money(world.brand, deal.id).failed
    assert fund.failure_reason is not None and "payments.ledger_escrow.store is the workspace's own store" in (
        fund.failure_reason
    )
    assert escrow.books.entry_of(fund.id) is None, "the escrow wrote nothing in the workspace's ledger"
    assert world.kit.ledger.verify(world.system) == []
