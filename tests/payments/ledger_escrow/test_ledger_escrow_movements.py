"""Each verb as ledger entries: which accounts move, and what the ledger's own rules refuse.

After every movement the escrow's books are read through its own kit's ledger: the clearing account (the
operator's bank), the fund's escrow and the receivers' accounts hold what the movements say, and
``kit.ledger.verify`` finds nothing wrong.
"""

from __future__ import annotations

import attrs
import pytest
from creatorkit_payments.ledger_escrow import LedgerEscrow

from creatorkit import Money
from creatorkit.entities import LedgerAccountKind, LedgerEntryKind, OperationStatus, SourceReference
from creatorkit.errors import IdempotencyConflict, NotFound, PaymentError, PaymentNotSupported
from creatorkit.host import PaymentClient
from creatorkit.ledger import account_id

from .conftest import AGENCY, CREATOR, Deal, Providers


@pytest.fixture
def started(providers: Providers) -> tuple[PaymentClient, LedgerEscrow]:
    return providers.start()


def balance(plugin: LedgerEscrow, kind: LedgerAccountKind, holder: str | None, currency: str = "USD") -> Money:
    books = plugin.books
    return books.kit.ledger.balance(books.actor, account_id(kind, currency, holder=holder)).posted


def creator(plugin: LedgerEscrow) -> Money:
    return balance(plugin, LedgerAccountKind.CREATOR_PAYABLE, CREATOR)


def escrow_of(plugin: LedgerEscrow, fund_ref: str) -> Money:
    return balance(plugin, LedgerAccountKind.FUND_ESCROW, fund_ref)


def clearing(plugin: LedgerEscrow) -> Money:
    return balance(plugin, LedgerAccountKind.PROVIDER_CLEARING, "ledger_escrow")


def sound(plugin: LedgerEscrow) -> bool:
    return plugin.books.kit.ledger.verify(plugin.books.actor) == []


def refused(provider: PaymentClient, request: object, code: str) -> PaymentError:
    with pytest.raises(PaymentError) as caught:
        provider.execute(request)  # type: ignore[arg-type]
    error = caught.value
    assert not isinstance(error, PaymentNotSupported), "the escrow's own books refuse it, not the host"
    assert (error.provider, error.provider_code, error.outcome_unknown) == ("ledger_escrow", code, False)
    return error


def test_a_fund_is_money_at_the_operators_bank_held_for_that_fund(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund(hold_days=30))
    assert fund.status is OperationStatus.SUCCEEDED and fund.raw_status == "posted"
    assert (fund.fee, fund.net) == (Money(0, "USD"), deal.amount), "the escrow takes no fee"
    assert fund.hold_expires_at is not None and (fund.hold_expires_at - fund.updated_at).days == 30
    assert fund.provider_ref == f"le_{fund.operation_id}", "the ledger entry is the provider's reference"
    assert escrow_of(plugin, fund.provider_ref) == deal.amount == clearing(plugin)
    entry = plugin.books.kit.ledger.entry(plugin.books.actor, fund.provider_ref)
    assert entry.kind is LedgerEntryKind.TRANSFER and entry.operation_id == fund.operation_id
    assert sound(plugin)


