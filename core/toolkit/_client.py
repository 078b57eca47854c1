"""The HTTP client factory: one ``httpx.Client`` per platform that limits, authenticates, retries and maps errors.

:func:`build_client` returns a plain synchronous ``httpx.Client`` (the hooks are synchronous, so the client is
too), so a plugin writes ordinary httpx calls against the platform's paths::

    client = build_client(config, tokens=connection_tokens, limiter=limiter, transport=sandbox_or_none)
    response = client.get("tcm/creator/public/", params={"handle_name": handle},
                          extensions=call_options(deadline=context_deadline, user=creator_id))
    data = config.envelope.data_of(response.json())

Everything else happens inside the client's transport, on every call and every retry of it, in this order: the
deadline is checked; the rate limiter waits for every budget the call is counted against (its ``keys``, plus
``endpoint``: the request's path); the token source's current token is put where the platform wants it (on a
copy of the request, so that httpx's logs and errors never see it); the request is sent with a timeout no longer
than the time left; the answer is mapped through the envelope and error table; an expired token is refreshed once
and the request sent once more; a revoked one raises :class:`~creatorkit.errors.AuthExpired` at once; a throttle
makes the limiter hold the budget it names for the stated wait; :class:`~creatorkit.errors.Transient` and
``RateLimited`` are retried as the :class:`~creatorkit.toolkit.RetryPolicy` allows. Errors that leave the client are
the SDK's typed errors, with the platform's code and request id, scrubbed of the token, the refresh token and
every secret the client knows. Live and sandbox differ only in ``transport``: ``None`` (httpx's own) or a
:class:`~creatorkit.toolkit.SandboxTransport`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx

from ..errors import AuthExpired, CreatorkitError, Problem, RateLimited, Transient, ValidationError
from ._auth import TokenPlacement, TokenSource
from ._clock import Clock, Sleep, WallClock, deadline_on
from ._limiter import RateLimiter
from ._mapping import HTTP_STATUS_ERRORS, Envelope, ErrorTable, map_response
from ._redact import SECRET_PARAMETERS, install_log_filter, mask_query, scrub
from ._retry import IDEMPOTENT_METHODS, RetryPolicy, call_with_retries

__all__ = ["EXTENSION", "ApiConfig", "CallOptions", "build_client", "call_options"]

log = logging.getLogger("creatorkit.toolkit")

#: The request extension a call's options travel in (``extensions=call_options(...)``).
EXTENSION = "creatorkit.call"


def _timeout(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or value <= 0:
        raise ValidationError([Problem("timeout", f"every call needs a timeout in seconds; got {value!r}")], "client")


@attrs.frozen(kw_only=True)
class ApiConfig:
    """One platform's API as the client sees it: where it is, how long a call may take, where the token goes, how
    its answers are shaped and what its errors mean, how hard to retry. ``reconnect`` is the advice an
    ``AuthExpired`` gives when the token source has none (``creatorkit connect tiktok``). ``wait_from`` reads a
    throttle's wait from an answer when the platform states it somewhere other than ``Retry-After``."""

    platform: str
    base_url: str
    timeout: float = attrs.field(default=10.0, validator=_timeout)
    envelope: Envelope | None = None
    errors: ErrorTable = HTTP_STATUS_ERRORS
    retry: RetryPolicy = RetryPolicy()
    token_placement: TokenPlacement = TokenPlacement.bearer()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    reconnect: str | None = None
    wait_from: Callable[[httpx.Response], float | None] | None = None


@attrs.frozen(kw_only=True)
class CallOptions:
    """What one call adds: its ``deadline`` (an instant of the client's clock, or an aware ``datetime``), whether
    it may be sent twice (``idempotent``: a POST that only reads, or carries the platform's idempotency field), and
    the ``keys`` its rate budgets are counted by (``user``)."""

    deadline: float | datetime | None = None
    idempotent: bool = False
    keys: Mapping[str, str] = attrs.field(factory=dict)


