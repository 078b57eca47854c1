"""The Stripe plugin's settings, capabilities, amounts in Stripe's units, recorded responses and secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import stripe
from creatorkit_payments import stripe_connect
from creatorkit_payments.stripe_connect import STRIPE_API_VERSION, StripeConnectPayments, hold_days_for
from creatorkit_payments.stripe_connect._errors import payment_error
from creatorkit_payments.stripe_connect._parse import BALANCE_STATUSES, Reader, transfer_raw_status
from creatorkit_payments.stripe_connect.sandbox import signed_delivery

from creatorkit import Money
from creatorkit.config import Mode
from creatorkit.entities import (
    LegRole,
    NextActionKind,
    OperationKind,
    OperationStatus,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
)
from creatorkit.errors import ConfigError, PaymentError, PaymentNotSupported, SignatureError
from creatorkit.host import PluginContext
from creatorkit.payments import from_provider_units, to_provider_units

from .conftest import FIXTURES, Deal, objects, start

KEY = "sk_test_51NeverPrintMeAnywhere0000"


def test_all_names_what_the_package_offers() -> None:
    assert sorted(stripe_connect.__all__) == stripe_connect.__all__
    assert all(hasattr(stripe_connect, name) for name in stripe_connect.__all__)
    assert {"StripeConnectPayments", "STRIPE_API_VERSION"} <= set(stripe_connect.__all__)


@pytest.mark.parametrize(("country", "days"), [("US", 730), ("TH", 10), ("DE", 90), (None, 90)])
def test_the_hold_follows_the_platforms_country(country: str | None, days: int) -> None:
    _, plugin = start(**({"platform_country": country} if country else {}))
    assert hold_days_for(country) == days == plugin.creatorkit_plugin_metadata().payments.max_hold_days  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("amount", "stripe_units"),
    [(Money.of("12345", "JPY"), 12_345), (Money.of("1000", "ISK"), 100_000), (Money.of("1.250", "KWD"), 1_250)],
)
def test_amounts_go_to_stripe_in_its_units_and_come_back_exact(amount: Money, stripe_units: int) -> None:
    provider, plugin = start()
    flags = plugin.capabilities
    assert to_provider_units(amount, flags, provider="stripe_connect") == stripe_units
    assert from_provider_units(stripe_units, amount.currency, flags, provider="stripe_connect") == amount
    fund = provider.execute(Deal(amount).fund())
    assert objects(plugin, "payment_intent")[0]["amount"] == stripe_units and fund.amount == amount
    assert fund.fee is not None and fund.net is not None and fund.fee + fund.net == amount


@pytest.mark.parametrize("amount", [Money.of("1000.50", "HUF"), Money.of("1.255", "KWD")])
def test_amounts_stripe_cannot_represent_are_refused_before_any_call(amount: Money) -> None:
    provider, plugin = start()
    with pytest.raises(PaymentNotSupported):
        provider.execute(Deal(amount).fund())
    assert not objects(plugin, "payment_intent")


def test_the_api_version_is_pinned_on_every_request() -> None:
    provider, plugin = start()
    seen: list[str] = []
    sandbox = plugin.sandbox
    assert sandbox is not None
    original = sandbox.handle_request
    sandbox.handle_request = lambda request: seen.append(request.headers["Stripe-Version"]) or original(request)  # type: ignore[method-assign,func-returns-value]
    provider.execute(Deal().fund())
    assert seen == [STRIPE_API_VERSION]


# -- recorded responses -----------------------------------------------------------------------------------------


def _reader() -> Reader:
    plugin = StripeConnectPayments()
    return plugin.reader


def _request(kind: OperationKind, amount: Money, operation_id: str = "op_fixture") -> ProviderRequest:
    return ProviderRequest(
        operation_id=operation_id,
        kind=kind,
        amount=amount,
        deal_id="deal_fixture",
        reason="read a recorded response",
        source=SourceReference(ref="pi_x") if kind is not OperationKind.FUND else None,
    )


def test_a_recorded_succeeded_payment_intent_reads_with_its_fee_and_hold() -> None:
    intent = json.loads((FIXTURES / "payment_intent_succeeded.json").read_text())
    operation = _reader().fund(_request(OperationKind.FUND, Money(250_000, "USD")), intent)
    assert (operation.status, operation.raw_status, operation.provider_ref) == (
        OperationStatus.SUCCEEDED,
        "succeeded",
        "pi_3QxR2mLkdIwHu7ix0a9Xb4Yc",
    )
    assert operation.fee == Money(7_280, "USD") and operation.net == Money(242_720, "USD")
    assert operation.hold_expires_at is not None and (operation.hold_expires_at - operation.updated_at).days == 89


def test_a_recorded_3ds_redirect_is_the_brands_next_action() -> None:
    intent = json.loads((FIXTURES / "payment_intent_requires_action.json").read_text())
    operation = _reader().fund(_request(OperationKind.FUND, Money(12_345, "JPY")), intent)
    assert operation.status is OperationStatus.REQUIRES_ACTION and operation.next_action is not None
    assert operation.next_action.kind is NextActionKind.REDIRECT
    assert operation.next_action.url is not None and operation.next_action.url.startswith("https://hooks.stripe.com/")


def test_a_recorded_partly_reversed_transfer_reads_in_kuwaiti_dinars() -> None:
    transfer = json.loads((FIXTURES / "transfer_partially_reversed.json").read_text())
    leg = ReceiverLeg(
        party_id="creator_kw", account_ref=transfer["destination"], amount=Money(1_250_500, "KWD"), role=LegRole.CREATOR
    )
    request = ProviderRequest(
        operation_id="op_kwd_release",
        kind=OperationKind.RELEASE,
        amount=leg.amount,
        deal_id="deal_kw01",
        reason="release",
        legs=(leg,),
        source=SourceReference(ref="pi_x"),
    )
    operation = _reader().legs(
        request,
        {leg.account_ref: transfer},
        raw_of=transfer_raw_status,
        table=BALANCE_STATUSES,
        fallback_ref="",
        fallback_time=datetime(2031, 1, 1, tzinfo=UTC),
    )
    assert operation.status is OperationStatus.SUCCEEDED and operation.raw_status == "available"
    assert operation.reversed_amount == Money(250_000, "KWD") and operation.legs[0].amount == Money(1_250_500, "KWD")
    assert operation.updated_at.timestamp() == 1946109600, "the reversal is the latest change"


def test_a_recorded_card_decline_maps_to_a_refusal_with_its_decline_code() -> None:
    body = json.loads((FIXTURES / "error_card_declined.json").read_text())
    error = stripe.CardError(
        body["error"]["message"],
        "",
        body["error"]["code"],
        json.dumps(body),
        402,
        body,
        {"request-id": "req_Qk2n5XfP0aB1cD"},
    )
    mapped = payment_error(error, provider="stripe_connect", operation_id="op_1", doing="create the PaymentIntent of")
    assert (mapped.provider_code, mapped.outcome_unknown) == ("insufficient_funds", False)
    assert "req_Qk2n5XfP0aB1cD" in str(mapped)


def test_the_sandboxs_objects_have_the_fields_of_the_recorded_ones_the_plugin_reads() -> None:
    provider, plugin = start()
    provider.execute(Deal().fund())
    recorded = json.loads((FIXTURES / "payment_intent_succeeded.json").read_text())
    made = objects(plugin, "payment_intent")[0]
    read = {
        "id",
        "object",
        "amount",
        "currency",
        "status",
        "created",
        "latest_charge",
        "metadata",
        "next_action",
        "last_payment_error",
        "transfer_group",
    }
    assert read <= set(recorded) and read <= set(made)
    assert set(recorded["latest_charge"]["balance_transaction"]) >= set(objects(plugin, "balance_transaction")[0]) - {
        "exchange_rate"
    }


# -- secrets ----------------------------------------------------------------------------------------------------


def test_the_api_key_is_in_no_repr_and_no_error() -> None:
    provider, plugin = start(api_key="sk_live_51NeverPrintMeAnywhere0000")  # the sandbox takes test keys only
    shown = " ".join([repr(plugin), repr(plugin._stripe), repr(plugin.sandbox), repr(plugin._api_key)])
    with pytest.raises(PaymentError) as caught:
        provider.execute(Deal().fund())
    shown += str(caught.value) + repr(caught.value)
    assert "NeverPrintMe" not in shown and "api_key" in str(caught.value)


def test_live_mode_without_an_api_key_names_the_setting() -> None:
    plugin = StripeConnectPayments()
    with pytest.raises(ConfigError) as caught:
        plugin.creatorkit_configure({}, PluginContext(name="stripe_connect", mode=Mode.LIVE))
    assert "api_key" in str(caught.value.problems)


def test_a_malformed_key_is_refused_by_the_schema_without_being_shown() -> None:
    with pytest.raises(ConfigError) as caught:
        start(api_key="not-a-stripe-key-but-secret")
    assert "not-a-stripe-key" not in str(caught.value) + repr(caught.value.problems)


def test_the_webhook_secret_is_in_no_error() -> None:
    provider, plugin = start(webhook_secret=KEY.replace("sk_test", "whsec"))
    at = datetime(2031, 1, 1, tzinfo=UTC)
    with pytest.raises(SignatureError) as caught:
        provider.receive_webhook(signed_delivery(b"{}", "whsec_wrong", signed_at=at))
    assert "NeverPrintMe" not in str(caught.value) and "NeverPrintMe" not in repr(plugin)
