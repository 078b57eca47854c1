"""A deal's money moved by its payment schedule as the deal changes state (``kit.payments``), through echo_pay.

Signature funds the escrow, approval and publication release milestones split into platform fee, agency cut and
creator net that add up exactly, a cancelled deal pays its kill fee and refunds the rest, a disputed one holds
everything until the arbiter splits it. After each step the escrow account's ledger balance is what the money
view says is held, and the ledger sums up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from creatorkit import Creatorkit, Money
from creatorkit.config import Config
from creatorkit.entities import (
    CancellationTerms,
    DealState,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentOperationStatus,
    PaymentPurpose,
    PaymentSchedule,
    ScheduleKind,
)
from creatorkit.errors import ConfigError, PermissionDenied, ValidationError
from creatorkit.host import PluginHost
from creatorkit.ledger import Commission, FeeSide, split
from creatorkit.signing import sign_contract_hash
from creatorkit_echo import EchoPayments, EchoPlatform
from world import START, Clock, World

CLEAN = "Vitamin C glow, every morning #ad"
ELEMENTS = ("product close-up",)


#: echo_pay lets at most 80 % of a fund, net of its 1 % fee, go to receivers: the platform keeps 25 % here.
COMMISSION_BP = 2_500


def money_config(**fees: Any) -> Config:
    fees = fees or {"policy": "flat", "rate_bp": COMMISSION_BP}
    return Config.from_mapping({"money": {"provider": "echo_pay", "fees": fees}})


@pytest.fixture
def fees(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ``[money.fees]`` table; a test may pass its own with ``indirect=True``."""
    return getattr(request, "param", {})


@pytest.fixture
def kit(store: Any, clock: Clock, fees: dict[str, Any]) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    plugins.register(EchoPayments(), name="echo_pay", group="creatorkit.payments")
    return Creatorkit(store=store, plugins=plugins, config=money_config(**fees), clock=clock)


def staged(price: int = 150_000) -> PaymentSchedule:
    """30 % on signing, 70 % on approval."""
    first, rest = Money(price, "USD").allocate([30, 70])
    return PaymentSchedule(
        kind=ScheduleKind.MILESTONES,
        milestones=(
            PaymentMilestone(label="on signing", amount=first, trigger=MilestoneTrigger.ON_SIGNATURE),
            PaymentMilestone(label="on approval", amount=rest, trigger=MilestoneTrigger.ON_DRAFT_APPROVED),
        ),
    )


def executed(
    world: World, payment: PaymentSchedule | None = None, cancellation: CancellationTerms | None = None
) -> Any:
    kit = world.kit
    payment = payment or staged()
    deal = world.agree(price=payment.total.amount, payment=payment)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(
        world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20), cancellation=cancellation
    )
    for party in (world.brand, world.creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    return kit.deals.get(world.brand, deal.id)


def submit(world: World, deal: Any) -> None:
    world.kit.content.submit_draft(world.creator, deal.id, caption=CLEAN, elements=ELEMENTS)


def accounted(world: World, deal: Any) -> Any:
    """The money view, checked against the ledger: escrow's balance is what is held, and the ledger sums up."""
    money = world.kit.payments.money(world.brand, deal.id)
    assert money.held == money.funded - money.released - money.refunded
    assert money.released == money.platform_fees + money.agency_cut + money.creator_net
    balance = money.escrow_balance
    assert (balance.posted if balance else Money.zero(money.currency)) == money.held
    assert world.kit.ledger.verify(world.system) == []
    return money


def test_signature_funds_the_escrow_and_releases_the_signing_milestone(world: World) -> None:
    deal = executed(world)
    assert deal.state is DealState.IN_PRODUCTION, "funding moves the deal into production"
    money = accounted(world, deal)
    assert money.funded == Money(150_000, "USD")
    first = split(Money(45_000, "USD"), Commission(rate_bp=COMMISSION_BP), 0)
    assert money.released == Money(45_000, "USD")
    assert (money.platform_fees, money.creator_net) == (first.platform_fee, first.creator_net)
    assert money.held == Money(105_000, "USD")
    assert [op.purpose for op in money.operations] == [PaymentPurpose.FUND, PaymentPurpose.RELEASE]
    assert all(op.status is PaymentOperationStatus.SUCCEEDED for op in money.operations)


def test_approval_releases_the_rest_and_every_minor_unit_adds_up(world: World) -> None:
    deal = executed(world, staged(100_001))
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    money = accounted(world, deal)
    assert money.held == Money.zero("USD")
    assert money.released == money.funded == Money(100_001, "USD")
    assert money.platform_fees + money.creator_net == Money(100_001, "USD")
    assert world.kit.payments.sync(world.system, deal.id).succeeded == (), "nothing moves twice"


def test_the_agency_takes_its_cut_from_the_roster_entry(world: World) -> None:
    kit = world.kit
    entry = kit.roster.propose(
        world.agency, manager_id="mgr_mina", creator_id=world.other_creator.id, scopes=[], agency_cut_bp=1_500
    )
    kit.roster.accept(world.other_creator, entry.id)
    payment = staged(100_000)
    deal = world.invite(creator=world.other_creator)
    kit.outreach.respond(world.other_creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000, payment=payment))
    kit.negotiation.accept(world.other_creator, offer.id)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, world.other_creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    money = accounted(world, deal)
    first = split(Money(30_000, "USD"), Commission(rate_bp=COMMISSION_BP), 1_500)
    assert (money.platform_fees, money.agency_cut, money.creator_net) == (
        first.platform_fee,
        first.agency_cut,
        first.creator_net,
    )
    assert money.agency_cut == Money(4_500, "USD")
    release = money.operations[-1]
    assert {leg.party_id: leg.amount for leg in release.request.legs} == {
        world.other_creator.id: first.creator_net,
        world.agency.id: first.agency_cut,
    }
    agency_account = f"agency_share:{world.agency.id}:USD"
    assert kit.ledger.balance(world.system, agency_account).posted == Money(4_500, "USD")


