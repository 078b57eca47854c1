"""The payment-provider model's rules: raw statuses, provider units, request and operation invariants."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorkit import Money, PaymentNotSupported, ValidationError, structure, unstructure
from creatorkit.entities import (
    CurrencySupport,
    LegRole,
    NextAction,
    NextActionKind,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    utcnow,
)
from creatorkit.payments import (
    differing_fields,
    from_provider_units,
    granularity,
    split_limit,
    status_from_raw,
    to_provider_units,
)

WECHAT_STATUSES = {"PROCESSING": OperationStatus.PENDING, "FINISHED": OperationStatus.SUCCEEDED}


# -- raw statuses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("FINISHED", OperationStatus.SUCCEEDED),
        ("PROCESSING", OperationStatus.PENDING),
        ("finished", OperationStatus.PENDING),  # the table's words exactly: a provider's case is part of the word
        ("REFUNDED_BY_MAGIC", OperationStatus.PENDING),
        ("", OperationStatus.PENDING),
        (None, OperationStatus.PENDING),
    ],
)
def test_a_raw_status_maps_through_the_table_and_pending_is_the_default(
    raw: str | None, status: OperationStatus
) -> None:
    assert status_from_raw(raw, WECHAT_STATUSES) is status


@given(st.text())
def test_no_unknown_raw_status_ever_counts_as_success(raw: str) -> None:
    expected = WECHAT_STATUSES.get(raw, OperationStatus.PENDING) if raw else OperationStatus.PENDING
    assert status_from_raw(raw, WECHAT_STATUSES) is expected


def test_only_pending_and_requires_action_are_unresolved() -> None:
    assert {s for s in OperationStatus if not s.resolved} == {OperationStatus.PENDING, OperationStatus.REQUIRES_ACTION}


# -- provider units -----------------------------------------------------------------------------------------------

STRIPE = PaymentCapabilities(
    currencies=(
        CurrencySupport(currency="JPY", exponent=0),
        CurrencySupport(currency="ISK", exponent=2, multiple_of=100),
        CurrencySupport(currency="KWD", exponent=3, multiple_of=10),
    )
)
# A gateway that, unlike ISO 4217, counts dinars in two decimals and yen in hundredths.
COARSE = PaymentCapabilities(
    currencies=(CurrencySupport(currency="KWD", exponent=2), CurrencySupport(currency="JPY", exponent=2))
)


@pytest.mark.parametrize(
    ("capabilities", "amount", "units"),
    [
        (STRIPE, Money(12_345, "JPY"), 12_345),
        (STRIPE, Money(1_234, "ISK"), 123_400),  # ×100, and always whole krónur
        (STRIPE, Money(1_250_500, "KWD"), 1_250_500),
        (COARSE, Money(1_250_500, "KWD"), 125_050),
        (COARSE, Money(12_345, "JPY"), 1_234_500),
    ],
)
def test_amounts_convert_exactly_both_ways(capabilities: PaymentCapabilities, amount: Money, units: int) -> None:
    assert to_provider_units(amount, capabilities, provider="p") == units
    assert from_provider_units(units, amount.currency, capabilities, provider="p") == amount


@pytest.mark.parametrize(
    ("capabilities", "amount"),
    [(STRIPE, Money(1_250_505, "KWD")), (COARSE, Money(1_250_505, "KWD"))],
)
def test_an_amount_that_would_need_rounding_is_refused(capabilities: PaymentCapabilities, amount: Money) -> None:
    with pytest.raises(PaymentNotSupported) as caught:
        to_provider_units(amount, capabilities, provider="p")
    assert caught.value.flag == "currencies" and caught.value.requested == "1250.505 KWD exactly"


def test_a_currency_the_provider_does_not_take_is_refused() -> None:
    with pytest.raises(PaymentNotSupported) as caught:
        to_provider_units(Money(100, "USD"), STRIPE, provider="stripe_connect")
    assert (caught.value.flag, caught.value.limit, caught.value.requested) == (
        "currencies",
        ["JPY", "ISK", "KWD"],
        "USD",
    )


def test_provider_units_that_split_the_iso_minor_unit_are_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not a whole number of ISK minor units"):
        from_provider_units(123_450, "ISK", STRIPE, provider="stripe_connect")


def test_granularity_is_the_smallest_representable_amount() -> None:
    assert [granularity(code, STRIPE, provider="p") for code in ("JPY", "ISK", "KWD")] == [1, 1, 10]
    assert [granularity(code, COARSE, provider="p") for code in ("KWD", "JPY")] == [10, 1]


ISO = ["USD", "JPY", "KWD", "ISK", "CLP", "BHD", "EUR"]


@given(
    currency=st.sampled_from(ISO),
    exponent=st.integers(min_value=0, max_value=4),
    multiple_of=st.sampled_from([1, 2, 5, 10, 25, 100, 1000]),
    amount=st.integers(min_value=1, max_value=10**12),
)
def test_conversion_is_exact_or_refused_and_granularity_says_which(
    currency: str, exponent: int, multiple_of: int, amount: int
) -> None:
    flags = PaymentCapabilities(
        currencies=(CurrencySupport(currency=currency, exponent=exponent, multiple_of=multiple_of),)
    )
    money = Money(amount, currency)
    representable = amount % granularity(currency, flags, provider="p") == 0
    try:
        units = to_provider_units(money, flags, provider="p")
    except PaymentNotSupported:
        assert not representable
    else:
        assert representable
        assert units % multiple_of == 0
        assert from_provider_units(units, currency, flags, provider="p") == money


# -- requests ---------------------------------------------------------------------------------------------------


def jpy(amount: int) -> Money:
    return Money(amount, "JPY")


def release(**changes: object) -> ProviderRequest:
    fields: dict[str, object] = {
        "operation_id": "op_release_1",
        "kind": OperationKind.RELEASE,
        "amount": jpy(190_000),
        "deal_id": "deal_jp",
        "reason": "Signing deposit",
        "legs": (
            ReceiverLeg(party_id="cr_haruka", account_ref="acct_haruka", amount=jpy(161_500), role=LegRole.CREATOR),
            ReceiverLeg(party_id="agency_sakura", account_ref="acct_sakura", amount=jpy(28_500), role=LegRole.AGENCY),
        ),
        "source": SourceReference(ref="ch_1", amount=jpy(380_000), fee=jpy(13_680)),
    }
    fields.update(changes)
    return ProviderRequest(**fields)  # type: ignore[arg-type]


def test_the_fields_that_differ_are_named_in_declaration_order() -> None:
    first = release()
    everything_to_haruka = attrs.evolve(first.legs[0], amount=jpy(190_001))
    again = release(metadata={"attempt": "2"}, amount=jpy(190_001), legs=(everything_to_haruka,))
    assert differing_fields(first, first) == ()
    assert differing_fields(first, again) == ("amount", "legs", "metadata")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": jpy(190_001)}, "legs"),
        ({"legs": (release().legs[0], attrs.evolve(release().legs[1], account_ref="acct_haruka"))}, "legs"),
        ({"amount": Money(190_000, "USD")}, "legs"),
        ({"source": SourceReference(ref="ch_1", amount=Money(3_800, "USD"))}, "source"),
    ],
)
def test_a_request_that_does_not_add_up_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    data = unstructure(release())
    data.update(unstructure(change))
    with pytest.raises(ValidationError) as caught:
        structure(data, ProviderRequest)
    assert caught.value.paths == [field]


def test_a_request_needs_no_legs_to_fund_or_refund() -> None:
    assert release(kind=OperationKind.FUND, legs=(), source=None).legs == ()


def test_an_operation_that_requires_action_says_which() -> None:
    fields = {
        "provider": "stripe_connect",
        "operation_id": "op_fund_1",
        "kind": OperationKind.FUND,
        "status": OperationStatus.REQUIRES_ACTION,
        "raw_status": "requires_action",
        "amount": jpy(380_000),
        "provider_ref": "pi_1",
        "updated_at": utcnow(),
    }
    with pytest.raises(ValidationError) as caught:
        structure(unstructure(fields), ProviderOperation)
    assert caught.value.paths == ["next_action"]
    action = NextAction(kind=NextActionKind.AUTHENTICATE, raw_kind="use_stripe_sdk")
    assert ProviderOperation(**fields, next_action=action).next_action == action  # type: ignore[arg-type]


# -- split limits ---------------------------------------------------------------------------------------------------


def test_the_split_limit_is_the_ratio_of_the_source_net_of_its_fee_rounded_down() -> None:
    wechat = PaymentCapabilities(currencies=(CurrencySupport(currency="CNY", exponent=2),), max_split_bp=3_000)
    order = SourceReference(ref="4208450740201411110007820472", amount=Money(10_000, "CNY"), fee=Money(60, "CNY"))
    assert split_limit(order, wechat) == Money(2_982, "CNY")
    assert split_limit(attrs.evolve(order, amount=None, fee=None), wechat) is None
    assert split_limit(order, attrs.evolve(wechat, max_split_bp=None)) is None
