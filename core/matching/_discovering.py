"""The brief's query on every enabled platform, page after page up to ``[analytics] discovery_pages``.

Each page goes through :func:`creatorkit.discovery.discover`, which applies here exactly the filters the page's
report says its platform approximated or ignored. One platform's failure is a warning naming it; the pages it
answered before still count, and the other platforms go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from .._call_context import CallContext
from ..discovery import DiscoveryOutcome, LocalCheck, discover
from ..entities import CreatorCandidate, DiscoveryQuery
from ..host import PluginHost
from ._results import PlatformDiscovery

__all__ = ["Discovered", "discover_pages"]


@attrs.define
class _Reading:
    platform: str
    pages: int = 0
    returned: int = 0
    candidates: list[CreatorCandidate] = attrs.field(factory=list)
    checks: list[LocalCheck] = attrs.field(factory=list)
    error: str | None = None
    cursor: str | None = None

    def add(self, outcome: DiscoveryOutcome) -> None:
        if outcome.error is not None or outcome.page is None:
            self.error = f"{type(outcome.error).__name__}: {outcome.error}"
            self.cursor = None
            return
        self.pages += 1
        self.returned += len(outcome.page.candidates)
        self.candidates.extend(outcome.candidates)
        self.checks.extend(outcome.checks)
        self.cursor = outcome.next_cursor

    def report(self) -> PlatformDiscovery:
        return PlatformDiscovery(
            platform=self.platform,
            pages=self.pages,
            returned=self.returned,
            kept=len(self.candidates),
            checks=tuple(self.checks),
            more=self.cursor is not None,
            error=self.error,
        )


@attrs.frozen(kw_only=True)
class Discovered:
    """Every candidate kept, per platform; each platform's report; those left out, and the warnings."""

    candidates: Mapping[str, tuple[CreatorCandidate, ...]]
    platforms: Mapping[str, PlatformDiscovery]
    skipped: Mapping[str, str]
    warnings: tuple[str, ...]


def discover_pages(
    plugins: PluginHost,
    query: DiscoveryQuery,
    platforms: Sequence[str],
    *,
    context_of: Callable[[str], CallContext],
    max_pages: int,
) -> Discovered:
    """Read up to ``max_pages`` pages of ``query`` from each of ``platforms`` that offers discovery."""
    contexts = {name: context_of(name) for name in platforms}
    first = discover(plugins, query, platforms=list(platforms), contexts=contexts)
    readings = {name: _Reading(name) for name in first.outcomes}
    for name, outcome in first.outcomes.items():
        readings[name].add(outcome)
    while True:
        cursors = {n: r.cursor for n, r in readings.items() if r.cursor is not None and r.pages < max_pages}
        if not cursors:
            break
        more = discover(plugins, query, platforms=list(cursors), contexts=contexts, cursors=cursors)
        for name, outcome in more.outcomes.items():
            readings[name].add(outcome)
    warnings = []
    for name, reading in readings.items():
        if reading.error is not None:
            after = f" after {reading.pages} page(s)" if reading.pages else ""
            warnings.append(f"{name}: discovery failed{after} ({reading.error}); the other platforms are ranked")
        elif reading.cursor is not None:
            warnings.append(
                f"{name}: read {reading.pages} page(s), the limit of [analytics] discovery_pages; it has more"
            )
        for check in reading.checks:
            if check.unchecked:
                warnings.append(
                    f"{name}: {len(check.unchecked)} candidate(s) could not be checked on {check.filter}, "
                    f"which {name} {check.platform_status} ({check.platform_note}): kept"
                )
            elif not check.applied:
                warnings.append(f"{name}: {check.filter} was {check.platform_status} and {check.note}")
    return Discovered(
        candidates={name: tuple(r.candidates) for name, r in readings.items()},
        platforms={name: r.report() for name, r in readings.items()},
        skipped=dict(first.skipped),
        warnings=tuple(dict.fromkeys(warnings)),
    )