def test_a_cancellation_before_the_draft_pays_the_kill_fee_and_refunds_the_rest(world: World) -> None:
    deal = executed(world, staged(), CancellationTerms(kill_fee_bp=4_000))
    world.kit.deals.cancel(world.brand, deal.id, reason="campaign dropped")
    money = accounted(world, deal)
    # 40 % of 150,000 is owed; 45,000 went out on signing, so 15,000 more, and 90,000 goes back.
    assert money.released == Money(60_000, "USD")
    assert money.refunded == Money(90_000, "USD")
    assert money.held == Money.zero("USD")
    assert money.funded == money.released + money.refunded


def test_a_dispute_holds_the_escrow_until_the_arbiter_splits_it(world: World) -> None:
    kit = world.kit
    deal = executed(world)
    submit(world, deal)
    dispute = kit.deals.open_dispute(world.brand, deal.id, reason="draft off brief")
    assert kit.payments.sync(world.system, deal.id).succeeded == ()
    with pytest.raises(PermissionDenied):
        kit.payments.settle_dispute(world.brand, dispute.id, creator_share=Money(50_000, "USD"), resolution="x")
    kit.payments.settle_dispute(
        world.system, dispute.id, creator_share=Money(50_000, "USD"), resolution="half of what is held"
    )
    money = accounted(world, deal)
    assert money.state is DealState.COMPLETED
    assert money.released == Money(95_000, "USD")  # 45,000 on signing + the 50,000 share
    assert money.refunded == Money(55_000, "USD")
    assert money.held == Money.zero("USD")


def test_a_timeout_after_success_moves_the_money_once(world: World) -> None:
    provider = world.kit.plugins.pm.get_plugin("echo_pay")
    assert isinstance(provider, EchoPayments)
    provider.timeout_after_success = True
    deal = executed(world)
    money = accounted(world, deal)
    assert money.funded == Money(150_000, "USD")
    assert len(provider.records) == 2, "one fund and one release reached echo_pay, each once"


def test_a_brand_side_service_fee_is_charged_on_top() -> None:
    fees = split(Money(100_000, "USD"), Commission(rate_bp=1_000, side=FeeSide.BRAND), 0)
    assert fees.service_fee == Money(10_000, "USD") and fees.platform_fee == Money.zero("USD")
    assert fees.brand_pays == Money(110_000, "USD") and fees.creator_net == Money(100_000, "USD")


BRAND_SIDE = {"policy": "flat", "rate_bp": 3_000, "side": "brand", "per_project_fee": {"USD": 2_500}}


@pytest.mark.parametrize("fees", [BRAND_SIDE], indirect=True)
def test_the_brand_pays_the_service_and_project_fees_on_top_at_funding(world: World) -> None:
    deal = executed(world, staged(100_000))
    money = accounted(world, deal)
    assert money.funded == Money(100_000, "USD"), "escrow holds the price alone"
    assert money.brand_fees == Money(30_000 + 2_500, "USD")
    fund = money.operations[0]
    assert fund.request.amount == Money(132_500, "USD"), "what the brand is charged"
    assert kit_fees(world) == Money(32_500, "USD"), "the platform's fee account took the brand's fees"
    assert money.platform_fees == Money.zero("USD") and money.creator_net == Money(30_000, "USD")


def kit_fees(world: World) -> Money:
    return world.kit.ledger.balance(world.system, "platform_fees:USD").posted


def test_a_settlement_refuses_a_share_beyond_what_is_held(world: World) -> None:
    kit = world.kit
    deal = executed(world)
    dispute = kit.deals.open_dispute(world.brand, deal.id, reason="late")
    for share, path in ((Money(105_001, "USD"), "creator_share"), (Money(10, "JPY"), "creator_share")):
        with pytest.raises(ValidationError) as raised:
            kit.payments.settle_dispute(world.system, dispute.id, creator_share=share, resolution="x")
        assert raised.value.paths == [path]
    assert accounted(world, deal).state is DealState.DISPUTED, "nothing was settled"


