"""One query to many platforms, concurrently; each platform answers (or fails, or times out) for itself."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

import attrs

from ..entities import Capability, CreatorCandidate, DiscoveryPage, DiscoveryQuery
from ..errors import CreatorkitError, Transient

if TYPE_CHECKING:
    from ..host import PluginHost

__all__ = ["DiscoveryOutcome", "DiscoveryResults", "discover"]


@attrs.frozen(kw_only=True)
class DiscoveryOutcome:
    """One platform's answer to a fanned-out discovery: a page, or the error it raised."""

    platform: str
    page: DiscoveryPage | None = None
    error: CreatorkitError | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen(kw_only=True)
class DiscoveryResults:
    """Every platform's outcome, and the platforms left out (no discovery capability) with the reason."""

    outcomes: Mapping[str, DiscoveryOutcome]
    skipped: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def candidates(self) -> list[CreatorCandidate]:
        """Every candidate from every platform that answered."""
        return [c for o in self.outcomes.values() if o.page is not None for c in o.page.candidates]

    @property
    def errors(self) -> dict[str, CreatorkitError]:
        return {name: o.error for name, o in self.outcomes.items() if o.error is not None}


def discover(
    plugins: PluginHost,
    query: DiscoveryQuery,
    *,
    platforms: Sequence[str] | None = None,
    timeout: float | None = None,
) -> DiscoveryResults:
    """Run ``query`` on every enabled platform of ``plugins`` (or only ``platforms``) concurrently.

    One platform's failure, or its timeout, comes back as that platform's error next to the others' pages.
    Platforms without the discovery capability are listed in ``skipped`` with the reason.
    """
    chosen = list(platforms) if platforms is not None else plugins.platforms()
    targets, skipped = [], {}
    for name in chosen:
        meta = plugins.metadata(name)
        if Capability.DISCOVERY in meta.capabilities:
            targets.append(name)
        else:
            skipped[name] = meta.missing.get(Capability.DISCOVERY, "no discovery capability")
    outcomes: dict[str, DiscoveryOutcome] = {}
    if targets:
        pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="creatorkit-discover")
        try:
            futures = {name: pool.submit(_timed, plugins, name, query) for name in targets}
            deadline = None if timeout is None else time.monotonic() + timeout
            for name, future in futures.items():
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    outcomes[name] = future.result(timeout=remaining)
                except FutureTimeout:
                    error = Transient(name, f"discovery did not answer within {timeout} s")
                    outcomes[name] = DiscoveryOutcome(platform=name, error=error, seconds=timeout or 0.0)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return DiscoveryResults(outcomes=outcomes, skipped=skipped)


def _timed(plugins: PluginHost, name: str, query: DiscoveryQuery) -> DiscoveryOutcome:
    started = time.perf_counter()
    try:
        page = plugins.platform(name).discover_creators(query)
    except CreatorkitError as exc:
        return DiscoveryOutcome(platform=name, error=exc, seconds=time.perf_counter() - started)
    return DiscoveryOutcome(platform=name, page=page, seconds=time.perf_counter() - started)
