"""Benchmarks of the TikTok plugin against its sandbox (no latency, the sandbox's fake clock for the limiter):

- ``discovery.pages_per_s``: pages of 20 creators from ``creatorkit_discover_creators``, each a ``DiscoveryPage``
  of normalised candidates (profile, rate card in minor units, figures, canonical audience) built and validated
  as the entities validate themselves, walked through the cursor and started again at the end. What a page costs
  is the plugin's and the toolkit client's: the sandbox answers from creators it encoded once. Goal ≥ 500. The
  walk of 400 pages is made ROUNDS times: the best walk is the figure (load on a shared machine only slows a
  walk) and the median is beside it. What a page costs in machine instructions, which load does not move, is
  ``python bench/discovery_instructions.py``: about 2 M of it is HTTP through httpx and the toolkit client
  (the sandbox's answer and the JSON decoding included), the rest building and validating the 20 candidates'
  entities.
- ``metrics_sync.requests_per_post``: requests to TikTok for 2,000 posts in 40 campaigns of 50 videos, read as
  one batch (the campaign report, a page per campaign), against ``metrics_sync.requests_per_post_unbatched``,
  the same posts asked for one at a time (measured on every tenth post).

Run directly to print the results as JSON; ``python bench/run.py tiktok --json`` runs them with the others.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import attrs
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok.sandbox._campaigns import linked_campaign

from creatorkit import entities as ent

__all__ = ["NAMES", "bench_tiktok_discovery", "bench_tiktok_post_metrics"]

NAMES = {
    "bench_tiktok_discovery": ["discovery.pages_per_s"],
    "bench_tiktok_post_metrics": ["metrics_sync.requests_per_post", "metrics_sync.requests_per_post_unbatched"],
}
PAGE_SIZE = 20
PAGES = 400
#: Walks of PAGES pages: the best is the figure (the machine's load only slows one), the median beside it.
ROUNDS = 5
CAMPAIGNS, VIDEOS = 40, 50
SAMPLE_EVERY = 10


def _discovery_walk(plugin: TikTokPlatform, query: ent.DiscoveryQuery) -> tuple[float, int]:
    """PAGES pages through the cursor (the sandbox starts again after its last page): seconds, and candidates."""
    cursor: str | None = None
    candidates = 0
    started = time.perf_counter()
    for _ in range(PAGES):
        page = plugin.creatorkit_discover_creators(attrs.evolve(query, cursor=cursor), None)
        candidates += len(page.candidates)
        cursor = page.next_cursor
    return time.perf_counter() - started, candidates


def bench_tiktok_discovery(rounds: int = ROUNDS) -> dict[str, Any]:
    plugin = TikTokPlatform()
    query = ent.DiscoveryQuery(limit=PAGE_SIZE)
    plugin.creatorkit_discover_creators(query, None)  # the sandbox builds its population once, not timed
    walks = [_discovery_walk(plugin, query) for _ in range(rounds)]
    rates = [PAGES / seconds for seconds, _ in walks]
    best = min(seconds for seconds, _ in walks)
    return {
        "name": "discovery.pages_per_s",
        "value": round(max(rates), 1),
        "unit": "pages/s",
        "goal": ">= 500",
        "median": round(statistics.median(rates), 1),
        "rounds": rounds,
        "creators_per_page": round(walks[0][1] / PAGES, 2),
        "ms_per_page": round(best / PAGES * 1000, 3),
    }


def _posts(plugin: TikTokPlatform) -> list[ent.PublishedPost]:
    assert plugin.sandbox is not None
    population = plugin.sandbox.population
    posts: list[ent.PublishedPost] = []
    accounts = [account for account in population.on("tiktok") if account.post_count >= VIDEOS][:CAMPAIGNS]
    for account in accounts:
        linked = list(population.posts(account, limit=VIDEOS))
        campaign_id = linked_campaign(plugin.sandbox, account.handle, [post.post_id for post in linked])
        owner = ent.PlatformAccount(platform="tiktok", account_id=account.account_id, handle=account.handle)
        posts.extend(
            ent.PublishedPost(
                id=f"post-{post.post_id}",
                deal_id="deal-bench",
                submission_id="submission-bench",
                platform="tiktok",
                platform_post_id=post.post_id,
                url=f"https://www.tiktok.com/@{account.handle}/video/{post.post_id}",
                published_at=post.published_at,
                platform_order_id=f"{campaign_id}:{account.handle}",
                account=owner,
            )
            for post in linked
        )
    return posts


def bench_tiktok_post_metrics() -> list[dict[str, Any]]:
    plugin = TikTokPlatform()
    assert plugin.sandbox is not None
    posts = _posts(plugin)
    stats = plugin.sandbox.stats
    before = stats["requests"]
    batch = plugin.creatorkit_fetch_post_metrics_batch(ent.PostMetricsRequest(posts=tuple(posts)), None)
    batched = stats["requests"] - before
    assert len(batch.metrics) == len(posts), batch.errors
    sample = posts[::SAMPLE_EVERY]  # one post per call costs a report page per post: a tenth of them says enough
    before = stats["requests"]
    for post in sample:
        plugin.creatorkit_fetch_post_metrics_batch(ent.PostMetricsRequest(posts=(post,)), None)
    one_by_one = (stats["requests"] - before) / len(sample)
    facts = {"posts": len(posts), "campaigns": CAMPAIGNS, "requests_batched": batched, "unbatched_sample": len(sample)}
    return [
        {
            "name": "metrics_sync.requests_per_post",
            "value": round(batched / len(posts), 4),
            "unit": "requests/post",
            "goal": "<= 0.05",
            **facts,
        },
        {
            "name": "metrics_sync.requests_per_post_unbatched",
            "value": round(one_by_one, 4),
            "unit": "requests/post",
            "goal": "informational",
            **facts,
        },
    ]


if __name__ == "__main__":
    print(json.dumps([bench_tiktok_discovery(), *bench_tiktok_post_metrics()], indent=2))
