"""The budget planner: which creators to book within a budget, fees included, for the most unique target reach.

Each candidate has a price, a platform, a follower count (its tier, :func:`tier_of`) and a predicted reach per
target segment (people, optionally with an interval). What the brand pays for a candidate is the price with the
configured commission policy's brand-side service fee and per-project fee on top (through
:func:`creatorkit.ledger.split`, so the fee rounds as it will on the real deal); a creator-side commission is
deducted from the creator and costs the brand nothing more. Audiences overlap: with aggregates only, the net
reach of a segment of N people is N·(1 − Π(1 − rᵢ)) for the creators' reach fractions rᵢ (random duplication,
the Sainsbury formula). ``independence_bp`` below 10,000 mixes in complete nesting (N·max rᵢ, each smaller
audience inside the largest) for audiences known to be correlated; a one-creator plan is never discounted.

Up to 20 affordable candidates every subset is scored (:mod:`._plan_search`, NumPy); above that an exact branch
and bound runs, which returns its best plan unproven (``exact`` false) after ``node_limit`` nodes. The
comparison plans are the same search restricted to one tier group; the risk of a plan is its concentration, the
share of its unique reach lost if its most important creator drops out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from ..entities import BudgetPlan, CreatorTier, MediaPlan, PlannedCreator, PlanStrategy
from ..errors import Problem, ValidationError
from ..money import Money

if TYPE_CHECKING:
    from ..ledger import FeePolicy
    from ._plan_search import Search

__all__ = ["PlanCandidate", "SegmentReach", "TargetSegment", "plan_budget", "tier_of"]

#: Lower bounds of the Later × Fohr follower tiers (market reference §6), largest first.
TIER_FLOORS = (
    (1_000_000, CreatorTier.MEGA),
    (500_000, CreatorTier.MACRO),
    (100_000, CreatorTier.MID),
    (10_000, CreatorTier.MICRO),
    (0, CreatorTier.NANO),
)
#: The tiers each comparison plan may use.
STRATEGY_TIERS = {
    PlanStrategy.ONE_TOP: frozenset({CreatorTier.MACRO, CreatorTier.MEGA}),
    PlanStrategy.SEVERAL_MID: frozenset({CreatorTier.MID}),
    PlanStrategy.MANY_MICRO: frozenset({CreatorTier.MICRO, CreatorTier.NANO}),
}
_STRATEGY_WORDS = {
    PlanStrategy.ONE_TOP: "macro or mega (500K+ followers)",
    PlanStrategy.SEVERAL_MID: "mid-tier (100K-500K followers)",
    PlanStrategy.MANY_MICRO: "micro or nano (under 100K followers)",
}
#: Branch-and-bound nodes searched before the best plan found so far is returned unproven.
NODE_LIMIT = 20_000


def tier_of(followers: int) -> CreatorTier:
    """The follower tier of an account with ``followers`` (Later × Fohr: nano < 10K … mega ≥ 1M)."""
    return next(tier for floor, tier in TIER_FLOORS if followers >= floor)


@attrs.frozen(kw_only=True)
class TargetSegment:
    """A target group of the brief, e.g. women 18-24 in Japan, and how many people it has (its ``population``)."""

    key: str
    population: int


@attrs.frozen(kw_only=True)
class SegmentReach:
    """A candidate's predicted reach in one segment (people), and its prediction interval where known."""

    segment: str
    people: int
    low: int | None = None
    high: int | None = None


@attrs.frozen(kw_only=True)
class PlanCandidate:
    """A creator account the brand could book: its price (what the creator asks) and predicted reach."""

    creator_id: str
    platform: str
    followers: int
    price: Money
    reach: tuple[SegmentReach, ...]

    @property
    def tier(self) -> CreatorTier:
        return tier_of(self.followers)


