"""One query to many platforms, concurrently; each platform answers (or fails, or times out) for itself.

Each page is then post-filtered (``_local_filters``): what its platform approximated or ignored is applied here,
where the candidates carry the data, and the candidates that could not be checked are named.
"""

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
from ._local_filters import LocalCheck, check_locally

if TYPE_CHECKING:
    from ..host import PluginHost

__all__ = ["DiscoveryOutcome", "DiscoveryResults", "discover"]


@attrs.frozen(kw_only=True)
class DiscoveryOutcome:
    """One platform's answer to a fanned-out discovery: a page, or the error it raised.

    ``page`` is the page as the platform answered it (its report, its cursor); ``candidates`` are those of its
    candidates that passed the core's local checks, and ``checks`` what the core did about each filter the
    platform approximated or ignored.
    """

    platform: str
    page: DiscoveryPage | None = None
    error: CreatorkitError | None = None
    seconds: float = 0.0
    candidates: tuple[CreatorCandidate, ...] = ()
    checks: tuple[LocalCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def unchecked(self) -> tuple[str, ...]:
        """The candidates (profile ids) some filter could not be checked on, each once."""
        return tuple(dict.fromkeys(c for check in self.checks for c in check.unchecked))

    @property
    def next_cursor(self) -> str | None:
        return None if self.page is None else self.page.next_cursor


@attrs.frozen(kw_only=True)
class DiscoveryResults:
    """Every platform's outcome, and the platforms left out (no discovery capability) with the reason."""

    outcomes: Mapping[str, DiscoveryOutcome]
    skipped: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def candidates(self) -> list[CreatorCandidate]:
        """Every candidate that passed the local checks, from every platform that answered."""
        return [c for o in self.outcomes.values() for c in o.candidates]

    @property
    def next_cursors(self) -> dict[str, str]:
        """Each platform that has more, with the cursor of its next page: ``discover(..., cursors=...)``."""
        return {name: o.next_cursor for name, o in self.outcomes.items() if o.next_cursor is not None}

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
    contexts: Mapping[str, CallContext] | None = None,
    cursors: Mapping[str, str] | None = None,
    drop_unchecked: bool = False,
) -> DiscoveryResults:
    """Run ``query`` on every enabled platform of ``plugins`` (or only ``platforms``) concurrently.

    One platform's failure, or its timeout, comes back as that platform's error next to the others' pages.
    Platforms without the discovery capability are listed in ``skipped`` with the reason.

    Each page is post-filtered: the filters its platform approximated or ignored are checked here on each
    candidate that carries the data (see :class:`LocalCheck`); a candidate that lacks it is kept, and named as
    unchecked, unless ``drop_unchecked``. A page may so hold fewer candidates than ``limit`` (even none) and still
    have a next page.

    ``cursors`` continues a discovery: the platforms named in it (``results.next_cursors``), each from its cursor.
    A cursor belongs to its platform and its query; with another query it is refused (``InvalidRequest``).

    Each platform is given ``context`` (workspace, clock …) with the fan-out's deadline: ``timeout`` seconds
    from now by the context's clock, or the context's own deadline if that comes first. A plugin that checks it
    stops spending its rate budget once nobody waits for its answer. ``contexts`` gives a platform its own context
    instead — the one with its connection and token source, ``kit.connections.context(actor, platform=name)`` —
    and the same deadline; a platform it does not name gets ``context``.
    """
    chosen = list(platforms) if platforms is not None else plugins.platforms()
    if cursors is not None:
        chosen = [name for name in chosen if name in cursors]
    targets, skipped = _discovering(plugins, chosen)
    outcomes: dict[str, DiscoveryOutcome] = {}
    common = context or CallContext()
    own = contexts or {}
    per_platform = {name: _with_deadline(own.get(name, common), timeout) for name in targets}
    if targets:
        pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="creatorkit-discover")
        try:
            futures = {
                name: pool.submit(
                    _timed, plugins, name, _paged(query, name, cursors), per_platform[name], drop_unchecked
                )
                for name in targets
            }
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


def _discovering(plugins: PluginHost, chosen: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The platforms of ``chosen`` that offer discovery, and the others with what they say instead."""
    targets, skipped = [], {}
    for name in chosen:
        meta = plugins.metadata(name)
        if Capability.DISCOVERY in meta.capabilities:
            targets.append(name)
        else:
            skipped[name] = meta.missing.get(Capability.DISCOVERY, "no discovery capability")
    return targets, skipped


def _with_deadline(context: CallContext, timeout: float | None) -> CallContext:
    if timeout is None:
        return context
    deadline = context.now() + timedelta(seconds=timeout)
    if context.deadline is not None and context.deadline <= deadline:
        return context
    return attrs.evolve(context, deadline=deadline)


def _paged(query: DiscoveryQuery, name: str, cursors: Mapping[str, str] | None) -> DiscoveryQuery:
    if cursors is None or name not in cursors:
        return query
    return attrs.evolve(query, cursor=cursors[name])


def _timed(
    plugins: PluginHost, name: str, query: DiscoveryQuery, context: CallContext, drop_unchecked: bool
) -> DiscoveryOutcome:
    started = time.perf_counter()
    try:
        page = plugins.platform(name).discover_creators(query, context)
    except CreatorkitError as exc:
        return DiscoveryOutcome(platform=name, error=exc, seconds=time.perf_counter() - started)
    kept, checks = check_locally(query, page, drop_unchecked=drop_unchecked)
    seconds = time.perf_counter() - started
    return DiscoveryOutcome(platform=name, page=page, seconds=seconds, candidates=kept, checks=checks)
