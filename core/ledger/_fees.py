"""Commission policies and the split of a deal's money: platform fee + agency cut + creator net = gross, exactly.

A **fee policy** is a plugin in the ``creatorkit.fees`` entry-point group, chosen by ``[money.fees] policy``
and built from the rest of that table (the built-in ones: :mod:`creatorkit_payments.fees`). For one deal it
says a :class:`Commission`: a rate in basis points of the gross, taken from the creator (deducted) or charged
to the brand on top (a service fee), and a per-project fee the brand pays once per deal. An annual fee, where
the policy has one, is billed per brand and year (``kit.payments.bill_annual_fee``).

:func:`split` turns a milestone's gross, a commission and the agency's cut (from the creator's roster entry)
into a :class:`~creatorkit.entities.FeeBreakdown` through :func:`creatorkit.money.allocate`, the project's one
largest-remainder allocator, so the parts add up to the gross to the minor unit in every currency, whatever
its exponent (JPY/KRW none, USD/CNY two, KWD/BHD three).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from importlib import metadata as importlib_metadata
from typing import Any, Protocol, runtime_checkable

import attrs

from ..entities import FeeBreakdown
from ..entities._common import FieldValueError
from ..errors import ConfigError, Problem
from ..money import Money

__all__ = ["FEE_POLICY_GROUP", "Commission", "FeeContext", "FeePolicy", "FeeSide", "load_fee_policy", "split"]

#: The entry-point group fee policies are registered in.
FEE_POLICY_GROUP = "creatorkit.fees"


class FeeSide(enum.StrEnum):
    """Who pays the platform's commission: deducted from the creator's gross, or charged to the brand on top."""

    CREATOR = "creator"
    BRAND = "brand"


@attrs.frozen(kw_only=True)
class FeeContext:
    """What a policy may price a deal by: its size (the whole price), platform and parties."""

    price: Money
    platform: str
    brand_id: str
    creator_id: str
    deal_id: str


def _bp(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or not 0 <= value <= 10_000:
        raise FieldValueError(attribute.name, f"must be between 0 and 10000 basis points, got {value!r}")


@attrs.frozen(kw_only=True)
class Commission:
    """What a policy charges on one deal: ``rate_bp`` of each milestone's gross, on ``side``, and a fee per deal."""

    rate_bp: int = attrs.field(validator=_bp)
    side: FeeSide = FeeSide.CREATOR
    per_project_fee: Money | None = None


@runtime_checkable
class FeePolicy(Protocol):
    """**Protocol** of a fee policy plugin: built from its settings, asked once per deal."""

    name: str

    def commission(self, context: FeeContext) -> Commission:
        """The commission on the deal ``context`` describes; :class:`ConfigError` if the settings cannot price it."""
        ...

    def annual_fee(self, currency: str) -> Money | None:
        """What a brand pays per year in ``currency``, or None when the policy has no annual fee."""
        ...


def split(gross: Money, commission: Commission, agency_cut_bp: int, *, policy: str | None = None) -> FeeBreakdown:
    """The exact split of ``gross`` under ``commission`` and the agency's ``agency_cut_bp`` (of the gross).

    A creator-side commission and the agency's cut are taken from the gross in one largest-remainder
    allocation (platform fee, agency cut, creator net); a brand-side commission is a service fee on top, the
    allocation of the gross between it and the rest, so its rounding follows the same rule.
    """
    if not 0 <= agency_cut_bp <= 10_000:
        raise FieldValueError("agency_cut_bp", f"must be between 0 and 10000 basis points, got {agency_cut_bp}")
    creator_side = commission.rate_bp if commission.side is FeeSide.CREATOR else 0
    if creator_side + agency_cut_bp > 10_000:
        raise FieldValueError(
            "agency_cut_bp",
            f"{agency_cut_bp} bp with a {creator_side} bp commission is more than the whole gross",
        )
    rest = 10_000 - creator_side - agency_cut_bp
    platform_fee, agency_cut, creator_net = gross.allocate([creator_side, agency_cut_bp, rest])
    service_fee = None
    if commission.side is FeeSide.BRAND and commission.rate_bp:
        service_fee = gross.allocate([commission.rate_bp, 10_000 - commission.rate_bp])[0]
    return FeeBreakdown(
        gross=gross,
        platform_fee=platform_fee,
        agency_cut=agency_cut,
        creator_net=creator_net,
        platform_fee_bp=creator_side,
        agency_cut_bp=agency_cut_bp,
        service_fee=service_fee,
        fee_policy=policy,
    )


def load_fee_policy(name: str, settings: Mapping[str, Any]) -> FeePolicy:
    """The policy registered as ``name`` in ``creatorkit.fees``, built from ``settings`` (``[money.fees]``)."""
    found = list(importlib_metadata.entry_points(group=FEE_POLICY_GROUP, name=name))
    if not found:
        known = sorted({ep.name for ep in importlib_metadata.entry_points(group=FEE_POLICY_GROUP)})
        listed = ", ".join(known) or "none are installed"
        raise ConfigError([Problem("money.fees.policy", f"no fee policy named {name!r} (installed: {listed})")])
    factory = found[0].load()
    policy = factory(name=name, settings=settings)
    if not isinstance(policy, FeePolicy):
        raise ConfigError([Problem("money.fees.policy", f"{name!r} does not build a FeePolicy")])
    return policy