def plan_budget(
    candidates: Sequence[PlanCandidate],
    segments: Sequence[TargetSegment],
    budget: Money,
    *,
    fees: FeePolicy | None = None,
    brand_id: str = "",
    independence_bp: int = 10_000,
    per_creator_max: Money | None = None,
    node_limit: int = NODE_LIMIT,
) -> BudgetPlan:
    """The plan with the most unique target reach whose cost to the brand (price and ``fees``) fits ``budget``,
    and the best plan of each kind a brand compares it with: one top creator, several mid-tier, many micro.

    Refuses (:class:`ValidationError`, naming the candidate and field) no candidates or segments, a price in
    another currency than the budget, reach for a segment the plan does not target or above its population.
    A budget below every cost is a result with empty plans that say so, not an error. ``per_creator_max`` (the
    brief's cap per creator, fees included) leaves out the candidates that cost more, with a warning naming them.
    """
    _check(candidates, segments, budget, independence_bp)
    if per_creator_max is not None and per_creator_max.currency != budget.currency:
        raise ValidationError(
            [Problem("per_creator_max", f"is in {per_creator_max.currency}, the budget in {budget.currency}")], "plan"
        )
    costs = [_brand_cost(candidate, fees, brand_id).amount for candidate in candidates]
    fractions = [_fractions(candidate, segments, "people") for candidate in candidates]
    cap = budget.amount if per_creator_max is None else min(budget.amount, per_creator_max.amount)
    context = _Context(candidates, segments, budget, cap, costs, independence_bp / 10_000, fractions, node_limit)
    warnings = _warnings(candidates, segments, budget, costs)
    over = [c.creator_id for c, cost in zip(candidates, costs, strict=True) if budget.amount >= cost > cap]
    if over and per_creator_max is not None:
        warnings += (f"over the {per_creator_max} per-creator cap with fees, left out: {', '.join(over)}",)
    return BudgetPlan(
        budget=budget,
        plan=context.plan(PlanStrategy.BEST, range(len(candidates))),
        alternatives=tuple(context.restricted(strategy) for strategy in STRATEGY_TIERS),
        segments=tuple(s.key for s in segments),
        independence_bp=independence_bp,
        warnings=warnings,
    )


@attrs.frozen
class _Context:
    """One planning question, asked of every strategy."""

    candidates: Sequence[PlanCandidate]
    segments: Sequence[TargetSegment]
    budget: Money
    cap: int  # the most one creator may cost: the budget, or the brief's per-creator cap when lower
    costs: Sequence[int]
    independence: float
    fractions: Sequence[Sequence[float]]
    node_limit: int

    def restricted(self, strategy: PlanStrategy) -> MediaPlan:
        tiers = STRATEGY_TIERS[strategy]
        items = [i for i, candidate in enumerate(self.candidates) if candidate.tier in tiers]
        if not items:
            return self._empty(strategy, f"no {_STRATEGY_WORDS[strategy]} candidate")
        return self.plan(strategy, items)

    def plan(self, strategy: PlanStrategy, items: Sequence[int]) -> MediaPlan:
        affordable = [i for i in items if self.costs[i] <= self.cap]
        if not affordable:
            cheapest = min(items, key=lambda i: self.costs[i])
            what = "candidate" if strategy is PlanStrategy.BEST else f"{_STRATEGY_WORDS[strategy]} candidate"
            cost = Money(self.costs[cheapest], self.budget.currency)
            limit = f"the budget {self.budget}"
            if self.cap < self.budget.amount:
                limit += f" ({Money(self.cap, self.budget.currency)} per creator)"
            return self._empty(strategy, f"no {what} fits {limit}: the cheapest costs {cost}")
        search = self._search(self.fractions)
        if strategy is PlanStrategy.ONE_TOP:
            search.best_single(affordable)
        else:
            search.run(affordable, self.node_limit)
        return self._media_plan(strategy, search.best, search.best_value, search.exact)

    def _search(self, fractions: Sequence[Sequence[float]]) -> Search:
        from ._plan_search import Search  # NumPy, loaded with the first plan rather than with the CLI

        populations = [segment.population for segment in self.segments]
        return Search(populations, self.independence, self.costs, fractions, self.budget.amount)

    def _empty(self, strategy: PlanStrategy, reason: str) -> MediaPlan:
        return MediaPlan(strategy=strategy, cost=Money.zero(self.budget.currency), unique_reach=0, reason=reason)

    def _media_plan(self, strategy: PlanStrategy, chosen: Sequence[int], value: float, exact: bool) -> MediaPlan:
        if not chosen:
            return self._empty(strategy, "no affordable candidate reaches anyone in the target segments")
        creators = tuple(self._planned(i) for i in chosen)
        picked = [self.candidates[i] for i in chosen]
        low, high = self._interval(picked, "low"), self._interval(picked, "high")
        whole = self._search(self.fractions)
        concentration = None
        if value > 0:
            lost = max(value - whole.value([j for j in chosen if j != i]) for i in chosen)
            concentration = round(10_000 * lost / value)
        return MediaPlan(
            strategy=strategy,
            creators=creators,
            cost=Money(sum(self.costs[i] for i in chosen), self.budget.currency),
            unique_reach=round(value),
            reach_low=low,
            reach_high=high,
            concentration_bp=concentration,
            exact=exact,
        )

    def _planned(self, i: int) -> PlannedCreator:
        candidate = self.candidates[i]
        return PlannedCreator(
            creator_id=candidate.creator_id,
            platform=candidate.platform,
            tier=candidate.tier,
            followers=candidate.followers,
            price=candidate.price,
            cost=Money(self.costs[i], self.budget.currency),
            reach=round(self._search(self.fractions).value([i])),
        )

    def _interval(self, picked: Sequence[PlanCandidate], end: str) -> int | None:
        """The plan's unique reach at one end (``low``, ``high``) of its creators' intervals, when all have one."""
        if not picked or any(getattr(r, end) is None for candidate in picked for r in candidate.reach):
            return None
        ends = [_fractions(candidate, self.segments, end) for candidate in picked]
        return round(self._search(ends).value(range(len(picked))))


