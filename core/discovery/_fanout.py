"""One query to many platforms, concurrently; each platform answers (or fails, or times out) for itself."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from .._call_context import CallContext
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
    context: CallContext | None = None,
) -> DiscoveryResults:
    """Run ``query`` on every enabled platform of ``plugins`` (or only ``platforms``) concurrently.

    One platform's failure, or its timeout, comes back as that platform's error next to the others' pages.
    Platforms without the discovery capability are listed in ``skipped`` with the reason.

    Each platform is given ``context`` (workspace, clock …) with the fan-out's deadline: ``timeout`` seconds
    from now by the context's clock, or the context's own deadline if that comes first. A plugin that checks it
    stops spending its rate budget once nobody waits for its answer.
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
    context = _with_deadline(context or CallContext(), timeout)
    if targets:
        pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="creatorkit-discover")
        try:
            futures = {name: pool.submit(_timed, plugins, name, query, context) for name in targets}
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


def _with_deadline(context: CallContext, timeout: float | None) -> CallContext:
    if timeout is None:
        return context
    deadline = context.now() + timedelta(seconds=timeout)
    if context.deadline is not None and context.deadline <= deadline:
        return context
    return attrs.evolve(context, deadline=deadline)


def _timed(plugins: PluginHost, name: str, query: DiscoveryQuery, context: CallContext) -> DiscoveryOutcome:
    started = time.perf_counter()
    try:
        page = plugins.platform(name).discover_creators(query, context)
    except CreatorkitError as exc:
        return DiscoveryOutcome(platform=name, error=exc, seconds=time.perf_counter() - started)
    return DiscoveryOutcome(platform=name, page=page, seconds=time.perf_counter() - started)