def call_options(*, deadline: float | datetime | None = None, idempotent: bool = False, **keys: Any) -> dict[str, Any]:
    """``extensions=`` for one call: ``client.get(path, extensions=call_options(user="u1", deadline=d))``."""
    return {EXTENSION: CallOptions(deadline=deadline, idempotent=idempotent, keys={k: str(v) for k, v in keys.items()})}


def build_client(
    config: ApiConfig,
    *,
    tokens: TokenSource | None = None,
    limiter: RateLimiter | None = None,
    transport: httpx.BaseTransport | None = None,
    secrets: Iterable[str] | Callable[[], Iterable[str]] = (),
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    wall: WallClock | None = None,
    rng: random.Random | None = None,
) -> httpx.Client:
    """A synchronous ``httpx.Client`` for ``config``'s platform (see the module's docstring for what each call does).

    ``secrets`` are further values no error may show (the app's client secret, a signing key), or a callable
    returning the current ones. ``clock``, ``sleep``, ``wall`` and ``rng`` are injected for tests.
    """
    install_log_filter()
    platform_transport = _PlatformTransport(
        config=config,
        inner=transport or httpx.HTTPTransport(),
        tokens=tokens,
        limiter=limiter,
        secrets=secrets,
        clock=clock,
        sleep=sleep,
        wall=wall or (lambda: datetime.now(UTC)),
        rng=rng or random.Random(),
    )
    return _PlatformClient(
        base_url=config.base_url,
        timeout=config.timeout,
        headers=dict(config.headers),
        transport=platform_transport,
        follow_redirects=False,
    )


#: How many paths one client remembers joined to its base URL: a plugin calls a few dozen endpoints; a path that
#: embeds an id (``posts/123``) is joined afresh once the table is full, never evicting the endpoints before it.
JOINED_PATHS = 512


