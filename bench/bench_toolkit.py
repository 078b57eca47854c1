"""Benchmark ``metrics_sync.rate_utilization``: how much of a platform's rate budget the toolkit's client uses.

2,000 posts are fetched one per request from a sandbox endpoint (``GET /v1/posts/{post_id}``, the population's
figures for that post) that admits 200 requests in any second of real time — the sandbox's throttle switch, which
answers 429 with ``Retry-After`` beyond that — through a client built by ``build_client`` whose limiter holds the
same budget, ``RateBudget("app", 200, SECOND, burst=20)``: 200 in any second, at most a tenth of a second's worth
back to back. (Without ``burst`` the client spends each second's budget in one rush, and on a loaded machine a
stall in the rush is time the window never gives back: 0.94–0.97 here against 0.97–0.98 with it.)
Reported: achieved ÷ allowed, the requests per second the client
completed over 200 (goal ≥ 0.95), and ``metrics_sync.throttled_errors``, the ``RateLimited`` errors that reached
the caller (goal 0); with them, how often the sandbox itself throttled (retries hide those from the caller, but
each costs a second) and the figure for a cold start.

A fresh budget lets its first calls go at once (the burst, and without one the whole first second), which
flatters a short run; so 200 calls are made first (not counted) and the timed 2,000 run with the budget in steady
state. The cold figure times all 2,200 from the first call. The figure moves with the machine's load: the client
must be running whenever the budget allows a call, and time it spends descheduled beyond the burst is lost.
Run directly to print the result as JSON.
"""

from __future__ import annotations

import json
import time
from typing import Any

from creatorkit import RateLimited
from creatorkit.toolkit import (
    PLAIN_ENVELOPE,
    PLAIN_ERRORS,
    SECOND,
    ApiConfig,
    Fault,
    Population,
    RateBudget,
    RateLimiter,
    SandboxError,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
    StaticToken,
    build_client,
)

__all__ = ["NAMES", "bench_metrics_sync"]

NAMES = {"bench_metrics_sync": ["metrics_sync.rate_utilization", "metrics_sync.throttled_errors"]}
POSTS = 2_000
WARM_UP = 200
ALLOWED_PER_SECOND = 200


def _post_ids(population: Population, count: int) -> list[str]:
    ids: list[str] = []
    for account in population.on("tiktok"):
        ids.extend(post.post_id for post in population.posts(account, limit=20))
        if len(ids) >= count:
            return ids[:count]
    raise AssertionError("the population has too few posts")


def _sandbox(population: Population) -> SandboxTransport:
    sandbox = SandboxTransport(platform="bench", seed=1, tokens=SandboxTokens(seed=1), prefix="/v1")

    def one_post(request: SandboxRequest) -> dict[str, Any]:
        post = population.post(request.path_params["post_id"])
        if post is None:
            raise SandboxError(Fault.NOT_FOUND)
        final = post.final
        return {"id": post.post_id, "views": final.views, "likes": final.likes, "comments": final.comments}

    sandbox.route("GET", "/posts/{post_id}", one_post)
    sandbox.throttle(ALLOWED_PER_SECOND, per=1.0)
    return sandbox


def bench_metrics_sync() -> list[dict[str, Any]]:
    population = Population(seed=2026, size=20_000)
    ids = _post_ids(population, WARM_UP + POSTS)
    sandbox = _sandbox(population)
    assert sandbox.tokens is not None
    config = ApiConfig(
        platform="bench", base_url="https://api.bench.test/v1/", envelope=PLAIN_ENVELOPE, errors=PLAIN_ERRORS
    )
    budget = RateBudget("app", ALLOWED_PER_SECOND, SECOND, burst=ALLOWED_PER_SECOND // 10)
    limiter = RateLimiter([budget], platform="bench")
    client = build_client(
        config, tokens=StaticToken(sandbox.tokens.issue("brand").access_token), limiter=limiter, transport=sandbox
    )
    errors = 0
    cold_start = time.perf_counter()
    for post_id in ids[:WARM_UP]:
        client.get(f"posts/{post_id}")
    started = time.perf_counter()
    for post_id in ids[WARM_UP:]:
        try:
            client.get(f"posts/{post_id}")
        except RateLimited:
            errors += 1
    finished = time.perf_counter()
    achieved = POSTS / (finished - started)
    cold = (WARM_UP + POSTS) / (finished - cold_start)
    facts = {"sandbox_throttled": sandbox.stats["throttled"], "sandbox_served": sandbox.stats["served"]}
    return [
        {
            "name": "metrics_sync.rate_utilization",
            "value": round(achieved / ALLOWED_PER_SECOND, 4),
            "unit": "ratio",
            "goal": ">= 0.95",
            "achieved_per_s": round(achieved, 1),
            "allowed_per_s": ALLOWED_PER_SECOND,
            "seconds_timed": round(finished - started, 3),
            "cold_ratio": round(cold / ALLOWED_PER_SECOND, 4),
            **facts,
        },
        {"name": "metrics_sync.throttled_errors", "value": errors, "unit": "errors", "goal": "0", **facts},
    ]


if __name__ == "__main__":
    print(json.dumps(bench_metrics_sync(), indent=2))
