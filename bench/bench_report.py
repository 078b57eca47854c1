"""Benchmark: the HTML report of a campaign of 50 creators over 30 days, on the embedded SQLite store.

The campaign is built with the product's services (as in ``tests/analytics/report_world.py``: invitations,
offers, drafts, approvals, publications; the contract steps through the test shortcut), and 30 daily sync rounds
keep 30 snapshots per post, 1,500 in all, from a sandbox whose post figures grow with the days. What is timed is
what ``creatorkit report CAMPAIGN --out report.html`` does once the kit is open: read the campaign as its brand
(``kit.reports.campaign``) and render the page (``render_html``), plotly.js inline. ``report.html_seconds`` is
the median of 5 runs after a first one, which is ``cold_seconds`` (it also loads plotly and its validators).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from creatorkit import Creatorkit
from creatorkit.config import Config
from creatorkit.host import PluginHost
from creatorkit.store import open_store

NAMES = {"bench_report_html": ["report.html_seconds", "report.html_bytes"]}
CREATORS, DAYS, RUNS = 50, 30, 5
TESTS = Path(__file__).resolve().parent.parent / "tests"


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def bench_report_html(creators: int = CREATORS, days: int = DAYS) -> list[dict[str, Any]]:
    sys.path.insert(0, str(TESTS))  # the campaign builder the report tests use
    try:
        # tests/ is on the path only now: the type check of bench/ does not see it.
        from analytics.report_world import START, GrowingEcho, build_campaign  # type: ignore[import-not-found,unused-ignore]
    finally:
        sys.path.remove(str(TESTS))
    from creatorkit.reports import render_html

    clock = _Clock(START)
    with tempfile.TemporaryDirectory() as folder:
        plugins = PluginHost()
        echo = GrowingEcho(clock, size=creators)
        plugins.register(echo, name="echo")
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        with Creatorkit(store=store, plugins=plugins, config=Config(), clock=clock) as kit:
            campaign = build_campaign(kit, clock, echo, creators=creators, days=days)
            times, page = [], ""
            for _ in range(RUNS + 1):
                started = time.perf_counter()
                report = kit.reports.campaign(campaign.brand, campaign.brief_id)
                page = render_html(report)
                times.append(time.perf_counter() - started)
    snapshots = sum(len(series.points) for series in report.views_over_time)
    common = {"creators": creators, "days": days, "snapshots": snapshots}
    size = len(page.encode("utf-8"))
    return [
        {
            "name": "report.html_seconds",
            "value": round(statistics.median(times[1:]), 3),
            "unit": "s",
            "goal": "<= 2",
            "cold_seconds": round(times[0], 3),
            "note": "kit.reports.campaign + render_html, median of 5 after a cold first run",
            **common,
        },
        {
            "name": "report.html_bytes",
            "value": size,
            "unit": "bytes",
            "note": "one self-contained page; plotly.js inline is most of it",
            **common,
        },
    ]
