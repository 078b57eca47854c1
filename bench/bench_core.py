"""Benchmarks for the core foundation: facade dispatch overhead, discovery fan-out, import time."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import timeit
from datetime import UTC, datetime

from creatorkit import CallContext, PluginHost, discover, hookimpl
from creatorkit.entities import (
    Capability,
    CreatorMetrics,
    DiscoveryPage,
    DiscoveryQuery,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
)

NAMES = {
    "bench_dispatch_overhead": ["dispatch.overhead_ratio"],
    "bench_discovery_fanout": ["discovery.fanout_ratio"],
    "bench_import_time": ["import.seconds", "import.entities_seconds"],
}

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


class _BenchPlatform:
    """A platform whose stage hooks do nothing but answer: what is left to time is the dispatch."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.name = name
        self.delay = delay
        self.metrics = CreatorMetrics(platform=name, account_id="a1", as_of=AS_OF)

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PLATFORM,
            display_name=f"bench {self.name}",
            capabilities=frozenset({Capability.METRICS, Capability.DISCOVERY}),
        )

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
        return self.metrics

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        time.sleep(self.delay)
        return DiscoveryPage(platform=self.name)


def bench_dispatch_overhead() -> dict[str, object]:
    host = PluginHost()
    host.register(_BenchPlatform("bench"), name="bench")
    account = PlatformAccount(platform="bench", account_id="a1", handle="h")
    client = host.platform("bench")
    raw = host.pm.hook.creatorkit_fetch_creator_metrics
    # The raw call passes a context too (pluggy wants every argument the spec names); the facade builds none
    # for a call made without one: the default context of each target is made once.
    context = CallContext(plugin="bench", hook="creatorkit_fetch_creator_metrics", capability=Capability.METRICS)
    number = 20_000

    def best(statement: object) -> float:
        return min(timeit.repeat(statement, number=number, repeat=7)) / number  # type: ignore[arg-type]

    facade_s = best(lambda: client.fetch_creator_metrics(account))
    # Every argument the spec names, the optional period (contract v2) included: pluggy warns of one left out.
    raw_s = best(lambda: raw(account=account, context=context, period=None))
    return {
        "name": "dispatch.overhead_ratio",
        "value": round(facade_s / raw_s, 3),
        "unit": "ratio",
        "goal": "<= 2.0",
        "facade_us": round(facade_s * 1e6, 3),
        "raw_pluggy_us": round(raw_s * 1e6, 3),
    }


def bench_discovery_fanout() -> dict[str, object]:
    host = PluginHost()
    for name in ("slow_a", "slow_b", "slow_c"):
        host.register(_BenchPlatform(name, delay=0.1), name=name)
    query = DiscoveryQuery()

    def timed(platforms: list[str]) -> float:
        started = time.perf_counter()
        results = discover(host, query, platforms=platforms)
        elapsed = time.perf_counter() - started
        assert not results.errors, results.errors
        return elapsed

    ratios = []
    for _ in range(5):
        slowest_single = max(timed([name]) for name in host.platforms())
        ratios.append(timed(host.platforms()) / slowest_single)
    return {
        "name": "discovery.fanout_ratio",
        "value": round(statistics.median(ratios), 3),
        "unit": "ratio",
        "goal": "<= 1.15",
        "plugins": 3,
        "plugin_delay_s": 0.1,
    }


def _median_run(code: str, times: int = 9) -> float:
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def bench_import_time() -> list[dict[str, object]]:
    startup = round(_median_run("pass", 5), 4)
    return [
        {
            "name": "import.seconds",
            "value": round(_median_run("import creatorkit"), 4),
            "unit": "s",
            "goal": "<= 0.15",
            "interpreter_startup_s": startup,
            "note": "wall time of `python -c 'import creatorkit'`, interpreter start included",
        },
        {
            # The root resolves entities lazily; this is what the first use of an entity costs.
            "name": "import.entities_seconds",
            "value": round(_median_run("import creatorkit.entities, creatorkit.converter"), 4),
            "unit": "s",
            "goal": "informational",
            "interpreter_startup_s": startup,
        },
    ]
