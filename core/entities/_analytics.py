"""What analytics computes: costs per unit (CPM, CPE, CPV, cost per result), KPI attainment, and KPI summaries
per post, creator, platform and campaign — each figure with its denominator, source and time."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import attrs

from ..money import Money, currency_exponent
from ._campaigns import Kpi
from ._common import MetricSource, aware, non_negative, platform_name, positive, typed_fields
from ._metrics import Count, Rate

__all__ = ["CostDenominator", "CostMetric", "CostPer", "KpiAttainment", "KpiScope", "KpiSummary"]


class CostMetric(enum.StrEnum):
    CPM = "cpm"  # cost per thousand views (Instagram: per thousand reached)
    CPE = "cpe"  # cost per engagement
    CPV = "cpv"  # cost per view
    COST_PER_RESULT = "cost_per_result"  # cost per click, conversion, or whatever result the brief counts


class CostDenominator(enum.StrEnum):
    """What a cost is divided by."""

    VIEWS = "views"
    REACH = "reach"
    ENGAGEMENTS = "engagements"
    RESULTS = "results"


def _per(instance: CostPer, attribute: attrs.Attribute[int], value: int) -> None:
    if value not in (1, 1000):
        raise ValueError(f"{attribute.name} must be 1 or 1000, got {value}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CostPer:
    """``cost`` divided by ``units`` of ``denominator``, times ``per`` (1000 for CPM): kept as the two integers it
    comes from, so that nothing is rounded until it is shown (:meth:`amount`)."""

    metric: CostMetric
    cost: Money
    denominator: CostDenominator
    units: int = attrs.field(validator=positive)
    per: int = attrs.field(default=1, validator=_per)
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)

    @property
    def minor_units(self) -> Fraction:
        """The exact cost per ``per`` units, in the currency's minor units."""
        return Fraction(self.cost.amount * self.per, self.units)

    def amount(self, extra_places: int = 2) -> Decimal:
        """The cost per ``per`` units in major units, with ``extra_places`` more decimals than the currency has
        (a CPV of USD 0.0042 needs them), rounded half to even."""
        exponent = currency_exponent(self.cost.currency)
        exact = Decimal(self.minor_units.numerator) / Decimal(self.minor_units.denominator) / (Decimal(10) ** exponent)
        return exact.quantize(Decimal(1).scaleb(-(exponent + extra_places)), rounding=ROUND_HALF_EVEN)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class KpiAttainment:
    """How a brief's KPI target was met: the figure it is judged on (a count, a rate or a cost, by the KPI's
    metric), ``attainment_bp`` (10,000 = exactly on target; for a cost, lower is better, so it is target ÷ actual)
    and ``met``; ``reason`` says why the figure is missing when it is."""

    kpi: Kpi
    count: Count | None = None
    rate: Rate | None = None
    cost: CostPer | None = None
    attainment_bp: int | None = attrs.field(default=None, validator=non_negative)
    met: bool | None = None
    reason: str | None = None


class KpiScope(enum.StrEnum):
    POST = "post"
    CREATOR = "creator"
    PLATFORM = "platform"
    CAMPAIGN = "campaign"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class KpiSummary:
    """The KPIs of one post, or summed over a creator's, a platform's or a campaign's posts.

    Counts are sums over the ``posts`` summarised, and only given when every one of them has the figure (else
    ``missing`` says which figure, and why); rates are recomputed from those sums, never averaged, and there is
    one engagement rate per denominator every post has (views, reach, followers), each labelled.
    ``engagement_counts`` names the interactions ``engagements`` adds up. ``cost`` is what the posts cost
    (their deals' prices); ``as_of`` is the oldest figure's time (everything is at least that fresh).
    """

    scope: KpiScope
    key: str
    posts: int = attrs.field(validator=positive)
    as_of: datetime = attrs.field(validator=aware)
    source: MetricSource
    platform: str | None = attrs.field(default=None, validator=platform_name)
    cost: Money | None = None
    views: Count | None = None
    reach: Count | None = None
    engagements: Count | None = None
    engagement_counts: tuple[str, ...] = ()
    engagement_rates: tuple[Rate, ...] = ()
    completion_rate: Rate | None = None
    six_second_view_rate: Rate | None = None
    results: Count | None = None
    cpm: CostPer | None = None
    cpe: CostPer | None = None
    cpv: CostPer | None = None
    cost_per_result: CostPer | None = None
    follower_change: int | None = None
    follower_growth_rate: Rate | None = None
    attainment: tuple[KpiAttainment, ...] = ()
    missing: tuple[str, ...] = ()

    def engagement_rate(self, denominator: str) -> Rate | None:
        """The engagement rate by ``denominator`` (``views``, ``reach`` or ``followers``), if every post had it."""
        return next((rate for rate in self.engagement_rates if rate.denominator == denominator), None)