def test_a_release_owes_each_receiver_their_leg(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = provider.execute(deal.release(fund, deal.legs(60_000, 15_000, 5_000)))
    assert [(leg.account_ref, leg.amount.amount) for leg in release.legs] == [
        (CREATOR, 60_000),
        (AGENCY, 15_000),
        ("acct_operator", 5_000),
    ]
    assert [leg.provider_ref for leg in release.legs] == [
        f"creator_payable:{CREATOR}:USD",
        f"agency_share:{AGENCY}:USD",
        "platform_fees:USD",
    ], "each leg names the ledger account it was paid into; the platform's own leg is the operator's"
    assert escrow_of(plugin, fund.provider_ref) == Money(20_000, "USD")
    assert creator(plugin) == Money(60_000, "USD")
    assert balance(plugin, LedgerAccountKind.AGENCY_SHARE, AGENCY) == Money(15_000, "USD")
    assert balance(plugin, LedgerAccountKind.PLATFORM_FEES, None) == Money(5_000, "USD")
    assert sound(plugin)


def test_a_release_beyond_what_the_fund_holds_is_refused_and_writes_nothing(
    started: tuple[PaymentClient, LedgerEscrow],
) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    provider.execute(deal.release(fund, deal.legs(70_000)))
    error = refused(provider, deal.release(fund, deal.legs(30_000, 1)), "insufficient_funds")
    assert "30000.00" not in str(error) and f"fund_escrow:{fund.provider_ref}:USD" in str(error)
    assert "holds 300.00 USD" in str(error), "the refusal says what the fund still holds"
    assert escrow_of(plugin, fund.provider_ref) == Money(30_000, "USD")
    with pytest.raises(NotFound):  # the agency's account, opened in the refused transaction, was not kept
        balance(plugin, LedgerAccountKind.AGENCY_SHARE, AGENCY)
    assert sound(plugin)


def test_the_same_request_twice_moves_money_once(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = deal.release(fund, deal.legs(40_000))
    first, again = provider.execute(release), provider.execute(release)
    assert again == first
    assert creator(plugin) == Money(40_000, "USD")
    assert len(plugin.books.kit.ledger.entries(plugin.books.actor, account_id=f"creator_payable:{CREATOR}:USD")) == 1


def test_the_same_id_with_another_reason_names_just_that_field(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, _ = started
    deal = Deal()
    request = deal.fund()
    provider.execute(request)
    with pytest.raises(IdempotencyConflict) as caught:
        provider.execute(deal.fund(operation_id=request.operation_id, reason="fund it again"))
    assert caught.value.fields == ("reason",)
    assert caught.value.provider == "ledger_escrow"
    with pytest.raises(IdempotencyConflict) as on_retrieve:
        provider.retrieve(deal.fund(operation_id=request.operation_id, amount=Money(1, "USD")))
    assert on_retrieve.value.fields == ("amount",)


def test_retrieving_reads_the_ledger_and_an_unknown_id_is_not_found(
    started: tuple[PaymentClient, LedgerEscrow],
) -> None:
    provider, _ = started
    deal = Deal()
    request = deal.fund()
    done = provider.execute(request)
    assert provider.retrieve(request, known=None) == done
    with pytest.raises(NotFound):
        provider.retrieve(deal.fund())


def test_a_reversal_takes_back_no_more_than_the_release_paid(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    release_request = deal.release(fund, deal.legs(50_000, 10_000))
    release = provider.execute(release_request)
    provider.execute(deal.reverse(release, deal.legs(20_000)))
    partly = provider.retrieve(release_request, known=release)
    assert (partly.status, partly.reversed_amount) == (OperationStatus.SUCCEEDED, Money(20_000, "USD"))
    refused(provider, deal.reverse(release, deal.legs(30_001)), "exceeds_release")
    refused(provider, deal.reverse(release, deal.legs(0, 0, 1)), "refused")  # the release paid the operator nothing
    provider.execute(deal.reverse(release, deal.legs(30_000, 10_000)))
    whole = provider.retrieve(release_request, known=partly)
    assert (whole.status, whole.raw_status, whole.reversed_amount) == (
        OperationStatus.REVERSED,
        "reversed",
        release.amount,
    )
    assert escrow_of(plugin, fund.provider_ref) == deal.amount and creator(plugin) == Money(0, "USD")
    assert sound(plugin)


def test_a_reversal_retried_is_the_same_reversal(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = provider.execute(deal.release(fund, deal.legs(50_000)))
    reverse = deal.reverse(release, deal.legs(50_000))
    assert provider.execute(reverse) == provider.execute(reverse), "the retry counts itself as taken: no refusal"
    assert escrow_of(plugin, fund.provider_ref) == deal.amount


def test_money_released_must_come_back_before_it_is_refunded(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = provider.execute(deal.release(fund, deal.legs(25_000)))
    refused(provider, deal.refund(fund), "insufficient_funds")  # the host was not told what went out
    provider.execute(deal.refund(fund, Money(75_000, "USD")))
    provider.execute(deal.reverse(release, deal.legs(25_000)))
    provider.execute(deal.refund(fund, Money(25_000, "USD")))
    assert escrow_of(plugin, fund.provider_ref) == Money(0, "USD") == clearing(plugin)
    assert sound(plugin)


def test_a_payout_pays_out_no_more_than_the_receiver_is_owed(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    provider.execute(deal.release(fund, deal.legs(40_000, 10_000)))
    refused(provider, deal.payout(40_001), "insufficient_funds")
    payout = provider.execute(deal.payout(40_000))
    assert payout.legs[0].provider_ref == f"creator_payable:{CREATOR}:USD"
    assert creator(plugin) == Money(0, "USD")
    assert clearing(plugin) == Money(60_000, "USD"), "what left the operator's bank is no longer in clearing"
    refused(provider, deal.payout(1, account="acct_nobody"), "insufficient_funds")
    assert sound(plugin)


def test_shares_are_checked_against_the_source(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, _ = started
    deal = Deal(Money(100_001, "USD"))
    fund = provider.execute(deal.fund())
    # 15 % of 1000.01 is 150.0015: 150.00 and 150.01 both honour it, 150.02 does not.
    provider.execute(deal.release(fund, deal.legs(15_000, shares={"creator": 1_500})))
    provider.execute(deal.release(fund, deal.legs(15_001, shares={"creator": 1_500})))
    error = refused(provider, deal.release(fund, deal.legs(15_002, shares={"creator": 1_500})), "share_mismatch")
    assert "legs[0]" in str(error) and "1500 bp" in str(error)


def test_what_the_books_cannot_take_is_refused_by_name(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, plugin = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    refused(provider, deal.fund(legs=deal.legs(100_000)), "refused")
    refused(provider, deal.release(fund, (), amount=Money(1_000, "USD")), "refused")
    to_the_operator = provider.execute(deal.release(fund, (), amount=Money(1_000, "USD"), final=True))
    assert to_the_operator.legs == ()
    assert balance(plugin, LedgerAccountKind.PLATFORM_FEES, None) == Money(1_000, "USD")
    release = provider.execute(deal.release(fund, deal.legs(1_000)))
    error = refused(provider, deal.release(release, deal.legs(1)), "source")
    assert release.provider_ref in str(error), "a release draws on a fund, not on another release"
    refused(provider, deal.refund(release), "source")
    euros = Deal(Money(1_000, "EUR"))
    in_euros = euros.release(fund, euros.legs(1_000), source=SourceReference(ref=fund.provider_ref))
    assert "is in USD, not EUR" in str(refused(provider, in_euros, "source"))


def test_an_account_ref_the_ledger_cannot_keep_is_refused(started: tuple[PaymentClient, LedgerEscrow]) -> None:
    provider, _ = started
    deal = Deal()
    fund = provider.execute(deal.fund())
    leg = deal.legs(1_000)[0]
    error = refused(provider, deal.release(fund, (attrs.evolve(leg, account_ref="acct:colon"),)), "invalid")
    assert "holder" in str(error)


def test_the_provider_holds_its_own_max_hold_days(providers: Providers) -> None:
    # The host read the metadata (730 days) before the settings lowered it: the provider refuses what it cannot.
    provider, _ = providers.start(max_hold_days=60)
    deal = Deal()
    assert provider.execute(deal.fund(hold_days=60)).status is OperationStatus.SUCCEEDED
    error = refused(provider, deal.fund(hold_days=61), "hold")
    assert "max_hold_days (60)" in str(error)
