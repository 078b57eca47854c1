"""Where a platform wants its access token, and where the client gets it from.

:class:`TokenSource` is the small protocol the client factory takes: the current access token, and a refresh
for when the platform answers "expired". A connection or grant kept by the core implements it over the store
(encrypted at rest, refreshed once under concurrency, the rotated refresh token persisted with the new access
token); :class:`StaticToken` and :class:`RefreshingToken` are the in-memory ones a plugin's tests and sandbox
need. :class:`TokenPlacement` says where the token goes on a request — and where a sandbox finds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import httpx

from .._call_context import TokenSource
from ..errors import AuthExpired

__all__ = ["RefreshingToken", "StaticToken", "TokenPlacement", "TokenSource"]


@attrs.define(repr=False)
class StaticToken:
    """A token that cannot be refreshed (TikTok's advertiser tokens do not expire; they are only revoked)."""

    token: str
    platform: str = "platform"
    connection_id: str | None = None
    grant_id: str | None = None
    action: str | None = None

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str) -> str:
        raise AuthExpired(
            self.platform,
            "the platform refused the access token and it cannot be refreshed",
            connection_id=self.connection_id,
            grant_id=self.grant_id,
            action=self.action,
        )

    def __repr__(self) -> str:
        return f"StaticToken(platform={self.platform!r}, token='***')"


@attrs.define(repr=False)
class RefreshingToken:
    """A token refreshed through ``renew`` (a callable returning the new access token, raising ``AuthExpired``
    when it cannot); refreshes once however many threads find the same token rejected."""

    token: str
    renew: Callable[[], str]
    connection_id: str | None = None
    grant_id: str | None = None
    action: str | None = None
    refreshes: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def access_token(self) -> str:
        with self._lock:
            return self.token

    def refresh(self, rejected: str) -> str:
        with self._lock:
            if self.token != rejected:
                return self.token
            self.token = self.renew()
            self.refreshes += 1
            return self.token

    def __repr__(self) -> str:
        return f"RefreshingToken(token='***', refreshes={self.refreshes})"


@attrs.frozen
class TokenPlacement:
    """Where the token travels: a header (``Authorization: Bearer …``, TikTok's ``Access-Token: …``) or a query
    parameter (Meta's and Kuaishou's ``access_token``)."""

    header: str | None = None
    prefix: str = ""
    query: str | None = None

    @classmethod
    def bearer(cls) -> TokenPlacement:
        return cls(header="Authorization", prefix="Bearer ")

    @classmethod
    def in_header(cls, name: str, prefix: str = "") -> TokenPlacement:
        return cls(header=name, prefix=prefix)

    @classmethod
    def in_query(cls, name: str = "access_token") -> TokenPlacement:
        return cls(query=name)

    def apply(self, request: httpx.Request, token: str) -> httpx.Request:
        """A copy of ``request`` carrying ``token``; the original (which httpx logs and errors show) stays clean."""
        headers = httpx.Headers(request.headers)
        url = request.url
        if self.header is not None:
            headers[self.header] = f"{self.prefix}{token}"
        if self.query is not None:
            url = url.copy_set_param(self.query, token)
        return httpx.Request(
            request.method, url, headers=headers, stream=request.stream, extensions=dict(request.extensions)
        )

    def find(self, request: httpx.Request) -> str | None:
        """The token ``request`` carries here, or None (what a sandbox checks, as the real API would)."""
        if self.header is not None:
            value = request.headers.get(self.header)
            if value is None or not value.startswith(self.prefix):
                return None
            return value[len(self.prefix) :] or None
        if self.query is not None:
            return request.url.params.get(self.query) or None
        return None
