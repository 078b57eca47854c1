"""Retrying a platform call: exponential backoff with full jitter, the platform's stated wait, and hard caps.

Built on tenacity (9.x): its ``Retrying`` takes the sleep to use, and the stop, wait and retry rules as plain
callables, so the rules below run on the toolkit's injected clock and a test sees every wait without waiting.
stamina, the other maintained choice, is tenacity with fixed opinions: its jitter is added to the backoff instead
of drawn over it (full jitter spreads many clients' retries best), and its sleep can only be replaced globally
(``stamina.set_testing``), not per client.

The rules:

- only :class:`~creatorkit.errors.Transient` and :class:`~creatorkit.errors.RateLimited` are retried, never a
  ``RateLimited`` from the client's own limiter (it already waited as long as the deadline allowed);
- a request that is not idempotent (POST, PATCH) is retried only when the caller says it may be (it carries an
  idempotency key, or only reads); otherwise only when the failure is known to have happened before anything
  was sent (no connection could be made), since the platform may have acted on it;
- the wait before attempt *n + 1* is drawn uniformly from ``[0, min(maximum, initial · 2^(n-1))]`` ("full
  jitter"), and is never shorter than a wait the platform stated (``Retry-After``, ``RateLimited.wait``);
- at most ``attempts`` attempts, and no wait that would end after ``total`` seconds from the first attempt or
  after the call's deadline: then the last error is raised as it was, with its stated wait for the caller.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import attrs
import tenacity

from ..errors import PlatformError, Problem, RateLimited, Transient, ValidationError
from ._clock import Clock, Sleep

__all__ = ["IDEMPOTENT_METHODS", "RetryPolicy", "call_with_retries", "parse_retry_after", "retryable"]

T = TypeVar("T")
log = logging.getLogger("creatorkit.toolkit")

#: Methods that may be sent twice with the effect of once (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def _positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int | float) or value < 0 or (attribute.name == "attempts" and value < 1):
        raise ValidationError([Problem(attribute.name, f"must be a positive number; got {value!r}")], "retry policy")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all (the first included), backoff from ``initial`` seconds doubling up to
    ``maximum``, and never more than ``total`` seconds on one call. ``RetryPolicy(attempts=1)`` never retries."""

    attempts: int = attrs.field(default=4, validator=_positive)
    initial: float = attrs.field(default=0.5, validator=_positive)
    maximum: float = attrs.field(default=30.0, validator=_positive)
    total: float = attrs.field(default=60.0, validator=_positive)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The jittered wait after failed attempt number ``attempt`` (1 for the first)."""
        return rng.uniform(0.0, min(self.maximum, self.initial * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); None when
    absent or unreadable, never negative."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def stated_wait(error: BaseException) -> float | None:
    """The wait the platform stated for ``error``, if it stated one."""
    if isinstance(error, RateLimited):
        return error.wait
    if isinstance(error, PlatformError):
        wait = error.details.get("retry_after")
        return float(wait) if isinstance(wait, int | float) else None
    return None


def retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be answered by sending the request again (see the module's docstring)."""
    if not isinstance(error, Transient | RateLimited):
        return False
    if error.details.get("source") == "limiter":
        return False
    return idempotent or error.details.get("sent") is False


def call_with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    rng: random.Random | None = None,
    deadline: float | None = None,
    describe: str = "call",
) -> T:
    """Run ``attempt`` until it returns, retrying as ``policy`` and the module's rules allow.

    The first attempt is made directly: nearly every call succeeds at once, and tenacity's machinery (a
    ``Retrying`` with its thread-local statistics, per call) is built only once an attempt has failed. Its first
    attempt then raises the error already caught, so every rule sees the attempts as if it had made them all.
    """
    started = clock()
    limit = started + policy.total if deadline is None else min(deadline, started + policy.total)
    try:
        return attempt()
    except BaseException as error:
        if not retryable(error, idempotent=idempotent) or policy.attempts < 2:
            raise
        first = error
    return _retrying(policy, idempotent, clock, sleep, rng, limit, describe)(_replaying(first, attempt))


def _replaying(first: BaseException, attempt: Callable[[], T]) -> Callable[[], T]:
    """``attempt``, except that its first call raises ``first``: the failure the fast path already had."""
    pending: list[BaseException] = [first]

    def replay() -> T:
        if pending:
            raise pending.pop()
        return attempt()

    return replay


def _retrying(
    policy: RetryPolicy,
    idempotent: bool,
    clock: Clock,
    sleep: Sleep,
    rng: random.Random | None,
    limit: float,
    describe: str,
) -> tenacity.Retrying:
    """The ``Retrying`` of the module's rules, for attempts that must end by ``limit`` (a ``clock`` instant)."""
    draw = rng or random.Random()

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = policy.backoff(state.attempt_number, draw)
        stated = stated_wait(error) if error else None
        return backoff if stated is None else max(stated, backoff)

    def stop(state: tenacity.RetryCallState) -> bool:
        return state.attempt_number >= policy.attempts or clock() + state.upcoming_sleep > limit

    def should_retry(state: tenacity.RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        return error is not None and retryable(error, idempotent=idempotent)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.info(
            "retrying %s in %.3f s (attempt %d failed: %s)",
            describe,
            state.upcoming_sleep,
            state.attempt_number,
            type(error).__name__,
        )

    return tenacity.Retrying(
        sleep=sleep, stop=stop, wait=wait, retry=should_retry, before_sleep=before_sleep, reraise=True
    )
