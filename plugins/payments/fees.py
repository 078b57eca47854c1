"""The built-in commission policies: ``flat``, ``tiered`` (by deal size) and ``per_platform``.

Chosen in ``creatorkit.toml``; every policy also takes ``side`` (``creator``: the commission is deducted from
the creator's gross; ``brand``: it is a service fee charged to the brand on top), ``per_project_fee`` and
``annual_fee`` (tables of currency → minor units, charged to the brand per deal and per year)::

    [money.fees]
    policy = "tiered"
    side = "creator"
    per_project_fee = { USD = 5000, JPY = 5000 }
    tiers = [
        { rate_bp = 2000, up_to = { USD = 500000, JPY = 50000000 } },  # 20 % up to 5,000.00 USD
        { rate_bp = 1000 },                                            # 10 % above
    ]

A tier applies to deals whose price is at most its ``up_to`` in the deal's currency; the last tier has none.
Settings that cannot price a deal (a currency a bounded tier does not list) raise ``ConfigError`` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from creatorkit.errors import ConfigError, Problem
from creatorkit.ledger import Commission, FeeContext, FeeSide
from creatorkit.money import Money, is_currency

__all__ = ["FlatCommission", "PerPlatformCommission", "TieredCommission"]

_COMMON = {"policy", "side", "per_project_fee", "annual_fee"}


def _rate(value: Any, path: str) -> int:
    if type(value) is not int or not 0 <= value <= 10_000:
        raise ConfigError([Problem(path, f"must be an integer number of basis points from 0 to 10000, got {value!r}")])
    return value


def _amounts(value: Any, path: str) -> dict[str, int]:
    """A table of currency → minor units (a fee per currency), checked."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError([Problem(path, "must be a table of currency = amount in minor units")])
    problems = []
    for currency, amount in value.items():
        if not is_currency(currency):
            problems.append(Problem(f"{path}.{currency}", "is not an ISO 4217 currency code"))
        elif type(amount) is not int or amount < 0:
            problems.append(
                Problem(f"{path}.{currency}", f"must be a whole number of minor units >= 0, got {amount!r}")
            )
    if problems:
        raise ConfigError(problems)
    return dict(value)


def _unknown(settings: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(settings) - allowed - _COMMON)
    if extra:
        raise ConfigError([Problem(f"money.fees.{key}", "is not a setting of this policy") for key in extra])


class _Policy:
    """What every built-in policy shares: the side, the per-project and the annual fee."""

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        self.name = name
        side = settings.get("side", "creator")
        if side not in set(FeeSide):
            raise ConfigError([Problem("money.fees.side", f"must be one of creator, brand; got {side!r}")])
        self.side = FeeSide(side)
        self._per_project = _amounts(settings.get("per_project_fee"), "money.fees.per_project_fee")
        self._annual = _amounts(settings.get("annual_fee"), "money.fees.annual_fee")

    def _commission(self, rate_bp: int, currency: str) -> Commission:
        fee = self._per_project.get(currency)
        return Commission(rate_bp=rate_bp, side=self.side, per_project_fee=Money(fee, currency) if fee else None)

    def annual_fee(self, currency: str) -> Money | None:
        fee = self._annual.get(currency)
        return Money(fee, currency) if fee else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, side={self.side.value!r})"


class FlatCommission(_Policy):
    """One rate for every deal: ``rate_bp``."""

    def __init__(self, *, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        _unknown(settings, {"rate_bp"})
        if "rate_bp" not in settings:
            raise ConfigError([Problem("money.fees.rate_bp", "is required by the flat policy")])
        self.rate_bp = _rate(settings["rate_bp"], "money.fees.rate_bp")

    def commission(self, context: FeeContext) -> Commission:
        return self._commission(self.rate_bp, context.price.currency)


class TieredCommission(_Policy):
    """A rate by deal size: the first tier whose ``up_to`` (in the deal's currency) the price does not exceed."""

    def __init__(self, *, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        _unknown(settings, {"tiers"})
        tiers = settings.get("tiers")
        if not isinstance(tiers, Sequence) or isinstance(tiers, str) or not tiers:
            raise ConfigError([Problem("money.fees.tiers", "needs at least one tier")])
        self.tiers: list[tuple[int, dict[str, int] | None]] = []
        for index, tier in enumerate(tiers):
            path = f"money.fees.tiers[{index}]"
            if not isinstance(tier, Mapping):
                raise ConfigError([Problem(path, "must be a table with rate_bp and up_to")])
            extra = sorted(set(tier) - {"rate_bp", "up_to"})
            if extra:
                raise ConfigError([Problem(f"{path}.{key}", "is not a tier setting") for key in extra])
            rate = _rate(tier.get("rate_bp"), f"{path}.rate_bp")
            last = index == len(tiers) - 1
            if "up_to" not in tier and not last:
                raise ConfigError([Problem(f"{path}.up_to", "only the last tier may be unbounded")])
            bound = _amounts(tier["up_to"], f"{path}.up_to") if "up_to" in tier else None
            self.tiers.append((rate, bound))

    def commission(self, context: FeeContext) -> Commission:
        price = context.price
        for index, (rate, bound) in enumerate(self.tiers):
            if bound is None:
                return self._commission(rate, price.currency)
            if price.currency not in bound:
                problem = Problem(f"money.fees.tiers[{index}].up_to.{price.currency}", "is needed to price this deal")
                raise ConfigError([problem])
            if price.amount <= bound[price.currency]:
                return self._commission(rate, price.currency)
        raise ConfigError([Problem("money.fees.tiers", f"no tier takes a deal of {price}: add an unbounded last tier")])


class PerPlatformCommission(_Policy):
    """A rate per social platform (``rates``: platform → bp), ``default_bp`` for the others."""

    def __init__(self, *, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        _unknown(settings, {"rates", "default_bp"})
        rates = settings.get("rates", {})
        if not isinstance(rates, Mapping):
            raise ConfigError([Problem("money.fees.rates", "must be a table of platform = basis points")])
        self.rates = {platform: _rate(bp, f"money.fees.rates.{platform}") for platform, bp in rates.items()}
        default = settings.get("default_bp")
        self.default_bp = None if default is None else _rate(default, "money.fees.default_bp")

    def commission(self, context: FeeContext) -> Commission:
        rate = self.rates.get(context.platform, self.default_bp)
        if rate is None:
            problem = Problem(f"money.fees.rates.{context.platform}", "is needed to price this deal (or default_bp)")
            raise ConfigError([problem])
        return self._commission(rate, context.price.currency)
