"""The budget planner: optima known by hand, fees on the brand's side, the tier comparison, bad input, and the
exact searches (every subset, and branch and bound) against a brute force over small seeded instances."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from creatorkit_payments.fees import FlatCommission

from creatorkit.analytics import PlanCandidate, SegmentReach, TargetSegment, plan_budget, tier_of
from creatorkit.analytics._plan_search import Search
from creatorkit.entities import BudgetPlan, CreatorTier, MediaPlan, PlanStrategy
from creatorkit.errors import ValidationError
from creatorkit.money import Money

SEGMENT = TargetSegment(key="women_18_24", population=1_000)


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def candidate(creator_id: str, followers: int, price: int, *people: int, currency: str = "USD") -> PlanCandidate:
    keys = ("women_18_24", "women_25_34")
    reach = tuple(SegmentReach(segment=key, people=n) for key, n in zip(keys, people, strict=False))
    return PlanCandidate(
        creator_id=creator_id, platform="echo", followers=followers, price=Money(price, currency), reach=reach
    )


# A mega creator reaching half the segment, or two mid-tier creators reaching 30 % each for the same money.
MEGA = candidate("mega", 2_000_000, 1_000, 500)
MID_A = candidate("mid_a", 200_000, 500, 300)
MID_B = candidate("mid_b", 300_000, 500, 300)


def ids(plan: object) -> list[str]:
    return [c.creator_id for c in plan.creators]  # type: ignore[attr-defined]


def by_strategy(result: BudgetPlan) -> dict[PlanStrategy, MediaPlan]:
    return {plan.strategy: plan for plan in result.alternatives}


def test_two_mid_tier_creators_beat_one_mega_when_their_audiences_overlap_at_random() -> None:
    result = plan_budget([MEGA, MID_A, MID_B], [SEGMENT], usd(1_000))
    # 1000 × (1 − 0.7 × 0.7) = 510 unique people, against the mega creator's 500.
    assert ids(result.plan) == ["mid_a", "mid_b"]
    assert result.plan.unique_reach == 510
    assert result.plan.cost == usd(1_000)
    assert result.plan.cost_per_reached == Fraction(1_000, 510)
    assert result.plan.cost_per_reached_amount() == Decimal("0.019608")
    # Without either mid-tier creator the plan keeps 300 of its 510: 210 / 510 rests on one creator.
    assert result.plan.concentration_bp == 4_118
    assert result.plan.exact


def test_the_comparison_shows_each_kind_of_plan_with_its_numbers() -> None:
    micro = candidate("micro", 40_000, 100, 60)
    result = plan_budget([MEGA, MID_A, MID_B, micro], [SEGMENT], usd(1_000))
    plans = by_strategy(result)
    assert list(plans) == [PlanStrategy.ONE_TOP, PlanStrategy.SEVERAL_MID, PlanStrategy.MANY_MICRO]
    top, mid, many = plans[PlanStrategy.ONE_TOP], plans[PlanStrategy.SEVERAL_MID], plans[PlanStrategy.MANY_MICRO]
    assert (ids(top), top.unique_reach, top.cost, top.concentration_bp) == (["mega"], 500, usd(1_000), 10_000)
    assert (ids(mid), mid.unique_reach) == (["mid_a", "mid_b"], 510)
    assert (ids(many), many.unique_reach, many.cost) == (["micro"], 60, usd(100))
    assert many.cost_per_reached == Fraction(100, 60)
    assert [mid.cost_per_reached_amount(), top.cost_per_reached_amount()] == [Decimal("0.019608"), Decimal("0.02")]


def test_the_best_plan_is_the_optimum_worked_out_by_hand() -> None:
    # Budget 1,000: mid_a + mid_b = 510; mid_a + micro = 1000 × (1 − 0.7 × 0.94) = 342; mega alone = 500.
    micro = candidate("micro", 40_000, 100, 60)
    result = plan_budget([MEGA, MID_A, MID_B, micro], [SEGMENT], usd(1_000))
    assert ids(result.plan) == ["mid_a", "mid_b"]
    assert result.plan.unique_reach == 510
    # With 100 more, the micro creator joins: 1000 × (1 − 0.49 × 0.94) = 539.4.
    richer = plan_budget([MEGA, MID_A, MID_B, micro], [SEGMENT], usd(1_100))
    assert ids(richer.plan) == ["mid_a", "mid_b", "micro"]
    assert richer.plan.unique_reach == 539


def test_heavily_overlapping_audiences_make_the_one_top_creator_the_answer() -> None:
    result = plan_budget([MEGA, MID_A, MID_B], [SEGMENT], usd(1_000), independence_bp=0)
    # Each smaller audience inside the largest: the two mid-tier creators reach 300 together, the mega one 500.
    assert ids(result.plan) == ["mega"]
    assert by_strategy(result)[PlanStrategy.SEVERAL_MID].unique_reach == 300


def test_reach_adds_up_over_segments() -> None:
    second = TargetSegment(key="women_25_34", population=2_000)
    a = candidate("a", 50_000, 100, 100, 200)
    b = candidate("b", 60_000, 100, 100, 0)
    result = plan_budget([a, b], [SEGMENT, second], usd(200))
    # Segment 1: 1000 × (1 − 0.9 × 0.9) = 190; segment 2: 200.
    assert result.plan.unique_reach == 390
    assert [c.reach for c in result.plan.creators] == [300, 100]


def test_the_brand_pays_the_service_fee_and_the_per_project_fee_on_top() -> None:
    fees = FlatCommission(name="flat", settings={"rate_bp": 1_000, "side": "brand", "per_project_fee": {"USD": 50}})
    result = plan_budget([MEGA, MID_A, MID_B], [SEGMENT], usd(1_200), fees=fees, brand_id="brand_lumen")
    # Each mid-tier creator costs 500 + 50 (10 %) + 50 = 600: both fit in 1,200; the mega one costs 1,150.
    assert ids(result.plan) == ["mid_a", "mid_b"]
    assert [c.cost for c in result.plan.creators] == [usd(600), usd(600)]
    assert [c.price for c in result.plan.creators] == [usd(500), usd(500)]
    assert result.plan.cost == usd(1_200)
    tight = plan_budget([MEGA, MID_A, MID_B], [SEGMENT], usd(1_100), fees=fees)
    # One mid-tier creator (either: they tie) fits; the mega one (1,150) does not.
    assert (len(tight.plan.creators), tight.plan.unique_reach, tight.plan.cost) == (1, 300, usd(600))


def test_a_creator_side_commission_costs_the_brand_nothing_more() -> None:
    fees = FlatCommission(name="flat", settings={"rate_bp": 2_000})
    result = plan_budget([MID_A, MID_B], [SEGMENT], usd(1_000), fees=fees)
    assert result.plan.cost == usd(1_000)


def test_a_budget_below_every_cost_is_a_stated_result() -> None:
    result = plan_budget([MEGA, MID_A], [SEGMENT], usd(499))
    assert result.plan.creators == ()
    assert result.plan.unique_reach == 0 and result.plan.cost_per_reached is None
    assert result.plan.reason == "no candidate fits the budget 4.99 USD: the cheapest costs 5.00 USD"
    assert result.warnings[0].startswith("the budget 4.99 USD is below every candidate's cost")
    plans = by_strategy(result)
    assert plans[PlanStrategy.MANY_MICRO].reason == "no micro or nano (under 100K followers) candidate"
    assert "mid-tier" in (plans[PlanStrategy.SEVERAL_MID].reason or "")


def test_the_briefs_per_creator_cap_leaves_out_dearer_creators() -> None:
    result = plan_budget([MEGA, MID_A, MID_B], [SEGMENT], usd(1_000), per_creator_max=usd(600))
    assert ids(result.plan) == ["mid_a", "mid_b"]
    assert result.warnings == ("over the 6.00 USD per-creator cap with fees, left out: mega",)
    top = by_strategy(result)[PlanStrategy.ONE_TOP]
    assert top.reason == (
        "no macro or mega (500K+ followers) candidate fits the budget 10.00 USD (6.00 USD per creator): "
        "the cheapest costs 10.00 USD"
    )
    with pytest.raises(ValidationError):
        plan_budget([MID_A], [SEGMENT], usd(1_000), per_creator_max=Money(600, "EUR"))


def test_candidates_that_reach_nobody_give_an_empty_plan_that_says_so() -> None:
    result = plan_budget([candidate("nobody", 50_000, 100, 0)], [SEGMENT], usd(1_000))
    assert result.plan.creators == ()
    assert result.plan.reason == "no affordable candidate reaches anyone in the target segments"


def test_intervals_give_the_plans_low_and_high_reach() -> None:
    a = PlanCandidate(
        creator_id="a",
        platform="echo",
        followers=50_000,
        price=usd(100),
        reach=(SegmentReach(segment="women_18_24", people=200, low=100, high=300),),
    )
    b = PlanCandidate(
        creator_id="b",
        platform="echo",
        followers=50_000,
        price=usd(100),
        reach=(SegmentReach(segment="women_18_24", people=200, low=100, high=500),),
    )
    result = plan_budget([a, b], [SEGMENT], usd(200))
    assert result.plan.unique_reach == 360  # 1000 × (1 − 0.8²)
    assert result.plan.reach_low == 190  # 1000 × (1 − 0.9²)
    assert result.plan.reach_high == 650  # 1000 × (1 − 0.7 × 0.5)
    assert plan_budget([MID_A, MID_B], [SEGMENT], usd(1_000)).plan.reach_low is None


def test_a_segment_without_a_figure_counts_zero_and_says_so() -> None:
    second = TargetSegment(key="women_25_34", population=2_000)
    result = plan_budget([MID_A], [SEGMENT, second], usd(500))
    assert result.plan.unique_reach == 300
    assert result.warnings == ("segment 'women_25_34': no reach figure for mid_a (counted as 0)",)


def test_a_price_in_another_currency_than_the_budget_is_refused_by_name() -> None:
    euro = candidate("euro", 50_000, 100, 10, currency="EUR")
    with pytest.raises(ValidationError) as raised:
        plan_budget([MID_A, euro], [SEGMENT], usd(1_000))
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("candidates[1].price", "is in EUR, the budget in USD")
    ]


def test_no_candidates_no_segments_and_impossible_reach_are_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        plan_budget([], [], usd(1_000))
    assert [p.path for p in raised.value.problems] == ["candidates", "segments"]
    too_many = candidate("x", 50_000, 100, 1_001)
    elsewhere = PlanCandidate(
        creator_id="y", platform="echo", followers=1, price=usd(1), reach=(SegmentReach(segment="men", people=1),)
    )
    with pytest.raises(ValidationError) as raised:
        plan_budget([too_many, elsewhere], [SEGMENT], usd(1_000))
    assert [p.path for p in raised.value.problems] == ["candidates[0].reach[0]", "candidates[1].reach[0].segment"]


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, "nano"),
        (9_999, "nano"),
        (10_000, "micro"),
        (99_999, "micro"),
        (100_000, "mid"),
        (499_999, "mid"),
        (500_000, "macro"),
        (999_999, "macro"),
        (1_000_000, "mega"),
    ],
)
def test_tiers_follow_the_later_fohr_table(followers: int, tier: str) -> None:
    assert tier_of(followers) is CreatorTier(tier)


def _brute_force(search: Search, items: list[int]) -> float:
    best = 0.0
    for size in range(1, len(items) + 1):
        for subset in itertools.combinations(items, size):
            if sum(search.costs[i] for i in subset) <= search.budget:
                best = max(best, search.value(subset))
    return best


def _random_search(seed: int, count: int) -> Search:
    rng = random.Random(seed)
    costs = [rng.randint(1, 100) for _ in range(count)]
    fractions = [[rng.uniform(0.0, 0.5) for _ in range(3)] for _ in range(count)]
    independence = rng.choice([1.0, 0.9, 0.5, 0.0])
    return Search([1_000, 2_000, 500], independence, costs, fractions, budget=rng.randint(50, 300))


@pytest.mark.parametrize("seed", range(20))
def test_both_searches_find_the_brute_force_optimum(seed: int) -> None:
    items = list(range(10))
    expected = _brute_force(_random_search(seed, 10), items)
    enumerated = _random_search(seed, 10)
    enumerated.enumerate(items)
    branched = _random_search(seed, 10)
    branched.branch_and_bound(items, node_limit=100_000)
    assert branched.exact
    assert enumerated.best_value == pytest.approx(expected, rel=1e-9)
    assert branched.best_value == pytest.approx(expected, rel=1e-9)
    assert sum(enumerated.costs[i] for i in enumerated.best) <= enumerated.budget
    assert sum(branched.costs[i] for i in branched.best) <= branched.budget
