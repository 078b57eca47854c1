"""Money as an integer amount of a currency's minor unit.

``Money(1999, "USD")`` is $19.99; ``Money(1999, "JPY")`` is ¥1,999; ``Money(1999, "KWD")`` is 1.999 KWD.
Amounts are never floats. The exponent of each currency comes from the ISO 4217 table shipped by the
``iso4217`` package, loaded on first use so that importing creatorkit stays fast.

Splitting a sum (fees, agency cut, milestones) goes through :func:`allocate`, a largest-remainder
allocator: the parts always add up to the whole, to the last minor unit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import attrs

from .errors import Problem, ValidationError

__all__ = ["Money", "allocate", "currencies", "currency_exponent", "is_currency"]


@functools.cache
def _exponents() -> dict[str, int]:
    import iso4217

    table: dict[str, int] = {}
    for currency in iso4217.Currency:
        exponent = currency.exponent
        # Funds and metals (XAU, XDR, ...) have no minor unit in ISO 4217; they cannot be paid out.
        if exponent is not None:
            table[currency.code] = exponent
    return table


def currencies() -> dict[str, int]:
    """Every ISO 4217 currency with a minor unit, and its exponent: ``{"USD": 2, "JPY": 0, "KWD": 3, ...}``."""
    return dict(_exponents())


def is_currency(code: str) -> bool:
    """True for an ISO 4217 code that has a minor unit (USD, JPY, KWD; not XAU)."""
    return code in _exponents()


def currency_exponent(code: str) -> int:
    """Digits after the decimal point in ``code``'s minor unit: USD 2, JPY 0, KWD 3."""
    try:
        return _exponents()[code]
    except KeyError:
        raise ValidationError([Problem("currency", f"{code!r} is not an ISO 4217 currency code")]) from None


def _check_amount(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int:
        raise ValidationError(
            [Problem("amount", f"must be an integer number of minor units, got {type(value).__name__}")],
            "money",
        )


def _check_currency(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not is_currency(value):
        raise ValidationError([Problem("currency", f"{value!r} is not an ISO 4217 currency code")], "money")


@attrs.frozen(order=False)
class Money:
    """An amount in minor units of an ISO 4217 currency."""

    amount: int = attrs.field(validator=_check_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def of(cls, major: str | int | Decimal, currency: str) -> Money:
        """Build from a decimal string in major units: ``Money.of("19.99", "USD")``.

        Refuses amounts with more digits than the currency has (``"1.5"`` JPY), rather than rounding, and floats
        (``19.99`` is not exactly 19.99 in binary: write the string).
        """
        exponent = currency_exponent(currency)
        if isinstance(major, float | bool):
            raise ValidationError([Problem("amount", "write the amount as a string or Decimal, not a float")], "money")
        try:
            value = major if isinstance(major, Decimal) else Decimal(str(major))
        except InvalidOperation:
            raise ValidationError([Problem("amount", f"{major!r} is not a decimal number")], "money") from None
        if not value.is_finite():
            raise ValidationError([Problem("amount", f"{major!r} is not a finite amount")], "money")
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                [Problem("amount", f"{major} has more than {exponent} decimal places for {currency}")],
                "money",
            )
        return cls(int(scaled), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly (for display, never for arithmetic)."""
        return Decimal(self.amount).scaleb(-self.exponent)

    def __str__(self) -> str:
        return f"{self.to_decimal():.{self.exponent}f} {self.currency}"

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValidationError(
                [Problem("currency", f"cannot combine {self.currency} with {other.currency}")], "money"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to integer ``weights``; see :func:`allocate`."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` minor units in proportion to non-negative integer ``weights``.

    Largest-remainder method: each part gets the floor of its exact share, then the units left over go,
    one each, to the parts with the largest remainders (ties to the earlier part). The parts sum to
    ``total`` exactly. Weights are integers (e.g. basis points) so that no float enters the split.
    """
    if not weights:
        raise ValidationError([Problem("weights", "at least one weight is needed")], "allocation")
    if any(type(w) is not int or w < 0 for w in weights):
        raise ValidationError([Problem("weights", "weights must be non-negative integers")], "allocation")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValidationError([Problem("weights", "weights must not all be zero")], "allocation")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    parts = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    left = magnitude - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return [sign * p for p in parts]
