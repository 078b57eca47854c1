"""Money through the Stripe plugin: idempotency, lost answers, reversal before refund, payouts, balances."""

from __future__ import annotations

import httpx
import pytest

from creatorkit import Money
from creatorkit.entities import OperationStatus
from creatorkit.errors import IdempotencyConflict, NotFound, PaymentError
from creatorkit.toolkit import Fault

from .conftest import AGENCY, CREATOR, Deal, objects, sandbox_of, start


def _post(plugin: object, path: str, data: dict[str, str], key: str, account: str | None = None) -> httpx.Response:
    """A raw call to the sandbox, as any Stripe client would make it."""
    headers = {"Authorization": "Bearer sk_test_raw", "Idempotency-Key": key}
    if account:
        headers["Stripe-Account"] = account
    client = httpx.Client(transport=sandbox_of(plugin), base_url="https://api.stripe.com")  # type: ignore[arg-type]
    return client.post(path, data=data, headers=headers)


# -- idempotency -----------------------------------------------------------------------------------------------


def test_the_sandbox_replays_a_key_and_refuses_it_with_other_parameters() -> None:
    _, plugin = start()
    body = {"amount": "5000", "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"}
    first = _post(plugin, "/v1/payment_intents", body, "key-1")
    again = _post(plugin, "/v1/payment_intents", body, "key-1")
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = _post(plugin, "/v1/payment_intents", {**body, "amount": "5001"}, "key-1")
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"
    assert other.headers["Request-Id"].startswith("req_")
    elsewhere = _post(plugin, "/v1/refunds", {"payment_intent": first.json()["id"]}, "key-1")
    assert elsewhere.json()["error"]["type"] == "idempotency_error", "a key reused on another endpoint"
    assert len(objects(plugin, "payment_intent")) == 1


def test_a_fund_retried_is_one_payment_intent_and_its_id_reused_is_a_conflict_naming_the_field() -> None:
    provider, plugin = start()
    deal = Deal()
    request = deal.fund()
    first, again = provider.execute(request), provider.execute(request)
    assert first == again and len(objects(plugin, "payment_intent")) == 1
    with pytest.raises(IdempotencyConflict) as caught:
        provider.execute(deal.fund(Money(90_000, "USD"), operation_id=request.operation_id))
    assert caught.value.fields == ("amount",), "named from the fingerprint in the first intent's metadata"
    assert request.operation_id in str(caught.value)


def test_a_release_sends_one_transfer_per_receiver_with_a_key_per_leg() -> None:
    provider, plugin = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = deal.release(fund, deal.legs(80_000, 10_000, 5_000))
    done = provider.execute(release)
    transfers = objects(plugin, "transfer")
    assert {t["destination"] for t in transfers} == {CREATOR, AGENCY}, "the platform's leg stays on its balance"
    assert all(t["transfer_group"] == deal.deal_id and t["source_transaction"] for t in transfers)
    assert [leg.raw_status for leg in done.legs] == ["available", "available", "retained"]
    kept = {key for _, key in sandbox_of(plugin)._kept}
    assert {f"{release.operation_id}-{CREATOR}", f"{release.operation_id}-{AGENCY}"} <= kept
    assert provider.execute(release).provider_ref == done.provider_ref and len(objects(plugin, "transfer")) == 2


def test_a_release_is_not_sent_again_once_stripe_has_forgotten_the_keys() -> None:
    provider, plugin = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = deal.release(fund, deal.legs(50_000))
    done = provider.execute(release)
    sandbox_of(plugin)._kept.clear()  # 24 hours later: Stripe prunes its keys
    assert provider.execute(release).provider_ref == done.provider_ref
    assert len(objects(plugin, "transfer")) == 1, "found by its metadata, not sent twice"


# -- what goes wrong: lost answers, lagging search, declines, balances ----------------------------------------


def test_a_timeout_after_success_is_recovered_by_retrieve() -> None:
    provider, plugin = start(sandbox={"timeout_after_success": True})
    request = Deal().fund()
    with pytest.raises(PaymentError) as caught:
        provider.execute(request)
    assert caught.value.outcome_unknown and not isinstance(caught.value, IdempotencyConflict)
    found = provider.retrieve(request, known=None)
    assert found.status is OperationStatus.SUCCEEDED, "the intent was made before the answer was lost"
    assert provider.execute(request).provider_ref == found.provider_ref
    assert len(objects(plugin, "payment_intent")) == 1


