"""Benchmark of matching a brief end to end: ``kit.matching.match`` over two echo sandbox marketplaces.

Each marketplace holds ``CREATORS`` synthetic creators (echo's deterministic roster; no latency). The brief asks
for a follower range, English speakers, at least 40 % women (echo filters it) and at least 25 % aged 18-24 (echo
ignores it, so the core checks it on every candidate), within a price cap; discovery is read in pages of 100, to
the end. 200 creators are registered in the store, half of them with an account on each marketplace, so linking
has people to merge. ``matching.brief_ms`` is the median wall time of 7 matches after a warm one: every page of
both platforms, the local checks, the records, linking, past results (none), scoring every account and ranking
the top 50. ``detail`` gives the candidates the platforms returned and how many were ranked, and
``discovery_ms``, the median of the discovery alone (the sandboxes' own search and the core's local checks).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from creatorkit import Actor, CallContext, Creatorkit, Money
from creatorkit.config import AnalyticsSettings, Config
from creatorkit.entities import (
    AudienceDimension,
    AudienceTarget,
    Budget,
    CreatorProfile,
    CreatorRequirements,
    Deliverable,
    DeliverableType,
    PlatformAccount,
    Product,
    Timeline,
    VerificationStatus,
)
from creatorkit.host import PluginHost
from creatorkit.matching import brief_query
from creatorkit.matching._discovering import discover_pages
from creatorkit.store import open_store
from creatorkit_echo import EchoPlatform

NAMES = {"bench_matching_brief": ["matching.brief_ms"]}
START = datetime(2026, 11, 2, tzinfo=UTC)
CREATORS, REGISTERED, RUNS = 1_000, 200, 7


def _kit() -> tuple[Creatorkit, str]:
    plugins = PluginHost()
    for name in ("echo", "echo2"):
        plugins.register(EchoPlatform(name, size=CREATORS), name=name)
    config = attrs.evolve(Config(), analytics=AnalyticsSettings(page_size=100, discovery_pages=100))
    kit = Creatorkit(store=open_store("sqlite://"), plugins=plugins, config=config, clock=lambda: START)
    system = Actor.system()
    brand = kit.parties.register_brand(system, name="Bench Brand", id="brand_bench")
    kit.parties.set_brand_verification(system, brand.id, VerificationStatus.VERIFIED)
    for i in range(REGISTERED):
        accounts = [PlatformAccount(platform="echo", account_id=f"echo-{i:04d}", handle=f"echo_creator_{i:02d}")]
        if i % 2 == 0:
            accounts.append(PlatformAccount(platform="echo2", account_id=f"echo2-{i + 1:04d}", handle=f"x{i}"))
        kit.parties.register_creator(
            system, CreatorProfile(id=f"creator_{i}", display_name=f"C{i}", accounts=tuple(accounts))
        )
    brief = kit.briefs.create(
        Actor.brand(brand.id),
        name="Bench launch",
        product=Product(name="Serum"),
        budget=Budget(total=Money(10**8, "USD"), per_creator_max=Money(400_000, "USD")),
        timeline=Timeline(publish_from=START + timedelta(days=10), publish_until=START + timedelta(days=60)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO),),
        requirements=CreatorRequirements(languages=("en",), min_followers=10_000, max_followers=2_000_000),
        target_audience=(
            AudienceTarget(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.4),
            AudienceTarget(dimension=AudienceDimension.AGE, keys=("18-24",), min_share=0.25),
        ),
    )
    return kit, brief.id


def _discovery_ms(kit: Creatorkit, brief_id: str, runs: int) -> float:
    """The median of the discovery alone (every page of both sandboxes, the local checks): the platforms' share."""
    brief = kit.briefs.get(Actor.system(), brief_id)
    query, _ = brief_query(brief, kit.config.analytics)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        discover_pages(kit.plugins, query, kit.plugins.platforms(), context_of=lambda _: CallContext(), max_pages=100)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_matching_brief(runs: int = RUNS) -> dict[str, Any]:
    kit, brief_id = _kit()
    brand = Actor.brand("brand_bench")
    result = kit.matching.match(brand, brief_id)  # warm: imports, the plugin's first pages
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = kit.matching.match(brand, brief_id)
        times.append((time.perf_counter() - started) * 1000)
    discovery = _discovery_ms(kit, brief_id, runs)
    kit.close()
    returned = sum(p.returned for p in result.platforms.values())
    return {
        "name": "matching.brief_ms",
        "value": round(statistics.median(times), 1),
        "unit": "ms",
        "goal": "reported",
        "detail": {
            "platforms": len(result.platforms),
            "creators_per_platform": CREATORS,
            "returned": returned,
            "kept": sum(p.kept for p in result.platforms.values()),
            "considered": result.considered,
            "ranked": len(result.matches),
            "linked": sum(1 for m in result.matches if len(m.platforms) > 1),
            "pages": sum(p.pages for p in result.platforms.values()),
            "runs": runs,
            "min_ms": round(min(times), 1),
            "discovery_ms": round(discovery, 1),
        },
    }
