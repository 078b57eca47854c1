"""Rate budgets per scope, and the limiter that keeps a client inside all of them at once.

A platform publishes its limits as budgets: TikTok's API for Business allows an app 10 calls a second, 600 a
minute and 864,000 a day; Instagram allows 1,000 calls per user per hour; Kuaishou 1,000 per user per day per
API. Each is a :class:`RateBudget`: a ``scope`` (the name the platform's throttling errors and
:class:`~creatorkit.errors.RateLimited` use: ``app``, ``app_user``, ``user_day`` …), a ``limit`` of calls ``per``
so many seconds, and the ``key`` it is counted by (none for an app-wide budget; ``("user",)`` for one budget per
user id). A plugin lists its platform's published numbers as a tuple of budgets and hands it to
:class:`RateLimiter`; every call then goes through :meth:`RateLimiter.acquire`, which waits (on the injected
clock) until every budget that applies allows it, or raises ``RateLimited`` when that would pass the deadline.

What "under budget" means, and how it is kept
---------------------------------------------
A budget guarantees that no span of ``per`` seconds — wherever it starts — holds more than ``limit`` calls,
whether the platform counts in fixed windows (TikTok resets its per-second counter every second) or sliding
ones, and wherever its windows are aligned. The limiter counts calls in :data:`SLOTS` slots per period and
refuses a call while the slots covering the last ``per`` seconds and one slot more already hold ``limit``: the
extra slot (1/100 of the period) is the margin for the platform's clock not being ours and for the time a request
spends on the way. Memory is a hundred counters per budget and key, whatever the limit: a day's budget of
4,320,000 calls costs what a second's of 10 does. The whole budget may be spent at once, as the platform
allows; ``burst`` caps that, adding a token bucket (``burst`` tokens, refilled at ``limit / per``) in front of the
window so that calls are spread out. The steady rate is ``limit`` per ``per`` plus at most two slots.

Why not a library
-----------------
``pyrate-limiter`` (4.x) and ``limits`` (5.x) were tried. pyrate-limiter keeps one timestamp per call in the
window (864,000 objects for a day's budget), leaks old ones on a background thread, and waits with ``time.sleep``
and ``time.monotonic`` it does not let a caller replace, so a test of a per-day budget would take a day.
``limits`` reads ``time.time()`` (a wall clock that can step backwards) inside its storage, runs a timer thread
for expiry, and only says yes or no: the waiting, the deadline and the several budgets at once (all granted or
none spent) would still be ours. What is left to write is a hundred lines, tested with a fake clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..errors import Problem, RateLimited, ValidationError
from ._clock import Clock, Sleep

__all__ = ["DAY", "HOUR", "MINUTE", "SECOND", "SLOTS", "RateBudget", "RateLimiter"]

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
#: Counters per period; one more than the period is kept as the margin (see the module's docstring).
SLOTS = 100
#: Added to every computed wait so that a sleep that ends exactly on a slot boundary lands inside the next slot.
_EPSILON = 1e-6
#: Idle state is swept after this many acquisitions (keyed budgets would otherwise keep every user id ever seen).
_SWEEP_EVERY = 4096


def _key_names(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _check_budget(budget: RateBudget) -> None:
    problems = []
    if not isinstance(budget.scope, str) or not budget.scope:
        problems.append(Problem("scope", "must be a non-empty name (app, app_user, user_day, ...)"))
    if type(budget.limit) is not int or budget.limit < 1:
        problems.append(Problem("limit", f"must be a whole number of calls, at least 1; got {budget.limit!r}"))
    if not isinstance(budget.per, int | float) or not math.isfinite(budget.per) or budget.per <= 0:
        problems.append(Problem("per", f"must be a positive number of seconds; got {budget.per!r}"))
    if budget.burst is not None and (type(budget.burst) is not int or not 1 <= budget.burst <= budget.limit):
        problems.append(Problem("burst", f"must be a whole number from 1 to the limit; got {budget.burst!r}"))
    if not all(isinstance(name, str) and name for name in budget.key):
        problems.append(Problem("key", f"must name the keys the budget is counted by; got {budget.key!r}"))
    if problems:
        raise ValidationError(problems, f"rate budget {budget.scope!r}")


@attrs.frozen
class RateBudget:
    """At most ``limit`` calls in any ``per`` seconds, counted separately for each value of ``key``.

    ``RateBudget("app", 600, MINUTE)`` is one budget for the whole app; ``RateBudget("app_user", 1000, HOUR,
    key="user")`` is one per user id (a call names it: ``acquire(user="17841400")``); a budget whose key a call
    does not name does not apply to that call. ``burst``, when given, is how many calls may go back to back
    before the rest are spread at ``limit / per``: worth setting on a per-second budget that a long sync keeps
    full (a tenth of the limit), never on a daily one (the rest of the day's calls would be spread over the day).
    """

    scope: str
    limit: int
    per: float
    burst: int | None = attrs.field(default=None, kw_only=True)
    key: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_key_names)

    def __attrs_post_init__(self) -> None:
        _check_budget(self)

    def applies(self, keys: Mapping[str, object]) -> bool:
        return all(name in keys for name in self.key)


class _Counter:
    """One budget's state for one key: call counts per slot, and the token bucket when the budget has a burst."""

    __slots__ = ("budget", "refilled_at", "slots", "tokens", "total", "width")

    def __init__(self, budget: RateBudget, now: float) -> None:
        self.budget = budget
        self.width = budget.per / SLOTS
        self.slots: deque[list[int]] = deque()  # [slot number, calls], oldest first
        self.total = 0
        self.tokens = float(budget.burst or 0)
        self.refilled_at = now

    def _forget_before(self, slot: int) -> None:
        while self.slots and self.slots[0][0] < slot:
            self.total -= self.slots.popleft()[1]

    def wait(self, now: float, cost: int) -> float:
        """Seconds until ``cost`` more calls fit (0 when they fit now)."""
        current = math.floor(now / self.width)
        self._forget_before(current - SLOTS - 1)
        wait = 0.0
        excess = self.total + cost - self.budget.limit
        if excess > 0:
            dropped = 0
            for slot, calls in self.slots:
                dropped += calls
                if dropped >= excess:
                    wait = (slot + SLOTS + 2) * self.width - now + _EPSILON
                    break
        if self.budget.burst is not None:
            rate = self.budget.limit / self.budget.per
            self.tokens = min(float(self.budget.burst), self.tokens + (now - self.refilled_at) * rate)
            self.refilled_at = now
            if self.tokens < cost:
                wait = max(wait, (cost - self.tokens) / rate + _EPSILON)
        return wait

    def record(self, now: float, cost: int) -> None:
        current = math.floor(now / self.width)
        if self.slots and self.slots[-1][0] == current:
            self.slots[-1][1] += cost
        else:
            self.slots.append([current, cost])
        self.total += cost
        if self.budget.burst is not None:
            self.tokens -= cost

    def idle(self, now: float) -> bool:
        self._forget_before(math.floor(now / self.width) - SLOTS - 1)
        if self.budget.burst is None:
            return not self.slots
        refill = (now - self.refilled_at) * self.budget.limit / self.budget.per
        return not self.slots and self.tokens + refill >= self.budget.burst


class RateLimiter:
    """Keeps calls to one platform inside every :class:`RateBudget` that applies to them; thread-safe.

    ``clock`` and ``sleep`` are injected (``time.monotonic`` and ``time.sleep`` by default), so a test drives the
    limiter with a :class:`~creatorkit.toolkit.FakeClock` and a day's budget is tested in no time.
    """

    def __init__(
        self,
        budgets: Iterable[RateBudget],
        *,
        platform: str,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.budgets: tuple[RateBudget, ...] = tuple(budgets)
        for budget in self.budgets:
            if not isinstance(budget, RateBudget):
                raise ValidationError([Problem("budgets", f"expected RateBudget, got {type(budget).__name__}")])
        self.platform = platform
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._counters: dict[tuple[int, tuple[str, ...]], _Counter] = {}
        self._holds: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        self._since_sweep = 0

    def __repr__(self) -> str:
        budgets = ", ".join(f"{b.scope} {b.limit}/{b.per:g}s" for b in self.budgets)
        return f"RateLimiter({self.platform!r}: {budgets})"

    def acquire(
        self, keys: Mapping[str, object] | None = None, *, deadline: float | None = None, cost: int = 1, **named: object
    ) -> float:
        """Wait until every budget that applies to a call with ``keys`` allows ``cost`` more calls, and spend them.

        The keys are given as a mapping (``acquire({"user": uid})``), by name (``acquire(user=uid)``), or both.

        Budgets are spent together or not at all, so waiting on one never wastes another. ``deadline`` is an
        instant on the limiter's clock: when the wait would end after it, nothing is spent and
        :class:`~creatorkit.errors.RateLimited` is raised at once, naming the budget's ``scope`` and the ``wait``.
        Returns the seconds spent waiting.
        """
        if type(cost) is not int or cost < 1:
            raise ValidationError([Problem("cost", f"must be a whole number of calls, at least 1; got {cost!r}")])
        values = {name: str(value) for name, value in {**(keys or {}), **named}.items()}
        for budget in self.budgets:
            if budget.applies(values) and cost > budget.limit:
                raise ValidationError([Problem("cost", f"{cost} calls can never fit the {budget.scope} budget")])
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait, scope = self._wait(now, values, cost)
                if wait <= 0:
                    self._record(now, values, cost)
                    return waited
            if deadline is not None and now + wait > deadline:
                raise RateLimited(
                    self.platform,
                    f"the {scope} budget allows the next call in {wait:.3f} s, after the call's deadline",
                    scope=scope,
                    wait=wait,
                    details={"source": "limiter"},
                )
            self._sleep(wait)
            waited += wait

    def hold(self, scope: str, seconds: float, **keys: Any) -> None:
        """Make every call whose keys include ``keys`` wait ``seconds`` from now: the platform said it throttled
        ``scope`` (a wait it stated, or one its rules imply), so no call sharing that budget should try before."""
        values = frozenset((name, str(value)) for name, value in keys.items())
        with self._lock:
            until = self._clock() + seconds
            self._holds[(scope, values)] = max(until, self._holds.get((scope, values), until))

    def _wait(self, now: float, keys: Mapping[str, str], cost: int) -> tuple[float, str]:
        longest, scope = 0.0, ""
        for (held_scope, held_keys), until in list(self._holds.items()):
            if until <= now:
                del self._holds[(held_scope, held_keys)]
            elif held_keys.issubset(keys.items()) and until - now > longest:
                longest, scope = until - now, held_scope
        for index, budget in enumerate(self.budgets):
            if budget.applies(keys):
                wait = self._counter(index, budget, keys, now).wait(now, cost)
                if wait > longest:
                    longest, scope = wait, budget.scope
        return longest, scope

    def _record(self, now: float, keys: Mapping[str, str], cost: int) -> None:
        for index, budget in enumerate(self.budgets):
            if budget.applies(keys):
                self._counter(index, budget, keys, now).record(now, cost)
        self._since_sweep += 1
        if self._since_sweep >= _SWEEP_EVERY:
            self._since_sweep = 0
            for name, counter in list(self._counters.items()):
                if counter.idle(now):
                    del self._counters[name]

    def _counter(self, index: int, budget: RateBudget, keys: Mapping[str, str], now: float) -> _Counter:
        name = (index, tuple(keys[k] for k in budget.key))
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = _Counter(budget, now)
        return counter

    def budgets_for(self, keys: Mapping[str, object] | Sequence[str] = ()) -> tuple[RateBudget, ...]:
        """The budgets a call naming ``keys`` is counted against."""
        names = dict.fromkeys(keys) if not isinstance(keys, Mapping) else keys
        return tuple(b for b in self.budgets if b.applies(names))