@pytest.mark.parametrize(("currency", "gross"), [("JPY", 99_999), ("KRW", 1_000_001), ("KWD", 1_250_505), ("BHD", 7)])
def test_splits_are_exact_in_every_exponent(currency: str, gross: int) -> None:
    fees = split(Money(gross, currency), Commission(rate_bp=1_333), 777)
    assert fees.platform_fee + fees.agency_cut + fees.creator_net == Money(gross, currency)


def test_an_unknown_fee_policy_names_the_key(store: Any, clock: Clock) -> None:
    kit = Creatorkit(store=store, config=money_config(policy="no_such"), clock=clock)
    with pytest.raises(ConfigError) as raised:
        kit.payments.fee_policy  # noqa: B018
    assert raised.value.paths == ["money.fees.policy"]


def partly_released(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A deal of the other creator, whose agency takes 15 %, signed: echo_pay pays the signing release's creator
    leg and refuses the agency's (``partially_succeeded``)."""
    import attrs

    from creatorkit.entities import LegRole, OperationKind, OperationStatus

    kit = world.kit
    provider = kit.plugins.pm.get_plugin("echo_pay")
    assert isinstance(provider, EchoPayments)
    real = provider._operation

    def partly(request: Any, moved: Any) -> Any:
        answer = real(request, moved)
        if request.kind is not OperationKind.RELEASE:
            return answer
        agency_refs = {leg.account_ref for leg in request.legs if leg.role is LegRole.AGENCY}
        legs = tuple(
            attrs.evolve(leg, status=OperationStatus.FAILED, raw_status="receiver_closed")
            if leg.account_ref in agency_refs
            else leg
            for leg in answer.legs
        )
        return attrs.evolve(answer, status=OperationStatus.PARTIALLY_SUCCEEDED, raw_status="partial", legs=legs)

    monkeypatch.setattr(provider, "_operation", partly)
    entry = kit.roster.propose(
        world.agency, manager_id="mgr_mina", creator_id=world.other_creator.id, scopes=[], agency_cut_bp=1_500
    )
    kit.roster.accept(world.other_creator, entry.id)
    deal = world.invite(creator=world.other_creator)
    kit.outreach.respond(world.other_creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000, payment=staged(100_000)))
    kit.negotiation.accept(world.other_creator, offer.id)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, world.other_creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    return deal


def test_a_release_paid_only_in_part_is_never_paid_again_as_a_whole(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider paid the creator's leg and refused the agency's (``partially_succeeded``): the movement is
    failed, says which leg left, and a retry, which would pay the creator a second time, is refused."""
    from creatorkit.entities import LegRole
    from creatorkit.errors import StateError

    kit = world.kit
    provider = kit.plugins.pm.get_plugin("echo_pay")
    assert provider is not None
    deal = partly_released(world, monkeypatch)
    release = kit.payments.money(world.brand, deal.id).operations[-1]
    assert release.purpose is PaymentPurpose.RELEASE and release.status is PaymentOperationStatus.FAILED
    assert release.paid_legs == (LegRole.CREATOR,)
    paid_before = dict(provider.balances)
    with pytest.raises(StateError, match=r"creator leg.*twice"):
        kit.payments.retry(world.brand, deal.id)
    assert dict(provider.balances) == paid_before, "nothing was sent to the provider again"
    assert [op.id for op in kit.payments.money(world.brand, deal.id).operations][-1] == release.id


def test_the_ledger_holds_what_a_release_paid_in_part_paid_and_no_more(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The creator's leg left escrow at the provider, the agency's did not: the ledger moves exactly the creator's
    net out of escrow (the agency's cut and the platform's fee are still held), the money view counts it released,
    and reconciliation finds the books and the ledger agreeing (only the provider's partial status to settle)."""
    from creatorkit.entities import LedgerAccountKind as Kind
    from creatorkit.ledger import account_id

    deal = partly_released(world, monkeypatch)
    money = accounted(world, deal)
    release = money.operations[-1]
    assert release.status is PaymentOperationStatus.FAILED and release.fees is not None
    fees = release.fees
    assert fees.agency_cut.amount > 0 and fees.platform_fee.amount > 0
    assert (money.released, money.creator_net, money.agency_cut, money.platform_fees) == (
        fees.creator_net,
        fees.creator_net,
        Money.zero("USD"),
        Money.zero("USD"),
    )
    assert money.held == money.funded - fees.creator_net, "the agency's cut and the platform's fee stay in escrow"
    entries = [e for e in world.kit.ledger.entries(world.system, deal_id=deal.id) if e.operation_id == release.id]
    payable = account_id(Kind.CREATOR_PAYABLE, "USD", holder=world.other_creator.id)
    escrow = account_id(Kind.DEAL_ESCROW, "USD", deal_id=deal.id)
    assert [{p.account: p.amount for p in e.postings} for e in entries] == [
        {escrow: fees.creator_net, payable: -fees.creator_net}
    ]
    report = world.kit.payments.reconcile(world.system)
    assert [(d.kind, d.operation_id) for d in report.differences] == [("status_mismatch", release.id)]
