"""Benchmark of the budget planner: its objective against the exact optimum, found by trying every subset.

50 seeded instances of 20 candidates each (tiers from nano to mega, a price growing with the follower count and
a deal-to-deal spread, reach in 3 target segments that grows more slowly than followers do), a budget of 15 % to
45 % of all prices together; half assume random duplication (``independence_bp`` 10,000), half 9,000. Prices are
the costs (no fee policy: a fee only changes the costs the same search works on). The optimum is found over all
2²⁰ subsets at once with NumPy (cost, log of the missed share and largest share per segment, doubled one
candidate at a time), evaluating the same formula; the planner's chosen set is scored by that formula too, so the
ratio compares sets, not roundings. ``planner.max_plan_ms`` is the slowest ``plan_budget`` call, which also plans
the three tier-restricted alternatives.

With 20 candidates ``plan_budget`` scores every subset; above 20 affordable ones it runs a branch and bound
instead. ``planner.bnb_optimality_ratio`` and ``planner.bnb_max_plan_ms`` measure that search on the same
instances (the best plan only, with the planner's node limit), so the fallback's quality is measured too.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from creatorkit.analytics import PlanCandidate, SegmentReach, TargetSegment, plan_budget
from creatorkit.analytics._plan_search import Search
from creatorkit.analytics._planner import NODE_LIMIT
from creatorkit.money import Money

NAMES = {
    "bench_planner_optimality": [
        "planner.optimality_ratio",
        "planner.max_plan_ms",
        "planner.bnb_optimality_ratio",
        "planner.bnb_max_plan_ms",
    ]
}

INSTANCES, CANDIDATES = 50, 20
SEGMENTS = (
    TargetSegment(key="women_18_24", population=4_000_000),
    TargetSegment(key="women_25_34", population=6_000_000),
    TargetSegment(key="men_18_24", population=3_000_000),
)
CURRENCY = "USD"


def _instance(seed: int) -> tuple[list[PlanCandidate], Money, int]:
    rng = random.Random(seed)
    candidates = []
    for n in range(CANDIDATES):
        followers = int(10 ** rng.uniform(3.5, 6.7))
        price = max(5_000, int(followers * rng.uniform(1.0, 4.0)))  # cents: about 10-40 USD per thousand followers
        reach = tuple(
            SegmentReach(segment=s.key, people=min(s.population, int(followers**0.9 * rng.uniform(0.05, 0.6))))
            for s in SEGMENTS
        )
        candidates.append(
            PlanCandidate(
                creator_id=f"c{n}", platform="echo", followers=followers, price=Money(price, CURRENCY), reach=reach
            )
        )
    total = sum(c.price.amount for c in candidates)
    budget = Money(int(total * rng.uniform(0.15, 0.45)), CURRENCY)
    return candidates, budget, 10_000 if seed % 2 == 0 else 9_000


def _values(candidates: list[PlanCandidate], independence: float) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Cost and objective of every subset; subset ``mask`` has candidate i when bit i is set."""
    costs = np.zeros(1, dtype=np.int64)
    log_missed = np.zeros((len(SEGMENTS), 1))
    largest = np.zeros((len(SEGMENTS), 1))
    for candidate in candidates:
        fractions = np.array([_fraction(candidate, s) for s in SEGMENTS])[:, None]
        costs = np.concatenate([costs, costs + candidate.price.amount])
        log_missed = np.concatenate([log_missed, log_missed + np.log1p(-fractions)], axis=1)
        largest = np.concatenate([largest, np.maximum(largest, fractions)], axis=1)
    populations = np.array([s.population for s in SEGMENTS], dtype=np.float64)[:, None]
    values = (populations * (independence * -np.expm1(log_missed) + (1 - independence) * largest)).sum(axis=0)
    return costs, values


def _fraction(candidate: PlanCandidate, segment: TargetSegment) -> float:
    return next(r.people for r in candidate.reach if r.segment == segment.key) / segment.population


def bench_planner_optimality(instances: int = INSTANCES) -> list[dict[str, Any]]:
    ratios, times, proven = [], [], 0
    bnb_ratios, bnb_times, bnb_proven = [], [], 0
    for seed in range(instances):
        candidates, budget, independence_bp = _instance(seed)
        started = time.perf_counter()
        result = plan_budget(candidates, SEGMENTS, budget, independence_bp=independence_bp)
        times.append((time.perf_counter() - started) * 1000)
        costs, values = _values(candidates, independence_bp / 10_000)
        optimum = float(values[costs <= budget.amount].max())
        chosen = {c.creator_id for c in result.plan.creators}
        mask = sum(1 << i for i, c in enumerate(candidates) if c.creator_id in chosen)
        if int(costs[mask]) > budget.amount:
            raise AssertionError(f"instance {seed}: the plan costs more than the budget")
        ratios.append(float(values[mask]) / optimum)
        proven += result.plan.exact
        search = Search(
            [s.population for s in SEGMENTS],
            independence_bp / 10_000,
            [c.price.amount for c in candidates],
            [[_fraction(c, s) for s in SEGMENTS] for c in candidates],
            budget.amount,
        )
        started = time.perf_counter()
        search.branch_and_bound(range(len(candidates)), NODE_LIMIT)
        bnb_times.append((time.perf_counter() - started) * 1000)
        bnb_mask = sum(1 << i for i in search.best)
        bnb_ratios.append(float(values[bnb_mask]) / optimum)
        bnb_proven += search.exact
    common = {"instances": instances, "candidates": CANDIDATES, "segments": len(SEGMENTS)}
    return [
        {
            "name": "planner.optimality_ratio",
            "value": round(min(ratios), 6),
            "unit": "ratio",
            "median": round(statistics.median(ratios), 6),
            "goal": ">= 0.99 at the minimum",
            "note": f"plan_budget's objective / the exhaustive optimum; {proven} of {instances} plans proven exact",
            **common,
        },
        {
            "name": "planner.max_plan_ms",
            "value": round(max(times), 1),
            "unit": "ms",
            "median": round(statistics.median(times), 1),
            "goal": "<= 200 ms",
            "note": "one plan_budget call: the best plan and the three tier-restricted ones",
            **common,
        },
        {
            "name": "planner.bnb_optimality_ratio",
            "value": round(min(bnb_ratios), 6),
            "unit": "ratio",
            "median": round(statistics.median(bnb_ratios), 6),
            "goal": "reported (>= 0.99)",
            "note": f"the branch and bound used above 20 candidates; {bnb_proven} of {instances} proven exact",
            **common,
        },
        {
            "name": "planner.bnb_max_plan_ms",
            "value": round(max(bnb_times), 1),
            "unit": "ms",
            "median": round(statistics.median(bnb_times), 1),
            "goal": "reported",
            "note": f"the branch and bound alone, best plan only, at most {NODE_LIMIT:,} nodes",
            **common,
        },
    ]
