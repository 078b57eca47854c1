"""Where a workflow deal's time goes: per service call, and the share spent in SQLite's COMMIT.

``python bench/workflow_breakdown.py [DEALS]`` runs the same deals as ``bench_workflow`` and prints JSON: the
median and 10th percentile of each service call (and the read before an invitation), their sum per deal, the
actual time per deal, and COMMIT's mean and median. The gap between the sum of medians and the actual time is
the tail: WAL checkpoints and the machine's noise. A diagnostic, not a benchmark with a goal.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_workflow import START, _InstantPlatform, _one_deal, _setup

from creatorkit import Creatorkit, _service
from creatorkit.host import PluginHost
from creatorkit.store import open_store


def breakdown(deals: int = 400) -> dict[str, Any]:
    calls: dict[str, list[float]] = defaultdict(list)
    commits: list[float] = []
    clock = time.perf_counter
    write, read = _service.Service._write, _service.Service._read

    def timed_write(self: Any, actor: Any, action: str, work: Callable[[Any], Any]) -> Any:
        started = clock()
        try:
            return write(self, actor, action, work)
        finally:
            calls[action].append(clock() - started)

    def timed_read(self: Any, actor: Any, work: Callable[[Any], Any], action: str = "read") -> Any:
        started = clock()
        try:
            return read(self, actor, work, action)
        finally:
            calls[f"read:{action}"].append(clock() - started)

    with tempfile.TemporaryDirectory() as folder:
        plugins = PluginHost()
        plugins.register(_InstantPlatform(), name="bench")
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        commit = store._commit

        def timed_commit(conn: Any) -> None:
            started = clock()
            commit(conn)
            commits.append(clock() - started)

        store._commit = timed_commit  # type: ignore[method-assign]
        kit = Creatorkit(store=store, plugins=plugins, clock=lambda: START)
        world = _setup(kit, deals)
        _one_deal(kit, world, "creator_0")
        calls.clear()
        commits.clear()
        _service.Service._write, _service.Service._read = timed_write, timed_read  # type: ignore[method-assign]
        try:
            started = clock()
            for i in range(1, deals):
                _one_deal(kit, world, f"creator_{i}")
            elapsed = clock() - started
        finally:
            _service.Service._write, _service.Service._read = write, read  # type: ignore[method-assign]
        kit.close()

    measured = deals - 1
    per_call = {}
    for action, times in calls.items():
        times.sort()
        per_call[action] = {
            "per_deal": round(len(times) / measured, 2),
            "p10_us": round(times[len(times) // 10] * 1e6),
            "median_us": round(times[len(times) // 2] * 1e6),
        }
    commits.sort()
    return {
        "deals": measured,
        "calls": per_call,
        "sum_of_medians_us_per_deal": round(sum(c["median_us"] * c["per_deal"] for c in per_call.values())),
        "actual_us_per_deal": round(elapsed / measured * 1e6),
        "commit_mean_us": round(sum(commits) / len(commits) * 1e6),
        "commit_median_us": round(commits[len(commits) // 2] * 1e6),
        "commit_max_us": round(commits[-1] * 1e6),
    }


if __name__ == "__main__":
    print(json.dumps(breakdown(int(sys.argv[1]) if len(sys.argv) > 1 else 400), indent=2))