class _DiscardedCookies(httpx.Cookies):
    """A cookie jar that keeps no cookie an answer sets: platform APIs authenticate by token, and a cookie one
    answer sets must not ride along the next call, which may be made with another connection's token. Cookies a
    caller sets on the client or a request are still sent."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _query_setter() -> Callable[[httpx.URL, Any], httpx.URL] | None:
    """What puts a query on an httpx URL without parsing the URL again, where this httpx allows it; None where
    its internals differ (then httpx merges the query itself, as it always can)."""
    from httpx import _urlparse

    quote, safe = getattr(_urlparse, "quote", None), getattr(_urlparse, "QUERY_SAFE", None)
    reference = getattr(httpx.URL("https://example.test/"), "_uri_reference", None)
    if not callable(quote) or not isinstance(safe, str) or not hasattr(reference, "_replace"):
        return None

    def with_query(url: httpx.URL, params: Any) -> httpx.URL:
        encoded = str(httpx.QueryParams(params))  # percent-encoded, as httpx encodes a merged query
        built = httpx.URL.__new__(httpx.URL)
        # The query normalised by httpx's own function, as its parser would; the rest was validated once already.
        built._uri_reference = url._uri_reference._replace(query=quote(encoded, safe=safe) if encoded else None)
        return built

    return with_query


#: Sets a request's query on its joined URL (see :class:`_PlatformClient`); None when httpx's internals differ.
_WITH_QUERY = _query_setter()


class _PlatformClient(httpx.Client):
    """``httpx.Client`` with :class:`_DiscardedCookies`, joining each path to the base URL once.

    httpx parses a request's URL three times: the path alone, the path joined to the base URL, and the join with
    the query added, checking every character each time. A plugin calls the same few paths over and over (a
    discovery walk, a report's pages), so the join is remembered per path, for the base URL it was made with
    (setting ``base_url`` joins afresh), and the query is encoded as httpx encodes it and set on the joined URL
    without parsing the rest again. The last reads httpx's internals (``httpx._urlparse``); where they differ, as
    in a later httpx they may, httpx merges the query itself. ``tests/toolkit/test_client.py`` holds both to
    httpx's own URLs, and fails when the faster way is no longer taken.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _DiscardedCookies(self._cookies)
        self._joined: dict[str, tuple[httpx.URL, httpx.URL]] = {}

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _DiscardedCookies(cookies)

    def build_request(self, method: str, url: httpx.URL | str, *, params: Any = None, **kwargs: Any) -> httpx.Request:
        if params is not None and _WITH_QUERY is not None and type(url) is str and not self.params:
            joined = self._merge_url(url)
            if joined.query == b"":  # a path with a query of its own: httpx merges the two
                return super().build_request(method, _WITH_QUERY(joined, params), **kwargs)
        return super().build_request(method, url, params=params, **kwargs)

    def _merge_url(self, url: httpx.URL | str) -> httpx.URL:
        if type(url) is not str:
            return super()._merge_url(url)
        base = self.base_url
        known = self._joined.get(url)
        if known is not None and known[0] is base:
            return known[1]
        joined = super()._merge_url(url)  # an httpx.URL cannot change: the same one is handed out again
        if known is not None or len(self._joined) < JOINED_PATHS:
            self._joined[url] = (base, joined)
        return joined


@attrs.define(kw_only=True, repr=False)
class _PlatformTransport(httpx.BaseTransport):
    config: ApiConfig
    inner: httpx.BaseTransport
    tokens: TokenSource | None
    limiter: RateLimiter | None
    secrets: Iterable[str] | Callable[[], Iterable[str]]
    clock: Clock
    sleep: Sleep
    wall: WallClock
    rng: random.Random

    def __repr__(self) -> str:
        return f"<creatorkit client transport for {self.config.platform!r} over {type(self.inner).__name__}>"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        options = request.extensions.get(EXTENSION)
        if not isinstance(options, CallOptions):
            options = CallOptions()
        deadline = deadline_on(options.deadline, self.clock, self.wall)
        idempotent = options.idempotent or request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers
        path = request.url.path
        where = f"{request.method} {path}"
        keys = {"endpoint": path, **options.keys}
        used: list[str] = []
        try:
            return call_with_retries(
                lambda: self._attempt(request, keys, deadline, where, used),
                policy=self.config.retry,
                idempotent=idempotent,
                clock=self.clock,
                sleep=self.sleep,
                rng=self.rng,
                deadline=deadline,
                describe=where,
            )
        except CreatorkitError as error:
            scrub(error, [*used, *self._secret_values(request)])
            raise

    def _secret_values(self, request: httpx.Request) -> list[str]:
        known = self.secrets() if callable(self.secrets) else self.secrets
        from_query = [v for k, v in request.url.params.multi_items() if k.lower() in SECRET_PARAMETERS]
        return [*known, *from_query]

    def _attempt(
        self, request: httpx.Request, keys: dict[str, str], deadline: float | None, where: str, used: list[str]
    ) -> httpx.Response:
        self._check_deadline(deadline, where)  # before the limiter: a call that cannot be sent spends no budget
        if self.limiter is not None:
            self.limiter.acquire(keys, deadline=deadline)
        token = self.tokens.access_token() if self.tokens is not None else None
        if token:
            used.append(token)
        error, response = self._exchange(request, token, deadline, where)
        if isinstance(error, AuthExpired) and self.tokens is not None and token:
            if error.revoked:
                raise self._named(error, "the access token was revoked")
            try:
                fresh = self.tokens.refresh(token)
            except AuthExpired as cannot:
                raise self._unrenewable(error, cannot) from cannot
            used.append(fresh)
            if self.limiter is not None:
                self.limiter.acquire(keys, deadline=deadline)
            error, response = self._exchange(request, fresh, deadline, where)
            if isinstance(error, AuthExpired):
                raise self._named(error, "the platform refused the refreshed token too")
        if isinstance(error, RateLimited) and self.limiter is not None and error.wait:
            self._hold(error, keys)
        if error is not None:
            raise error
        return response

    def _exchange(
        self, request: httpx.Request, token: str | None, deadline: float | None, where: str
    ) -> tuple[CreatorkitError | None, httpx.Response]:
        outgoing = self.config.token_placement.apply(request, token) if token else request
        outgoing.extensions["timeout"] = self._timeouts(request, deadline, where)
        platform = self.config.platform
        try:
            response = self.inner.handle_request(outgoing)
            response.read()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Transient(
                platform, f"{where}: could not connect ({type(exc).__name__})", code="connect", details={"sent": False}
            ) from exc
        except httpx.TimeoutException as exc:
            raise Transient(platform, f"{where}: timed out ({type(exc).__name__})", code="timeout") from exc
        except httpx.TransportError as exc:
            raise Transient(platform, f"{where}: {type(exc).__name__}", code="transport") from exc
        if log.isEnabledFor(logging.DEBUG):  # the masked URL is built only for a log that shows it
            log.debug("%s %s -> %d", request.method, mask_query(request.url), response.status_code)
        error = map_response(
            response,
            platform=platform,
            envelope=self.config.envelope,
            table=self.config.errors,
            now=self.wall(),
            where=where,
            wait_from=self.config.wait_from,
        )
        return error, response

    def _timeouts(self, request: httpx.Request, deadline: float | None, where: str) -> dict[str, float | None]:
        timeouts = dict(request.extensions.get("timeout") or httpx.Timeout(self.config.timeout).as_dict())
        if deadline is None:
            return timeouts
        left = self._check_deadline(deadline, where)
        return {name: left if value is None else min(value, left) for name, value in timeouts.items()}

    def _check_deadline(self, deadline: float | None, where: str) -> float:
        """The seconds left before ``deadline``; a ``Transient`` that was never sent once it has passed."""
        if deadline is None:
            return float("inf")
        left = deadline - self.clock()
        if left <= 0:
            raise Transient(
                self.config.platform,
                f"{where}: the call's deadline passed before it was sent",
                code="deadline",
                details={"sent": False, "source": "deadline"},
            )
        return left

    def _hold(self, error: RateLimited, keys: Mapping[str, str]) -> None:
        assert self.limiter is not None and error.wait is not None
        scoped = [b for b in self.limiter.budgets if b.scope == error.scope and b.applies(keys)]
        names = scoped[0].key if scoped else ()
        self.limiter.hold(error.scope or "platform", error.wait, **{name: keys[name] for name in names})

    def _named(self, error: AuthExpired, why: str) -> AuthExpired:
        """``error`` again, naming the connection or grant the token source belongs to and what to do."""
        source = self.tokens
        action = getattr(source, "action", None) or self.config.reconnect
        platform = self.config.platform
        if action is None:
            action = f"authorise {platform} again (`creatorkit connect {platform}`)"
        message = error.details.get("message") or why
        named = AuthExpired(
            platform,
            f"{why}: {message}" if message != why else why,
            connection_id=getattr(source, "connection_id", None),
            grant_id=getattr(source, "grant_id", None),
            action=action,
            revoked=error.revoked,
            code=error.code,
            request_id=error.request_id,
            details=error.details,
        )
        named.__cause__ = error
        return named

    def _unrenewable(self, error: AuthExpired, cannot: AuthExpired) -> AuthExpired:
        """The token source's refusal to renew (who, what to do), with the platform's code and request id kept:
        what support asks for is the answer that refused the token, not the refusal to renew it."""
        if cannot.code is not None or error.code is None:
            return cannot
        return AuthExpired(
            cannot.platform,
            cannot.reason,
            connection_id=cannot.connection_id,
            grant_id=cannot.grant_id,
            action=cannot.action,
            revoked=cannot.revoked or error.revoked,
            code=error.code,
            request_id=error.request_id,
            details={**error.details, **cannot.details},
        )

    def close(self) -> None:
        self.inner.close()
