"""Benchmarks of the TikTok plugin against its sandbox (no latency, the sandbox's fake clock for the limiter):

- ``discovery.pages_per_s``: pages of 20 creators from ``creatorkit_discover_creators``, each a ``DiscoveryPage``
  of normalised candidates (profile, rate card in minor units, figures, canonical audience) built and validated
  as the entities validate themselves, walked through the cursor and started again at the end. What a page costs
  is the plugin's and the toolkit client's: the sandbox answers from creators it encoded once. Goal ≥ 500;
  measured 60–90 on a 2-CPU machine (December 2026), and profiled: a page is about 3 ms of HTTP through the
  toolkit client (the answer's JSON is decoded twice, once to map errors and once by ``_base._get``) and about
  9 ms building 20 candidates, over half of it the audience splits, where the core's ``AudienceBreakdown``
  validation re-parses every age key (``age_range``, ``AgeRange.buckets``: memoising them gained ~15 %).
- ``metrics_sync.requests_per_post``: requests to TikTok for 2,000 posts in 40 campaigns of 50 videos, read as
  one batch (the campaign report, a page per campaign), against ``metrics_sync.requests_per_post_unbatched``,
  the same posts asked for one at a time (measured on every tenth post).

Run directly to print the results as JSON; ``python bench/run.py tiktok --json`` runs them with the others.
"""

from __future__ import annotations

import json
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
CAMPAIGNS, VIDEOS = 40, 50
SAMPLE_EVERY = 10


def bench_tiktok_discovery() -> dict[str, Any]:
    plugin = TikTokPlatform()
    query = ent.DiscoveryQuery(limit=PAGE_SIZE)
    plugin.creatorkit_discover_creators(query, None)  # the sandbox builds its population once, not timed
    cursor: str | None = None
    candidates = 0
    started = time.perf_counter()
    for _ in range(PAGES):
        page = plugin.creatorkit_discover_creators(attrs.evolve(query, cursor=cursor), None)
        candidates += len(page.candidates)
        cursor = page.next_cursor
    elapsed = time.perf_counter() - started
    return {
        "name": "discovery.pages_per_s",
        "value": round(PAGES / elapsed, 1),
        "unit": "pages/s",
        "goal": ">= 500",
        "creators_per_page": round(candidates / PAGES, 2),
        "ms_per_page": round(elapsed / PAGES * 1000, 3),
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
