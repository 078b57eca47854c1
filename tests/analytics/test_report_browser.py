"""The HTML report in a real browser: Debian's headless Chromium through Playwright opens the file, every chart
renders with a size, nothing is logged as an error and nothing but the file itself is requested.

Skipped where there is no Chromium, unless ``CREATORKIT_REQUIRE_BROWSER=1`` (CI sets it after installing the
Debian package): then a missing browser fails the test. Playwright never downloads a browser here: it is given
``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from creatorkit.reports import render_html
from creatorkit.reports._html import CHART_IDS
from world import Clock

from .report_world import START, build_campaign
from .test_report import XSS_CAPTION, XSS_NAME, make_kit

REQUIRED = os.environ.get("CREATORKIT_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _chromium() -> str:
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("CREATORKIT_REQUIRE_BROWSER=1 but there is no chromium (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium); CI requires it")
    return CHROMIUM


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if REQUIRED:
            pytest.fail("CREATORKIT_REQUIRE_BROWSER=1 but playwright is not installed (the test extra has it)")
        pytest.skip("playwright is not installed")
    return sync_playwright


def _console(message: Any, problems: list[str]) -> None:
    if message.type in ("error", "warning"):
        problems.append(f"console {message.type}: {message.text}")


def _dialog(dialog: Any, problems: list[str]) -> None:
    problems.append(f"a dialog opened: {dialog.message}")  # what an injected alert() would do
    dialog.dismiss()


def _y_values(path: str) -> list[float]:
    """The y coordinates of an SVG path's points (plotly draws a line as ``M x,y L x,y …``)."""
    return [float(y) for y in re.findall(r"[ML][\d.]+,([\d.]+)", path)]


def test_the_report_renders_every_chart_in_headless_chromium(tmp_path: Path) -> None:
    executable = _chromium()
    sync_playwright = _playwright()
    clock = Clock(START)
    kit, echo = make_kit(tmp_path, clock)
    campaign = build_campaign(kit, clock, echo, creators=4, days=6, names={0: XSS_NAME}, captions={1: XSS_CAPTION})
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(kit.reports.campaign(campaign.brand, campaign.brief_id)), encoding="utf-8")
    kit.close()
    url = page_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []

    def route(handled: Any) -> None:
        requests.append(handled.request.url)
        if handled.request.url == url:
            handled.continue_()
        else:
            handled.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda message: _console(message, problems))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("dialog", lambda dialog: _dialog(dialog, problems))
            page.goto(url)
            ids = list(CHART_IDS)
            page.wait_for_function(
                "ids => ids.every(id => document.querySelector('#' + id + ' .main-svg'))", arg=ids, timeout=20_000
            )
            sizes = page.evaluate(
                """ids => ids.map(id => {
                    const svg = document.querySelector('#' + id + ' .main-svg').getBoundingClientRect();
                    const box = document.getElementById(id).getBoundingClientRect();
                    return [box.width, box.height, svg.width, svg.height];
                })""",
                ids,
            )
            lines = page.eval_on_selector_all(
                "#views-over-time .scatterlayer .trace path.js-line", "p => p.map(e => e.getAttribute('d'))"
            )
            bars = page.eval_on_selector_all(".barlayer .point path", "p => p.length")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
    for chart, size in zip(ids, sizes, strict=True):
        assert all(side > 0 for side in size), f"{chart} rendered with no size: {size}"
    assert len(lines) == 4 and all(len(set(_y_values(d))) > 1 for d in lines), "views over time drew flat lines"
    assert bars > 0
    assert problems == []
    assert requests == [url]
