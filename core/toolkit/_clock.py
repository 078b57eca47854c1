"""Time as the toolkit sees it: a monotonic clock and a sleep, both injected, and a fake pair for tests.

Everything in the toolkit that waits (the rate limiter, the retries, the sandbox's latency and throttling)
takes ``clock`` (seconds on a monotonic scale) and ``sleep`` (block for that many seconds) instead of calling
:mod:`time` itself, so that a test hands it a :class:`FakeClock` and no test ever waits for real. Deadlines are
instants on that same clock; :func:`deadline_on` turns the aware ``datetime`` a call context carries into one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "FakeClock", "Sleep", "WallClock", "deadline_on"]

#: Seconds on a monotonic scale (``time.monotonic``).
Clock = Callable[[], float]
#: Block the calling thread for this many seconds (``time.sleep``).
Sleep = Callable[[float], None]
#: The current aware UTC time (``datetime.now(UTC)``); only for HTTP dates and ``datetime`` deadlines.
WallClock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def deadline_on(
    deadline: float | datetime | None, clock: Clock = time.monotonic, wall: WallClock = _utc_now
) -> float | None:
    """``deadline`` as an instant of ``clock``: a float is one already; an aware ``datetime`` is converted
    through the time left until it on ``wall``."""
    if deadline is None or isinstance(deadline, int | float):
        return deadline
    if deadline.tzinfo is None:
        raise ValueError("a deadline datetime must be timezone-aware")
    return clock() + (deadline - wall()).total_seconds()


class FakeClock:
    """A clock that moves only when something sleeps on it or a test advances it; safe across threads.

    ``clock.monotonic`` and ``clock.sleep`` are the pair the toolkit takes; ``clock.now`` is the wall time that
    moves with them (starting at ``start``). ``slept`` records every sleep, in order, so a test can assert how long
    the code under test chose to wait.
    """

    def __init__(self, start: datetime = datetime(2026, 11, 1, tzinfo=UTC), monotonic_start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._start = start
        self._monotonic_start = monotonic_start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic_start + self._offset

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._offset)

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep {seconds} seconds")
        with self._lock:
            self.slept.append(seconds)
            self._offset += seconds

    def advance(self, seconds: float) -> None:
        """Move time on without recording a sleep (time that passed while the code under test did nothing)."""
        with self._lock:
            self._offset += seconds

    def __repr__(self) -> str:
        return f"FakeClock(at {self.monotonic():.3f}, {len(self.slept)} sleeps)"
