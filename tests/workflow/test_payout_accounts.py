"""Payout accounts: who is paid where, at each provider (``kit.payments.register_payout_account``).

A creator or an agency registers the account it is paid into at a provider (or the system does, for an onboarding
flow); nobody else may, and a refusal writes nothing. A release pays each receiver into its active account there:
echo_pay's own books show the money arriving in it. A provider that pays only registered accounts refuses a
release to a party that has none, before the movement is recorded, and the next sync after registration pays.
Registering another account keeps the one before, inactive, naming its replacement.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from creatorkit import Creatorkit, Money
from creatorkit.entities import OperationKind, PayeeKind, PaymentOperationStatus, PaymentPurpose, PayoutAccount
from creatorkit.entities._common import FieldValueError
from creatorkit.errors import NotFound, PayoutAccountMissing, PermissionDenied, ValidationError
from creatorkit.host import PluginHost
from creatorkit.ledger import Commission, split
from creatorkit.signing import sign_contract_hash
from creatorkit_echo import EchoPayments, EchoPlatform
from world import START, Clock, World

from .test_escrow import COMMISSION_BP, accounted, executed, money_config, staged


class AccountsOnlyEchoPayments(EchoPayments):
    """echo_pay as Stripe or WeChat Pay behave: it pays only receivers named by their account with it."""

    CAPABILITIES = attrs.evolve(EchoPayments.CAPABILITIES, requires_payout_account=True)


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> EchoPayments:
    """echo_pay, registered as the kit's provider; a test may ask for another class with ``indirect=True``."""
    cls: type[EchoPayments] = getattr(request, "param", EchoPayments)
    return cls()


@pytest.fixture
def kit(store: Any, clock: Clock, provider: EchoPayments) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    plugins.register(provider, name="echo_pay", group="creatorkit.payments")
    return Creatorkit(store=store, plugins=plugins, config=money_config(), clock=clock)


ACCOUNTS_ONLY = pytest.mark.parametrize("provider", [AccountsOnlyEchoPayments], indirect=True)

#: What echo_pay's creator net of the signing milestone (30 % of 150,000) is, after the 25 % commission.
FIRST_NET = split(Money(45_000, "USD"), Commission(rate_bp=COMMISSION_BP), 0).creator_net


def audit_actions(world: World, prefix: str = "payout_account.") -> list[str]:
    return [event.action for event in world.kit.store.iter_audit() if event.action.startswith(prefix)]


def release_legs(provider: EchoPayments) -> list[tuple[str, str, int]]:
    """(party, account, amount) of every leg echo_pay was asked to release, in the order asked."""
    return [
        (leg.party_id, leg.account_ref, leg.amount.amount)
        for record in provider.records.values()
        if record.request.kind is OperationKind.RELEASE
        for leg in record.request.legs
    ]


# --- registering ----------------------------------------------------------------------------------------------


def test_a_creator_registers_where_it_is_paid_at_the_configured_provider(world: World) -> None:
    payments = world.kit.payments
    account = payments.register_payout_account(
        world.creator, account_ref="ana-echo-wallet", label="main", currency="USD"
    )
    assert (account.party_id, account.party_kind, account.provider) == ("creator_ana", PayeeKind.CREATOR, "echo_pay")
    assert (account.account_ref, account.label, account.currency) == ("ana-echo-wallet", "main", "USD")
    assert account.active and account.registered_by == "creator:creator_ana" and account.registered_at == START
    assert payments.payout_accounts(world.creator, world.creator.id) == [account]
    assert payments.payout_accounts(world.system, world.creator.id) == [account]
    assert audit_actions(world) == ["payout_account.registered"]


def test_an_agency_registers_its_own_and_the_system_registers_for_a_creator(world: World) -> None:
    payments = world.kit.payments
    agency = payments.register_payout_account(world.agency, account_ref="stellar-echo")
    assert (agency.party_id, agency.party_kind) == (world.agency.id, PayeeKind.AGENCY)
    onboarded = payments.register_payout_account(world.system, account_ref="bo-echo", party_id=world.other_creator.id)
    assert (onboarded.party_id, onboarded.party_kind, onboarded.registered_by) == (
        world.other_creator.id,
        PayeeKind.CREATOR,
        "system:system",
    )
    with pytest.raises(ValidationError) as unnamed:
        payments.register_payout_account(world.system, account_ref="x")
    assert unnamed.value.paths == ["party_id"]
    with pytest.raises(ValidationError) as unknown:
        payments.register_payout_account(world.system, account_ref="x", party_id="creator_nobody")
    assert unknown.value.paths == ["party_id"]


