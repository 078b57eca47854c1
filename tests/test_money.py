"""Money: integer minor units of an ISO 4217 currency, and the largest-remainder allocator."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorkit import Money, ValidationError, allocate
from creatorkit.money import currency_exponent, is_currency


class TestAmounts:
    @pytest.mark.parametrize("amount", [19.99, 20.0, True, False, Decimal("19.99"), "1999", None])
    def test_only_integers_are_amounts(self, amount: object) -> None:
        with pytest.raises(ValidationError) as caught:
            Money(amount, "USD")  # type: ignore[arg-type]
        assert caught.value.paths == ["amount"]

    def test_integer_amounts_of_any_sign(self) -> None:
        assert Money(1999, "USD").amount == 1999
        assert Money(-5, "USD").amount == -5
        assert Money.zero("JPY") == Money(0, "JPY")

    @pytest.mark.parametrize("currency", ["ABC", "usd", "", "XAU", 840])
    def test_unknown_currency_is_refused(self, currency: object) -> None:
        with pytest.raises(ValidationError) as caught:
            Money(100, currency)  # type: ignore[arg-type]
        assert caught.value.paths == ["currency"]

    @pytest.mark.parametrize(("code", "exponent"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3)])
    def test_exponents_come_from_iso_4217(self, code: str, exponent: int) -> None:
        assert currency_exponent(code) == exponent
        assert Money(1, code).exponent == exponent
        assert is_currency(code)

    def test_exponent_of_unknown_currency_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationError):
            currency_exponent("ZZZ")
        assert not is_currency("ZZZ")


class TestFromMajorUnits:
    @pytest.mark.parametrize(
        ("major", "currency", "minor"),
        [
            ("19.99", "USD", 1999),
            ("1999", "JPY", 1999),
            ("1.999", "KWD", 1999),
            (Decimal("0.5"), "USD", 50),
            (7, "KRW", 7),
        ],
    )
    def test_of_scales_to_minor_units(self, major: str, currency: str, minor: int) -> None:
        assert Money.of(major, currency) == Money(minor, currency)

    @pytest.mark.parametrize(
        ("major", "currency"), [("1.5", "JPY"), ("1.5", "KRW"), ("19.999", "USD"), ("0.0001", "KWD")]
    )
    def test_of_refuses_more_digits_than_the_currency_has(self, major: str, currency: str) -> None:
        with pytest.raises(ValidationError) as caught:
            Money.of(major, currency)
        assert caught.value.paths == ["amount"]

    def test_of_refuses_unknown_currency(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Money.of("1", "ABC")
        assert caught.value.paths == ["currency"]


class TestArithmetic:
    def test_same_currency(self) -> None:
        assert Money(1999, "USD") + Money(1, "USD") == Money(2000, "USD")
        assert Money(1999, "USD") - Money(2000, "USD") == Money(-1, "USD")
        assert -Money(5, "JPY") == Money(-5, "JPY")
        assert Money(1, "USD") < Money(2, "USD") <= Money(2, "USD")
        assert Money(3, "USD") > Money(2, "USD") >= Money(2, "USD")

    @pytest.mark.parametrize(
        "operation",
        [
            lambda a, b: a + b,
            lambda a, b: a - b,
            lambda a, b: a < b,
            lambda a, b: a <= b,
            lambda a, b: a > b,
            lambda a, b: a >= b,
        ],
    )
    def test_mixed_currencies_are_refused(self, operation: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            operation(Money(100, "USD"), Money(100, "EUR"))
        assert caught.value.paths == ["currency"]
        assert "USD" in str(caught.value) and "EUR" in str(caught.value)

    def test_money_is_immutable(self) -> None:
        money = Money(1, "USD")
        with pytest.raises(AttributeError):
            money.amount = 2  # type: ignore[misc]


class TestFormatting:
    @pytest.mark.parametrize(
        ("money", "text"),
        [
            (Money(1999, "USD"), "19.99 USD"),
            (Money(1999, "KWD"), "1.999 KWD"),
            (Money(1999, "JPY"), "1999 JPY"),
            (Money(1999, "KRW"), "1999 KRW"),
            (Money(5, "USD"), "0.05 USD"),
            (Money(-5, "USD"), "-0.05 USD"),
            (Money(0, "KWD"), "0.000 KWD"),
        ],
    )
    def test_str(self, money: Money, text: str) -> None:
        assert str(money) == text

    def test_to_decimal_is_exact(self) -> None:
        assert Money(1999, "KWD").to_decimal() == Decimal("1.999")


class TestAllocate:
    def test_largest_remainder_with_ties_to_the_earlier_part(self) -> None:
        assert allocate(100, [1, 1, 1]) == [34, 33, 33]
        assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
        assert allocate(10, [0, 1]) == [0, 10]

    def test_fee_split_in_basis_points(self) -> None:
        gross = Money(99_999, "KWD")
        parts = gross.allocate([1500, 1000, 7500])
        assert sum(p.amount for p in parts) == gross.amount
        assert all(p.currency == "KWD" for p in parts)

    @pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5, 1], [True, 1]])
    def test_bad_weights_are_refused(self, weights: list[object]) -> None:
        with pytest.raises(ValidationError) as caught:
            allocate(100, weights)  # type: ignore[arg-type]
        assert caught.value.paths == ["weights"]

    @settings(database=None)
    @given(
        total=st.integers(min_value=-(10**15), max_value=10**15),
        weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6).filter(any),
    )
    def test_parts_sum_exactly_and_stay_within_one_unit_of_the_exact_share(
        self, total: int, weights: list[int]
    ) -> None:
        parts = allocate(total, weights)
        assert len(parts) == len(weights)
        assert sum(parts) == total
        weight_sum = sum(weights)
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - Fraction(total * weight, weight_sum)) < 1
        assert allocate(total, weights) == parts


class TestMoneyOfRefusesWhatIsNotExact:
    def test_a_float_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Money.of(19.99, "USD")  # type: ignore[arg-type]
        assert caught.value.paths == ["amount"]

    @pytest.mark.parametrize("text", ["abc", "1,5", "NaN", "Infinity"])
    def test_text_that_is_not_a_finite_decimal_is_refused(self, text: str) -> None:
        with pytest.raises(ValidationError) as caught:
            Money.of(text, "USD")
        assert caught.value.paths == ["amount"]


class TestFeeBreakdown:
    def test_parts_may_not_be_negative_even_when_they_sum(self) -> None:
        from creatorkit.entities import FeeBreakdown

        with pytest.raises(ValueError, match="must not be negative"):
            FeeBreakdown(
                gross=Money(100, "USD"),
                platform_fee=Money(150, "USD"),
                agency_cut=Money(0, "USD"),
                creator_net=Money(-50, "USD"),
                platform_fee_bp=10_000,
                agency_cut_bp=0,
            )

    def test_a_split_from_allocate_is_accepted(self) -> None:
        from creatorkit.entities import FeeBreakdown

        gross = Money(99_999, "KRW")
        fee, cut, net = gross.allocate([1_500, 1_000, 7_500])
        split = FeeBreakdown(
            gross=gross, platform_fee=fee, agency_cut=cut, creator_net=net, platform_fee_bp=1_500, agency_cut_bp=1_000
        )
        assert split.platform_fee + split.agency_cut + split.creator_net == gross
