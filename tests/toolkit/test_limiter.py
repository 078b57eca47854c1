"""The rate limiter keeps every budget that applies, on a fake clock, across threads, and says when it cannot."""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left
from typing import Any

import pytest

from creatorkit import RateLimited, ValidationError
from creatorkit.toolkit import DAY, HOUR, MINUTE, SECOND, FakeClock, RateBudget, RateLimiter


def limiter(*budgets: RateBudget, clock: FakeClock) -> RateLimiter:
    return RateLimiter(budgets, platform="tiktok", clock=clock.monotonic, sleep=clock.sleep)


def most_in_any_span(times: list[float], span: float) -> int:
    """The largest number of ``times`` inside any half-open window of ``span`` seconds."""
    ordered = sorted(times)
    return max(bisect_left(ordered, t + span) - i for i, t in enumerate(ordered))


def test_no_span_of_the_period_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 10, SECOND), clock=clock)
    granted = []
    for _ in range(200):
        rate.acquire()
        granted.append(clock.monotonic())
    assert most_in_any_span(granted, 1.0) == 10
    # and it is not slower than it must be: 200 calls at 10 a second, the first ten at once
    assert granted[-1] - granted[0] < 19 * 1.03


def test_the_whole_budget_may_be_spent_at_once_then_the_limiter_waits() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 5, SECOND), clock=clock)
    for _ in range(5):
        assert rate.acquire() == 0.0
    assert clock.slept == []
    waited = rate.acquire()
    assert 1.0 < waited <= 1.03 and clock.slept == [waited]


def test_several_budgets_are_kept_at_once() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 10, SECOND), RateBudget("app", 30, MINUTE), clock=clock)
    granted = []
    for _ in range(90):
        rate.acquire()
        granted.append(clock.monotonic())
    assert most_in_any_span(granted, 1.0) <= 10
    assert most_in_any_span(granted, 60.0) <= 30


def test_a_burst_spreads_the_calls() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 100, MINUTE, burst=5), clock=clock)
    granted = []
    for _ in range(20):
        rate.acquire()
        granted.append(clock.monotonic())
    assert most_in_any_span(granted, 0.5) == 5  # five back to back, then one every 0.6 s
    gaps = [b - a for a, b in itertools.pairwise(granted[5:])]
    assert gaps == pytest.approx([0.6] * len(gaps), abs=0.005)


def test_keyed_budgets_count_each_user_apart_and_skip_calls_without_the_key() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app_user", 2, HOUR, key="user"), clock=clock)
    for user in ("a", "b"):
        rate.acquire(user=user)
        rate.acquire(user=user)
    assert clock.slept == []
    rate.acquire()  # an app-level call: no user, the per-user budget does not apply
    assert clock.slept == []
    with pytest.raises(RateLimited) as raised:
        rate.acquire(user="a", deadline=clock.monotonic() + 60)
    assert raised.value.scope == "app_user" and raised.value.wait is not None
    assert 3599 < raised.value.wait <= 3600 * 1.02


def test_a_daily_budget_is_cheap_and_exact_on_a_fake_clock() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("user_day", 1000, DAY, key=("user", "endpoint")), clock=clock)
    for _ in range(1000):
        rate.acquire(user="u", endpoint="photo/list")
    assert clock.slept == []
    rate.acquire(user="u", endpoint="photo/count")  # another API: its own budget
    assert clock.slept == []
    rate.acquire(user="u", endpoint="photo/list")
    assert DAY < sum(clock.slept) <= DAY * 1.02


def test_the_deadline_refuses_at_once_and_spends_nothing() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 1, SECOND), clock=clock)
    rate.acquire()
    with pytest.raises(RateLimited) as raised:
        rate.acquire(deadline=clock.monotonic() + 0.5)
    assert clock.slept == []
    assert raised.value.scope == "app" and (raised.value.wait or 0) > 0.5
    assert raised.value.platform == "tiktok" and raised.value.details["source"] == "limiter"
    clock.advance(1.1)
    assert rate.acquire(deadline=clock.monotonic() + 0.5) == 0.0


def test_a_hold_makes_every_call_sharing_the_keys_wait() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 100, SECOND), clock=clock)
    rate.hold("app", 300.0)  # TikTok: after a per-minute throttle, wait five minutes
    waited = rate.acquire()
    assert waited == pytest.approx(300.0)
    rate.hold("app_user", 10.0, user="a")
    assert rate.acquire(user="b") == 0.0
    assert rate.acquire(user="a") == pytest.approx(10.0)


def test_threads_share_the_budget() -> None:
    clock = FakeClock()
    rate = limiter(RateBudget("app", 20, SECOND), clock=clock)
    granted: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            rate.acquire()
            with lock:
                granted.append(clock.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 100
    # the fake clock moves for every sleeping thread, so windows only ever hold fewer calls than in real time
    assert most_in_any_span(granted, 1.0) <= 20


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("", 10, SECOND), "scope"),
        (("app", 0, SECOND), "limit"),
        (("app", 10, 0), "per"),
        (("app", 10, SECOND, 11), "burst"),
    ],
)
def test_a_bad_budget_names_what_is_wrong(arguments: tuple[Any, ...], field: str) -> None:
    scope, limit, per, *burst = arguments
    with pytest.raises(ValidationError) as raised:
        RateBudget(scope, limit, per, burst=burst[0] if burst else None)
    assert field in raised.value.paths


def test_a_cost_larger_than_a_budget_is_refused() -> None:
    rate = limiter(RateBudget("app", 3, SECOND), clock=FakeClock())
    with pytest.raises(ValidationError):
        rate.acquire(cost=4)