def test_bad_input_is_named_and_nothing_is_written(world: World) -> None:
    payments = world.kit.payments
    with pytest.raises(ValidationError) as raised:
        payments.register_payout_account(world.creator, account_ref=" acct_1 ", currency="usd", label="")
    assert raised.value.paths == ["account_ref", "label", "currency"]
    with pytest.raises(ValidationError) as blank:
        payments.register_payout_account(world.creator, account_ref="   ")
    assert blank.value.paths == ["account_ref"]
    with pytest.raises(ValidationError) as provider:
        payments.register_payout_account(world.creator, account_ref="acct_1", provider="stripe_connect")
    assert provider.value.paths == ["provider"] and "echo_pay" in str(provider.value)
    assert payments.payout_accounts(world.creator, world.creator.id) == []
    assert audit_actions(world) == []


@pytest.mark.parametrize("who", ["manager", "agency", "brand", "other_creator"])
def test_nobody_but_the_party_or_the_system_may_say_where_its_money_goes(world: World, who: str, denials: Any) -> None:
    payments = world.kit.payments
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied) as raised:
        payments.register_payout_account(actor, account_ref="someone-elses-wallet", party_id=world.creator.id)
    assert raised.value.action == "register_payout_account" and raised.value.entity == "creator creator_ana"
    assert payments.payout_accounts(world.system, world.creator.id) == [], "nothing was written"
    assert audit_actions(world) == []
    assert [event.entity_id for event in denials("register_payout_account", by=actor)] == ["creator_ana"]

    registered = payments.register_payout_account(world.creator, account_ref="ana-echo-wallet")
    with pytest.raises(PermissionDenied):
        payments.deactivate_payout_account(actor, registered.id)
    with pytest.raises(PermissionDenied):
        payments.payout_accounts(actor, world.creator.id)
    assert payments.payout_accounts(world.creator, world.creator.id) == [registered], "still active, unchanged"


