"""The planner's exact searches: the subset of candidates with the most net reach whose cost fits a budget.

The objective, per segment of N people and the chosen creators' reach fractions rᵢ, is
N·(c·(1 − Π(1 − rᵢ)) + (1 − c)·max rᵢ), c the independence (1: random duplication).

Up to :data:`ENUMERATE_UP_TO` candidates, :meth:`Search.enumerate` scores every subset: each half's subsets that
fit the budget are tabled and every pair is scored in one NumPy array.

Above that, :meth:`Search.branch_and_bound`. The objective is monotone and submodular, so the search is exact
when each node's bound is a true upper bound on what the remaining candidates can still add. Two are computed and
the smaller is used:

- the fractional knapsack over the candidates' marginal gains at the node (no set adds more than the sum of its
  members' gains, by submodularity);
- for the random-duplication part, the tangent bound: with wᵢ = −ln(1 − rᵢ), a segment adds N·q·(1 − e^(−W))
  for W = Σ wᵢ of the added set and q the share still missed; that is concave in W, so it lies under its tangent
  at any point a, which is linear in the set — a fractional knapsack again, tighter than the gains once the added
  creators would overlap each other (on the benchmark's hardest instance it halved the nodes). It is taken at
  a = 0 and at the W that first fill reaches. The nesting part is bounded by the largest rᵢ any affordable
  candidate has.

It starts from the better of the best single creator and greedy by gain per cost, improved by bringing one
creator in and dropping the least useful until the plan fits, and stops after ``node_limit`` nodes, then saying
the plan is not proven.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["Search"]

_EPSILON = 1e-9
#: Up to this many affordable candidates, every subset is scored (2^20 pairs of halves: a few tens of ms).
ENUMERATE_UP_TO = 20

_Ints = npt.NDArray[np.int64]
_Floats = npt.NDArray[np.float64]
#: Reach fractions are capped just under 1 so that −ln(1 − r) stays finite.
_ALMOST_ALL = 1.0 - 1e-12


class Search:
    """One search: ``costs[i]`` and ``fractions[i][s]`` of each candidate, ``populations[s]``, ``independence``."""

    tangent_rounds = 2

    def __init__(
        self,
        populations: Sequence[int],
        independence: float,
        costs: Sequence[int],
        fractions: Sequence[Sequence[float]],
        budget: int,
    ) -> None:
        self.populations = [float(p) for p in populations]
        self.independence = independence
        self.costs, self.budget = costs, budget
        self.fractions = [[min(r, _ALMOST_ALL) for r in row] for row in fractions]
        self.weights = [[-math.log1p(-r) for r in row] for row in self.fractions]
        self.best: list[int] = []
        self.best_value = 0.0
        self.nodes = 0
        self.exact = True

    # --- the objective ---------------------------------------------------------------------------------------

    def value(self, chosen: Sequence[int]) -> float:
        missed, largest = self._state(chosen)
        c = self.independence
        return sum(
            n * (c * (1.0 - q) + (1.0 - c) * m) for n, q, m in zip(self.populations, missed, largest, strict=True)
        )

    def _state(self, chosen: Sequence[int]) -> tuple[list[float], list[float]]:
        segments = len(self.populations)
        missed, largest = [1.0] * segments, [0.0] * segments
        for i in chosen:
            row = self.fractions[i]
            for s in range(segments):
                missed[s] *= 1.0 - row[s]
                largest[s] = max(largest[s], row[s])
        return missed, largest

    def gain(self, i: int, missed: Sequence[float], largest: Sequence[float]) -> float:
        """What candidate i adds to a set whose segments are ``missed`` (Π(1 − r)) and ``largest`` (max r)."""
        c, total = self.independence, 0.0
        for n, q, m, r in zip(self.populations, missed, largest, self.fractions[i], strict=True):
            total += n * (c * q * r + (1.0 - c) * max(0.0, r - m))
        return total

    # --- the search ------------------------------------------------------------------------------------------

    def run(self, items: Sequence[int], node_limit: int) -> None:
        """Find the best subset of ``items`` within the budget (``best``), proven unless ``exact`` is false."""
        affordable = [i for i in items if self.costs[i] <= self.budget]
        if len(affordable) <= ENUMERATE_UP_TO:
            self.enumerate(affordable)
            return
        self.branch_and_bound(affordable, node_limit)

    def branch_and_bound(self, affordable: Sequence[int], node_limit: int) -> None:
        """The search for many candidates: a strong start, then branch and bound (see the module's docstring)."""
        affordable = [i for i in affordable if self.costs[i] <= self.budget]
        self.best_single(affordable)
        self._offer(self._improved(self._greedy([], affordable), affordable))
        missed, largest = self._state([])
        self._branch(affordable, [], 0, 0.0, missed, largest, node_limit)

    def enumerate(self, items: Sequence[int]) -> None:
        """Every subset of ``items`` at once, meeting in the middle: each half's subsets are tabled (cost, missed
        share and largest share per segment, doubled one creator at a time) and every pair is scored as one NumPy
        array, 2^(n/2) × 2^(n/2). Exact; ties go to the cheaper plan."""
        first, second = items[: len(items) // 2], items[len(items) // 2 :]
        masks_a, cost_a, missed_a, largest_a = self._table(first)
        masks_b, cost_b, missed_b, largest_b = self._table(second)
        costs = np.add.outer(cost_a, cost_b)
        c = self.independence
        # What the pair misses, weighted: Σ N·(c·qa·qb − (1 − c)·max(ma, mb)); the best pair misses least. (Outer
        # products rather than a matrix product: BLAS threads cost more than they save on an inner size of 3.)
        missed, part = np.zeros(costs.shape), np.empty(costs.shape)
        for s, population in enumerate(self.populations):
            np.multiply.outer(missed_a[s] * (c * population), missed_b[s], out=part)
            missed += part
            if c < 1.0:
                np.maximum.outer(largest_a[s], largest_b[s], out=part)
                part *= (1.0 - c) * population
                missed -= part
        np.putmask(missed, costs > self.budget, np.inf)
        least = float(missed.min())
        ties = np.flatnonzero(missed <= least + _EPSILON * max(1.0, abs(least)))
        row, column = divmod(int(ties[int(costs.ravel()[ties].argmin())]), costs.shape[1])
        a, b = int(masks_a[row]), int(masks_b[column])
        chosen = [i for bit, i in enumerate(first) if a >> bit & 1] + [
            i for bit, i in enumerate(second) if b >> bit & 1
        ]
        self.best, self.best_value = sorted(chosen), self.value(chosen)

    def _table(self, group: Sequence[int]) -> tuple[_Ints, _Ints, _Floats, _Floats]:
        """Every subset of ``group`` that fits the budget alone: its mask (bit k = group[k]), cost, and missed
        share and largest share per segment (one row per segment)."""
        costs = np.zeros(1, dtype=np.int64)
        segments = len(self.populations)
        missed, largest = np.ones((segments, 1)), np.zeros((segments, 1))
        for i in group:
            row = np.array(self.fractions[i])[:, None]
            costs = np.concatenate([costs, costs + self.costs[i]])
            missed = np.concatenate([missed, missed * (1.0 - row)], axis=1)
            largest = np.concatenate([largest, np.maximum(largest, row)], axis=1)
        fits = np.flatnonzero(costs <= self.budget)
        return fits, costs[fits], missed[:, fits], largest[:, fits]

    def best_single(self, items: Sequence[int]) -> None:
        """The best one-creator plan among ``items``."""
        for i in items:
            if self.costs[i] <= self.budget:
                self._offer([i])

    def _greedy(self, chosen: list[int], items: Sequence[int]) -> list[int]:
        spent = sum(self.costs[i] for i in chosen)
        while True:
            missed, largest = self._state(chosen)
            options = [
                (self.gain(i, missed, largest) / self.costs[i], i)
                for i in items
                if i not in chosen and spent + self.costs[i] <= self.budget
            ]
            ratio, pick = max(options, default=(0.0, -1))
            if ratio <= _EPSILON:
                return chosen
            chosen.append(pick)
            spent += self.costs[pick]

    def _improved(self, chosen: list[int], items: Sequence[int]) -> list[int]:
        """``chosen`` after the best of these moves, while one adds reach: bring in an unchosen creator, drop the
        creators that give least reach per cost until the plan fits, and fill the rest greedily. (Greedy alone
        fills a budget with cheap creators and leaves no room for the one larger creator the optimum has.)"""
        value = self.value(chosen)
        while True:
            moves = (self._greedy(self._fitted([*chosen, into]), items) for into in items if into not in chosen)
            best = max(moves, key=self.value, default=chosen)
            best_value = self.value(best)
            if best_value <= value + _EPSILON:
                return chosen
            chosen, value = best, best_value

    def _fitted(self, chosen: list[int]) -> list[int]:
        """``chosen`` without the creators that lose least reach per cost, until it fits the budget (the last one
        brought in stays)."""
        spent = self._cost(chosen)
        while spent > self.budget:
            whole = self.value(chosen)
            losses = [((whole - self.value([j for j in chosen if j != i])) / self.costs[i], i) for i in chosen[:-1]]
            _, out = min(losses)
            chosen = [i for i in chosen if i != out]
            spent -= self.costs[out]
        return chosen

    def _offer(self, chosen: Sequence[int]) -> None:
        value = self.value(chosen)
        better = value > self.best_value + _EPSILON
        if better or (value >= self.best_value - _EPSILON and self._cost(chosen) < self._cost(self.best)):
            self.best, self.best_value = sorted(chosen), value

    def _cost(self, chosen: Sequence[int]) -> int:
        return sum(self.costs[i] for i in chosen)

    def _branch(
        self,
        remaining: list[int],
        chosen: list[int],
        spent: int,
        value: float,
        missed: list[float],
        largest: list[float],
        node_limit: int,
    ) -> None:
        self.nodes += 1
        if self.nodes > node_limit:
            self.exact = False
            return
        if value > self.best_value + _EPSILON:
            self._offer(chosen)
        room = self.budget - spent
        gains = [(self.gain(i, missed, largest), i) for i in remaining if self.costs[i] <= room]
        gains = [(g, i) for g, i in gains if g > _EPSILON]
        if not gains:
            return
        gains.sort(key=lambda pair: pair[0] / self.costs[pair[1]], reverse=True)
        if value + self._bound(gains, missed, largest, room) <= self.best_value + _EPSILON:
            return
        (gain, pick), rest = gains[0], [i for _, i in gains[1:]]
        row = self.fractions[pick]
        child_missed = [q * (1.0 - r) for q, r in zip(missed, row, strict=True)]
        child_largest = [max(m, r) for m, r in zip(largest, row, strict=True)]
        self._branch(
            rest, [*chosen, pick], spent + self.costs[pick], value + gain, child_missed, child_largest, node_limit
        )
        self._branch(rest, chosen, spent, value, missed, largest, node_limit)

    def _bound(
        self, gains: Sequence[tuple[float, int]], missed: Sequence[float], largest: Sequence[float], room: int
    ) -> float:
        """An upper bound on what the candidates in ``gains`` (sorted by gain per cost) can add within ``room``."""
        by_gains = _fill(gains, self.costs, room)[0]
        c = self.independence
        if c <= 0.0:
            return by_gains
        candidates = [i for _, i in gains]
        segments = range(len(self.populations))
        at = [0.0] * len(self.populations)
        for _ in range(self.tangent_rounds):
            slopes = [self.populations[s] * missed[s] * math.exp(-at[s]) for s in segments]
            linear = [(sum(slopes[s] * self.weights[i][s] for s in segments), i) for i in candidates]
            linear.sort(key=lambda pair: pair[0] / self.costs[pair[1]], reverse=True)
            filled, taken = _fill(linear, self.costs, room)
            offset = sum(
                self.populations[s] * missed[s] * (1.0 - math.exp(-at[s]) - math.exp(-at[s]) * at[s]) for s in segments
            )
            tangent = offset + filled
            nesting = sum(
                self.populations[s] * max(0.0, max(self.fractions[i][s] for i in candidates) - largest[s])
                for s in segments
            )
            by_gains = min(by_gains, c * tangent + (1.0 - c) * nesting)
            at = [sum(share * self.weights[i][s] for i, share in taken) for s in segments]
        return by_gains


def _fill(items: Sequence[tuple[float, int]], costs: Sequence[int], room: int) -> tuple[float, list[tuple[int, float]]]:
    """The fractional knapsack over ``items`` (value, index), sorted by value per cost: its value and what it took."""
    total, left, taken = 0.0, room, []
    for worth, i in items:
        if left <= 0:
            break
        share = min(1.0, left / costs[i])
        total += worth * share
        taken.append((i, share))
        left -= costs[i]
    return total, taken
