"""The call context: what a stage hook is told about the one call it answers.

The host passes one to every stage hook as ``context`` (a plugin written before contract v2 simply does not
ask for it). It names the target — plugin, hook, capability — so that a wrapper (cache, audit, rate limit)
knows which platform and stage it wraps; the workspace the call is made for and the connection or grant whose
token it uses, with a :class:`TokenSource` for that token; a deadline, so that a plugin stops spending its rate
budget on a fan-out whose caller has stopped waiting; and the clock every time-dependent check uses (token
expiry, a webhook's freshness), so that tests can move time without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from .entities import Capability, Connection, Grant, utcnow
from .entities._common import aware
from .errors import DeadlineExceeded

__all__ = ["CallContext", "TokenSource"]


@runtime_checkable
class TokenSource(Protocol):
    """**Protocol**: the access token of a connection or grant, for a plugin to put on its requests, and a way to
    get a new one. The toolkit's client (:func:`creatorkit.toolkit.build_client`) takes one.

    The plugin never sees a refresh token: the source refreshes and persists what the platform returns.
    ``refresh(rejected)`` is called with the token the platform refused as expired; it returns a token to try once
    more, or raises :class:`~creatorkit.errors.AuthExpired` (naming the connection or grant, and what to do) when it
    cannot. Passing the rejected token lets a shared source refresh once for many threads (and processes): if its
    current token is no longer ``rejected``, someone else already refreshed and the current one is the answer.

    A source may also have ``connection_id``, ``grant_id`` and ``action`` attributes; the toolkit's client puts
    them in the ``AuthExpired`` it raises for a revoked token.
    """

    def access_token(self) -> str:
        """The current access token (a source may refresh first when it is about to expire)."""
        ...

    def refresh(self, rejected: str) -> str:
        """A new access token after the platform refused ``rejected``; see the class."""
        ...


@attrs.frozen(kw_only=True)
class CallContext:
    """What one stage-hook call is for. Built by the host; a caller may pass one with the fields it knows.

    The host fills in ``plugin``, ``hook`` and ``capability`` for the call it makes, whatever the caller set.
    """

    plugin: str = ""
    hook: str = ""
    capability: Capability | None = None
    #: The brand or agency the call is made for.
    workspace_id: str | None = None
    connection: Connection | None = None
    grant: Grant | None = None
    #: The token of ``grant`` if there is one, else of ``connection``.
    tokens: TokenSource | None = attrs.field(default=None, repr=False)
    #: When the caller stops waiting (timezone-aware); ``None`` for no limit.
    deadline: datetime | None = attrs.field(default=None, validator=aware)
    clock: Callable[[], datetime] = attrs.field(default=utcnow, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never below zero); ``None`` without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, (self.deadline - self.clock()).total_seconds())

    @property
    def expired(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def check_deadline(self, doing: str = "") -> None:
        """Raise :class:`~creatorkit.errors.DeadlineExceeded` if the deadline has passed: call it before each
        request that spends rate budget."""
        if self.expired:
            assert self.deadline is not None
            before = f" before {doing}" if doing else ""
            raise DeadlineExceeded(
                self.plugin or "unknown", f"the caller's deadline passed{before}", deadline=self.deadline
            )

    def aimed_at(self, plugin: str, hook: str, capability: Capability) -> CallContext:
        """This context for one call: ``plugin``'s ``hook``, of ``capability``."""
        if (self.plugin, self.hook, self.capability) == (plugin, hook, capability):
            return self
        return attrs.evolve(self, plugin=plugin, hook=hook, capability=capability)