def test_a_manager_has_no_payout_account_of_its_own_to_register(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.kit.payments.register_payout_account(world.manager, account_ref="mina-wallet")
    with pytest.raises(NotFound):
        world.kit.payments.deactivate_payout_account(world.creator, "payout_nope")


# --- paying into it -------------------------------------------------------------------------------------------


def test_a_release_through_echo_pay_goes_to_the_registered_account(world: World, provider: EchoPayments) -> None:
    world.kit.payments.register_payout_account(world.creator, account_ref="ana-echo-wallet")
    deal = executed(world)
    money = accounted(world, deal)
    release = money.operations[-1]
    assert release.purpose is PaymentPurpose.RELEASE and release.status is PaymentOperationStatus.SUCCEEDED
    assert release_legs(provider) == [("creator_ana", "ana-echo-wallet", FIRST_NET.amount)]
    assert provider.balances[("ana-echo-wallet", "USD")] == FIRST_NET.amount, "echo_pay paid the account"
    assert ("creator_ana", "USD") not in provider.balances, "and nothing under the party id"


def test_each_receiver_is_paid_where_it_registered_or_by_party_id_where_the_provider_takes_that(
    world: World, provider: EchoPayments
) -> None:
    kit = world.kit
    entry = kit.roster.propose(
        world.agency, manager_id="mgr_mina", creator_id=world.other_creator.id, scopes=[], agency_cut_bp=1_500
    )
    kit.roster.accept(world.other_creator, entry.id)
    kit.payments.register_payout_account(world.agency, account_ref="stellar-echo")
    deal = executed_for(world, world.other_creator)
    first = split(Money(45_000, "USD"), Commission(rate_bp=COMMISSION_BP), 1_500)
    assert release_legs(provider) == [
        (world.other_creator.id, world.other_creator.id, first.creator_net.amount),  # echo_pay takes party ids
        (world.agency.id, "stellar-echo", first.agency_cut.amount),
    ]
    agency_share = kit.ledger.balance(world.system, f"agency_share:{world.agency.id}:USD").posted
    assert agency_share == first.agency_cut, "the ledger still names the party, whatever account was paid"
    assert accounted(world, deal).agency_cut == first.agency_cut


@ACCOUNTS_ONLY
def test_a_provider_that_needs_accounts_refuses_a_release_until_one_is_registered(
    world: World, provider: EchoPayments
) -> None:
    kit = world.kit
    with pytest.warns(RuntimeWarning, match="PayoutAccountMissing"):
        deal = executed(world)  # the fund needs no receiver; the signing milestone's release does
    money = accounted(world, deal)
    assert [op.purpose for op in money.operations] == [PaymentPurpose.FUND], "the release was not even recorded"
    assert money.held == Money(150_000, "USD") and release_legs(provider) == []
    with pytest.raises(PayoutAccountMissing) as raised:
        kit.payments.sync(world.system, deal.id)
    missing = raised.value
    assert (missing.party_id, missing.party_kind, missing.provider) == ("creator_ana", "creator", "echo_pay")
    assert "register_payout_account" in missing.action and "register_payout_account" in str(missing)
    assert len(kit.payments.operations(world.brand, deal.id)) == 1, "asking again writes nothing either"

    kit.payments.register_payout_account(world.creator, account_ref="acct_ana")
    result = kit.payments.sync(world.system, deal.id)
    assert [op.purpose for op in result.succeeded] == [PaymentPurpose.RELEASE]
    assert release_legs(provider) == [("creator_ana", "acct_ana", FIRST_NET.amount)]
    assert accounted(world, deal).held == Money(105_000, "USD")


@ACCOUNTS_ONLY
def test_an_agency_without_an_account_holds_back_the_whole_release(world: World, provider: EchoPayments) -> None:
    kit = world.kit
    entry = kit.roster.propose(
        world.agency, manager_id="mgr_mina", creator_id=world.other_creator.id, scopes=[], agency_cut_bp=1_500
    )
    kit.roster.accept(world.other_creator, entry.id)
    kit.payments.register_payout_account(world.other_creator, account_ref="acct_bo")
    with pytest.warns(RuntimeWarning, match="agency agency_stellar"):
        deal = executed_for(world, world.other_creator)
    assert release_legs(provider) == [], "the creator is not paid while the agency's cut has nowhere to go"
    kit.payments.register_payout_account(world.system, account_ref="acct_stellar", party_id=world.agency.id)
    kit.payments.sync(world.system, deal.id)
    assert [(party, account) for party, account, _ in release_legs(provider)] == [
        (world.other_creator.id, "acct_bo"),
        (world.agency.id, "acct_stellar"),
    ]


# --- replacing and deactivating -------------------------------------------------------------------------------


def test_a_new_account_replaces_the_old_one_which_is_kept(world: World, provider: EchoPayments) -> None:
    payments = world.kit.payments
    old = payments.register_payout_account(world.creator, account_ref="ana-old-bank")
    world.clock.advance(hours=1)
    new = payments.register_payout_account(world.creator, account_ref="ana-new-bank")
    assert payments.register_payout_account(world.creator, account_ref="ana-new-bank") == new, "the same: unchanged"
    history = payments.payout_accounts(world.creator, world.creator.id)
    assert [account.id for account in history] == [old.id, new.id]
    retired = history[0]
    assert (retired.account_ref, retired.active, retired.replaced_by) == ("ana-old-bank", False, new.id)
    assert retired.deactivated_by == "creator:creator_ana" and retired.deactivated_at == new.registered_at
    assert retired.registered_at == old.registered_at, "the old record is ended, never overwritten"
    assert history[1].active
    assert audit_actions(world) == [
        "payout_account.registered",
        "payout_account.replaced",
        "payout_account.registered",
    ]
    executed(world)
    assert [account for _, account, _ in release_legs(provider)] == ["ana-new-bank"]


@ACCOUNTS_ONLY
def test_a_deactivated_account_is_not_paid(world: World, provider: EchoPayments) -> None:
    payments = world.kit.payments
    account = payments.register_payout_account(world.creator, account_ref="acct_ana")
    ended = payments.deactivate_payout_account(world.creator, account.id)
    assert not ended.active and ended.replaced_by is None and ended.deactivated_by == "creator:creator_ana"
    assert payments.deactivate_payout_account(world.system, account.id) == ended, "asked again: unchanged"
    assert audit_actions(world) == ["payout_account.registered", "payout_account.deactivated"]
    with pytest.warns(RuntimeWarning, match="PayoutAccountMissing"):
        executed(world)
    assert release_legs(provider) == []


def test_an_account_says_consistently_whether_it_is_active() -> None:
    fields: dict[str, Any] = {
        "id": "payout_1",
        "party_id": "creator_ana",
        "party_kind": PayeeKind.CREATOR,
        "provider": "echo_pay",
        "account_ref": "acct_ana",
        "registered_by": "creator:creator_ana",
        "registered_at": START,
    }
    for contradiction in ({"active": False}, {"deactivated_at": START}):
        with pytest.raises(FieldValueError) as raised:
            PayoutAccount(**fields, **contradiction)
        assert raised.value.field == "deactivated_at"
    assert PayoutAccount(**fields).active


def executed_for(world: World, creator: Any) -> Any:
    """``executed`` for a creator other than the world's own: invited, agreed, drafted and signed by both."""
    from datetime import timedelta

    kit = world.kit
    payment = staged()
    deal = world.invite(creator=creator)
    kit.outreach.respond(creator, deal.id, accept=True)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=payment.total.amount, payment=payment))
    kit.negotiation.accept(creator, offer.id)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    for party in (world.brand, creator):
        signature = sign_contract_hash(world.keys[party.id][0], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)
    return kit.deals.get(world.brand, deal.id)