def test_a_search_that_lags_behind_is_an_unknown_outcome_not_a_missing_operation() -> None:
    provider, _ = start(sandbox={"search_lag": 5})
    request = Deal().fund()
    provider.execute(request)
    with pytest.raises(PaymentError) as caught:
        provider.retrieve(request, known=None)
    assert caught.value.outcome_unknown and "lags" in str(caught.value)


def test_a_declined_card_is_a_refusal_with_the_decline_code() -> None:
    provider, _ = start()
    request = Deal().fund(metadata={"stripe_payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    with pytest.raises(PaymentError) as caught:
        provider.execute(request)
    assert not caught.value.outcome_unknown and caught.value.provider_code == "insufficient_funds"
    assert "request req_" in str(caught.value), "Stripe's request id, for its support"


def test_a_fund_without_a_payment_method_waits_for_the_brand() -> None:
    provider, _ = start(payment_method="pm_card_authenticationRequired")
    operation = provider.execute(Deal().fund())
    assert operation.status is OperationStatus.REQUIRES_ACTION
    assert operation.next_action is not None and operation.next_action.raw_kind == "use_stripe_sdk"


def test_stripe_5xx_is_an_unknown_outcome() -> None:
    provider, plugin = start()
    sandbox_of(plugin).fail(tk_fault("server_error"), times=1)
    with pytest.raises(PaymentError) as caught:
        provider.execute(Deal().fund())
    assert caught.value.outcome_unknown


def tk_fault(name: str) -> Fault:
    return Fault(name)


def test_a_transfer_beyond_the_platforms_available_balance_is_balance_insufficient() -> None:
    _, plugin = start()
    sandbox_of(plugin).add_account("acct_x")
    answer = _post(plugin, "/v1/transfers", {"amount": "100", "currency": "usd", "destination": "acct_x"}, "t-1")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "balance_insufficient"


def test_releasing_beyond_the_funds_net_is_refused_by_the_plugin() -> None:
    provider, _ = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    assert fund.net is not None and fund.fee is not None and fund.fee + fund.net == fund.amount
    with pytest.raises(PaymentError, match="left to release") as caught:
        provider.execute(deal.release(fund, deal.legs(fund.net.amount + 1)))
    assert not caught.value.outcome_unknown


# -- reverse before refund ------------------------------------------------------------------------------------


def test_released_money_is_reversed_before_the_fund_is_refunded() -> None:
    provider, plugin = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = deal.release(fund, deal.legs(60_000, 20_000))
    released = provider.execute(release)
    with pytest.raises(PaymentError, match="reverse the transfers before refunding"):
        provider.execute(deal.refund(fund))  # the host is told nothing went out: Stripe's books say otherwise
    provider.execute(deal.reverse(release, released, deal.legs(60_000)))
    after = provider.retrieve(release, known=released)
    assert after.reversed_amount == Money(60_000, "USD") and after.status is OperationStatus.SUCCEEDED
    provider.execute(deal.reverse(release, released, deal.legs(0, 20_000)))
    assert provider.retrieve(release, known=released).status is OperationStatus.REVERSED
    refund = provider.execute(deal.refund(fund))
    assert refund.status is OperationStatus.SUCCEEDED and objects(plugin, "refund")[0]["amount"] == 100_000


def test_a_reversal_after_the_receiver_was_paid_out_fails_for_their_balance() -> None:
    provider, _ = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    release = deal.release(fund, deal.legs(50_000))
    released = provider.execute(release)
    paid = provider.execute(deal.payout(CREATOR, 50_000))
    assert paid.status is OperationStatus.PENDING and paid.raw_status == "pending"
    with pytest.raises(PaymentError) as caught:
        provider.execute(deal.reverse(release, released))
    assert "no longer holds" in str(caught.value) and not caught.value.outcome_unknown


def test_a_payout_resolves_as_stripe_pays_it() -> None:
    provider, _ = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    provider.execute(deal.release(fund, deal.legs(30_000)))
    payout = deal.payout(CREATOR, 30_000)
    operation = provider.execute(payout)
    statuses = [provider.retrieve(payout, known=operation).raw_status for _ in range(2)]
    assert statuses == ["in_transit", "paid"]
    assert provider.retrieve(payout, known=operation).status is OperationStatus.SUCCEEDED
    with pytest.raises(PaymentError, match="does not cover"):
        provider.execute(deal.payout(CREATOR, 1))


def test_retrieving_a_release_never_sent_is_not_found() -> None:
    provider, _ = start()
    deal = Deal()
    fund = provider.execute(deal.fund())
    with pytest.raises(NotFound):
        provider.retrieve(deal.release(fund, deal.legs(1_000)))