def _fractions(candidate: PlanCandidate, segments: Sequence[TargetSegment], field: str) -> list[float]:
    by_segment = {r.segment: getattr(r, field) or 0 for r in candidate.reach}
    return [by_segment.get(segment.key, 0) / segment.population for segment in segments]


def _brand_cost(candidate: PlanCandidate, fees: FeePolicy | None, brand_id: str) -> Money:
    """What the brand pays for ``candidate``: the price, plus a brand-side service fee and the per-project fee."""
    if fees is None:
        return candidate.price
    from ..ledger import FeeContext, split

    context = FeeContext(
        price=candidate.price,
        platform=candidate.platform,
        brand_id=brand_id,
        creator_id=candidate.creator_id,
        deal_id=f"plan:{candidate.creator_id}",
    )
    commission = fees.commission(context)
    cost = split(candidate.price, commission, 0, policy=fees.name).brand_pays
    return cost if commission.per_project_fee is None else cost + commission.per_project_fee


def _warnings(
    candidates: Sequence[PlanCandidate], segments: Sequence[TargetSegment], budget: Money, costs: Sequence[int]
) -> tuple[str, ...]:
    warnings = []
    cheapest = min(range(len(candidates)), key=lambda i: costs[i])
    if costs[cheapest] > budget.amount:
        cost = Money(costs[cheapest], budget.currency)
        warnings.append(
            f"the budget {budget} is below every candidate's cost: the cheapest, "
            f"{candidates[cheapest].creator_id}, costs {cost} with fees"
        )
    for segment in segments:
        without = [c.creator_id for c in candidates if segment.key not in {r.segment for r in c.reach}]
        if without:
            warnings.append(f"segment {segment.key!r}: no reach figure for {', '.join(without)} (counted as 0)")
    return tuple(warnings)


def _check(
    candidates: Sequence[PlanCandidate], segments: Sequence[TargetSegment], budget: Money, independence_bp: int
) -> None:
    problems = []
    if not candidates:
        problems.append(Problem("candidates", "no candidates to plan with"))
    if not segments:
        problems.append(Problem("segments", "no target segments to reach"))
    if not 0 <= independence_bp <= 10_000:
        problems.append(Problem("independence_bp", f"must be from 0 to 10000, got {independence_bp}"))
    if budget.amount < 0:
        problems.append(Problem("budget", f"must not be negative, got {budget}"))
    populations = {}
    for s, segment in enumerate(segments):
        if segment.population <= 0:
            problems.append(Problem(f"segments[{s}].population", f"must be positive, got {segment.population}"))
        elif segment.key in populations:
            problems.append(Problem(f"segments[{s}].key", f"{segment.key!r} is given twice"))
        else:
            populations[segment.key] = segment.population
    seen: set[tuple[str, str]] = set()
    for c, candidate in enumerate(candidates):
        where = f"candidates[{c}]"
        if (candidate.creator_id, candidate.platform) in seen:
            problems.append(Problem(f"{where}.creator_id", f"{candidate.creator_id} on {candidate.platform} twice"))
        seen.add((candidate.creator_id, candidate.platform))
        problems.extend(_candidate_problems(candidate, where, budget, populations))
    if problems:
        raise ValidationError(problems, "plan")


def _candidate_problems(
    candidate: PlanCandidate, where: str, budget: Money, populations: dict[str, int]
) -> list[Problem]:
    problems = []
    if candidate.price.currency != budget.currency:
        problems.append(Problem(f"{where}.price", f"is in {candidate.price.currency}, the budget in {budget.currency}"))
    if candidate.price.amount <= 0:
        problems.append(Problem(f"{where}.price", f"must be positive, got {candidate.price}"))
    if candidate.followers < 0:
        problems.append(Problem(f"{where}.followers", f"must not be negative, got {candidate.followers}"))
    for r, figure in enumerate(candidate.reach):
        at = f"{where}.reach[{r}]"
        population = populations.get(figure.segment)
        if population is None:
            problems.append(Problem(f"{at}.segment", f"{figure.segment!r} is not a target segment"))
            continue
        low = figure.people if figure.low is None else figure.low
        high = figure.people if figure.high is None else figure.high
        if not 0 <= low <= figure.people <= high <= population:
            problems.append(
                Problem(
                    at,
                    f"needs 0 <= low <= people <= high <= the segment's {population} people, got "
                    f"{figure.low}, {figure.people}, {figure.high}",
                )
            )
    return problems
