"""What the budget planner answers: which creators to book within a budget (fees included) for the most unique
target reach, next to the plans a brand weighs against it — one top creator, several mid-tier, many micro."""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import attrs

from ..money import Money, currency_exponent
from ._common import non_negative, platform_name, typed_fields

__all__ = ["BudgetPlan", "CreatorTier", "MediaPlan", "PlanStrategy", "PlannedCreator"]


class CreatorTier(enum.StrEnum):
    """Follower tiers of Later × Fohr: nano < 10K, micro 10K–100K, mid 100K–500K, macro 500K–1M, mega ≥ 1M."""

    NANO = "nano"
    MICRO = "micro"
    MID = "mid"
    MACRO = "macro"
    MEGA = "mega"


class PlanStrategy(enum.StrEnum):
    """How a plan was chosen: the best over every candidate, or the best restricted to one kind of plan."""

    BEST = "best"  # any candidates
    ONE_TOP = "one_top"  # exactly one macro or mega creator
    SEVERAL_MID = "several_mid"  # mid-tier creators only
    MANY_MICRO = "many_micro"  # micro and nano creators only


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlannedCreator:
    """One creator in a plan: the ``price`` asked, the ``cost`` to the brand with the platform's fees, and the
    unique target people the creator reaches alone (``reach``)."""

    creator_id: str
    platform: str = attrs.field(validator=platform_name)
    tier: CreatorTier
    followers: int = attrs.field(validator=non_negative)
    price: Money
    cost: Money
    reach: int = attrs.field(validator=non_negative)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class MediaPlan:
    """A set of creators and what it is expected to buy.

    ``unique_reach`` is the overlap-adjusted number of target people reached, summed over the target segments;
    ``reach_low`` and ``reach_high`` the same over the candidates' prediction intervals, where every creator has
    one. ``concentration_bp`` is the plan's risk: the share of its unique reach lost if its most important
    creator drops out (10,000 for a one-creator plan). ``exact`` says whether the plan is proven the best of its
    kind; ``reason`` why a plan has no creators (nothing of its kind fits the budget).
    """

    strategy: PlanStrategy
    creators: tuple[PlannedCreator, ...] = ()
    cost: Money
    unique_reach: int = attrs.field(validator=non_negative)
    reach_low: int | None = attrs.field(default=None, validator=non_negative)
    reach_high: int | None = attrs.field(default=None, validator=non_negative)
    concentration_bp: int | None = attrs.field(default=None, validator=non_negative)
    exact: bool = True
    reason: str | None = None

    @property
    def cost_per_reached(self) -> Fraction | None:
        """The exact cost per unique target person, in the currency's minor units; None when nobody is reached."""
        return Fraction(self.cost.amount, self.unique_reach) if self.unique_reach else None

    def cost_per_reached_amount(self, extra_places: int = 4) -> Decimal | None:
        """The cost per unique target person in major units, with ``extra_places`` more decimals than the
        currency has (a reached person often costs a fraction of a cent), rounded half to even."""
        exact = self.cost_per_reached
        if exact is None:
            return None
        exponent = currency_exponent(self.cost.currency)
        value = Decimal(exact.numerator) / Decimal(exact.denominator) / (Decimal(10) ** exponent)
        return value.quantize(Decimal(1).scaleb(-(exponent + extra_places)), rounding=ROUND_HALF_EVEN)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class BudgetPlan:
    """The planner's answer for one ``budget``: the best ``plan`` and the ``alternatives`` (one top creator,
    several mid-tier, many micro), each the best of its kind. ``independence_bp`` is how the audiences were
    assumed to overlap (10,000: at random; 0: each smaller audience inside the largest); ``warnings`` state
    what limited the answer (a budget below every price, candidates without a figure for a segment)."""

    budget: Money
    plan: MediaPlan
    alternatives: tuple[MediaPlan, ...] = ()
    segments: tuple[str, ...] = ()
    independence_bp: int = attrs.field(default=10_000, validator=non_negative)
    warnings: tuple[str, ...] = ()
