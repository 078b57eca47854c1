"""The sandbox transport base: a platform's API answered in memory, with switches for what goes wrong.

A platform's sandbox is a :class:`SandboxTransport` (an ``httpx.BaseTransport``) handed to
:func:`~creatorkit.toolkit.build_client` instead of httpx's own, so live and sandbox share every line of client
code. It routes ``method`` + path templates (``/v1/creators/{handle}/posts``) to handler functions that read the
:class:`~creatorkit.toolkit.Population` and answer in the platform's JSON shapes; it checks the token each request
carries (:class:`SandboxTokens`, where the platform's placement puts it) as the real API would; and it has the
switches a test or the conformance kit flips:

- ``latency(seconds, jitter=)``: every call waits (on the injected sleep);
- ``throttle(limit, per=)``: at most ``limit`` calls in any ``per`` seconds of its clock, the rest answered
  ``THROTTLED`` (plain: 429 with ``Retry-After``; a platform: its own throttle envelope);
- ``fail(fault, times=N)`` or ``fail(fault, fraction=0.1)``: the next N calls, or that share of calls (drawn from
  the sandbox's seeded generator), answered with ``SERVER_ERROR`` (5xx), ``TIMEOUT`` (``httpx.ReadTimeout``
  raised), ``MALFORMED`` (a body cut in half), ``EXPIRED_TOKEN`` or ``REVOKED_TOKEN`` — optionally only on
  paths starting with ``path``.

A subclass gives the platform's shapes by overriding :meth:`SandboxTransport.ok` (a success's envelope) and
:meth:`SandboxTransport.reply` (each fault's and refusal's answer); the defaults answer in
:data:`~creatorkit.toolkit.PLAIN_ENVELOPE`. Everything is deterministic for a seed and an order of calls.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

from ._auth import TokenPlacement
from ._clock import Clock, Sleep

__all__ = ["Fault", "IssuedToken", "SandboxError", "SandboxRequest", "SandboxTokens", "SandboxTransport", "TokenState"]


class Fault(enum.StrEnum):
    """What a sandbox answer can be besides a success. The first six are switches (``fail``, ``throttle``);
    the rest are the sandbox's own refusals, answered in the platform's shape too."""

    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    EXPIRED_TOKEN = "expired_token"
    REVOKED_TOKEN = "revoked_token"
    THROTTLED = "throttled"
    INVALID_TOKEN = "invalid_token"
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"


_PLAIN_REPLIES: dict[Fault, tuple[int, str, str]] = {
    Fault.SERVER_ERROR: (500, "internal_error", "the sandbox failed, as asked"),
    Fault.EXPIRED_TOKEN: (401, "token_expired", "the access token has expired"),
    Fault.REVOKED_TOKEN: (401, "token_revoked", "the access token was revoked"),
    Fault.THROTTLED: (429, "rate_limited", "too many requests"),
    Fault.INVALID_TOKEN: (401, "invalid_token", "no valid access token"),
    Fault.NOT_FOUND: (404, "not_found", "no such resource"),
    Fault.INVALID_REQUEST: (400, "invalid_request", "the request is invalid"),
}


class SandboxError(Exception):
    """Raised by a handler to refuse a request in the platform's shape (``NOT_FOUND`` for an unknown handle)."""

    def __init__(self, fault: Fault, message: str | None = None) -> None:
        self.fault = fault
        self.message = message
        super().__init__(message or fault.value)


class TokenState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@attrs.frozen(repr=False)
class IssuedToken:
    """What a token endpoint answers: both tokens, their lifetimes in seconds, and whose they are."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    subject: str

    def __repr__(self) -> str:
        return f"IssuedToken(subject={self.subject!r}, expires_in={self.expires_in}, tokens='***')"


class SandboxTokens:
    """The tokens a sandbox has issued: deterministic per seed, expiring on its clock, refreshable (the refresh
    token rotates: the old one stops working) and revocable (a subject's every token at once)."""

    def __init__(
        self, *, seed: int = 0, clock: Clock = time.monotonic, lifetime: int = 7200, refresh_lifetime: int = 15552000
    ) -> None:
        self._seed, self._clock = seed, clock
        self.lifetime, self.refresh_lifetime = lifetime, refresh_lifetime
        self._issued = 0
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}  # token -> (subject, expires at)
        self._refresh: dict[str, tuple[str, float]] = {}
        self._revoked: set[str] = set()

    def __repr__(self) -> str:
        return f"SandboxTokens({len(self._access)} access tokens, values hidden)"

    def _new(self, kind: str) -> str:
        self._issued += 1
        digest = hashlib.sha256(f"{self._seed}:{kind}:{self._issued}".encode()).hexdigest()[:32]
        return f"sbx{kind}_{digest}"

    def issue(self, subject: str, *, lifetime: int | None = None) -> IssuedToken:
        with self._lock:
            now = self._clock()
            seconds = self.lifetime if lifetime is None else lifetime
            access, refresh = self._new("at"), self._new("rt")
            self._access[access] = (subject, now + seconds)
            self._refresh[refresh] = (subject, now + self.refresh_lifetime)
            self._revoked.discard(subject)
            return IssuedToken(access, refresh, seconds, self.refresh_lifetime, subject)

    def check(self, token: str | None) -> tuple[TokenState, str | None]:
        with self._lock:
            known = self._access.get(token or "")
            if known is None:
                return TokenState.UNKNOWN, None
            subject, expires_at = known
            if token in self._revoked or subject in self._revoked:
                return TokenState.REVOKED, subject
            if self._clock() >= expires_at:
                return TokenState.EXPIRED, subject
            return TokenState.VALID, subject

    def refresh(self, refresh_token: str) -> IssuedToken | None:
        """New tokens for a valid refresh token (which is used up), or None when it is unknown, used, expired
        or its subject's authorisation was revoked."""
        with self._lock:
            known = self._refresh.pop(refresh_token, None)
        if known is None or known[0] in self._revoked or self._clock() >= known[1]:
            return None
        return self.issue(known[0])

    def expire(self, token: str) -> None:
        with self._lock:
            if token in self._access:
                self._access[token] = (self._access[token][0], self._clock())

    def revoke(self, token_or_subject: str) -> None:
        """Revoke a subject's authorisation (given the subject or one of its access tokens)."""
        with self._lock:
            subject = self._access.get(token_or_subject, (token_or_subject, 0.0))[0]
            self._revoked.add(subject)


@attrs.frozen
class SandboxRequest:
    """What a handler sees: the request, the path's parameters, and whose token it carried (``subject``)."""

    request: httpx.Request
    path_params: Mapping[str, str]
    subject: str | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def params(self) -> httpx.QueryParams:
        return self.request.url.params

    def json(self) -> Any:
        """The JSON body (None when there is none); a body that is not JSON is the caller's mistake."""
        content = self.request.read()
        if not content:
            return None
        try:
            return json.loads(content)
        except ValueError:
            raise SandboxError(Fault.INVALID_REQUEST, "the body is not JSON") from None


Handler = Callable[[SandboxRequest], Any]


@attrs.define
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    public: bool


@attrs.define
class _Switch:
    fault: Fault
    times: int | None
    fraction: float | None
    path: str | None
    status: int


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


class SandboxTransport(httpx.BaseTransport):
    """Answers a platform's API from memory (see the module's docstring); subclass per platform."""

    def __init__(
        self,
        *,
        platform: str = "sandbox",
        seed: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        tokens: SandboxTokens | None = None,
        placement: TokenPlacement | None = None,
        prefix: str = "",
    ) -> None:
        self.platform, self.seed, self.prefix = platform, seed, prefix.rstrip("/")
        self.clock, self.sleep = clock, sleep
        self.tokens = tokens
        self.placement = placement or TokenPlacement.bearer()
        self.stats: Counter[str] = Counter()
        self.calls: list[str] = []
        self._routes: list[_Route] = []
        self._switches: list[_Switch] = []
        self._latency, self._jitter = 0.0, 0.0
        self._throttle: tuple[int, float] | None = None
        self._admitted: deque[float] = deque()
        self._faults_rng = random.Random(f"{seed}:faults")
        self._latency_rng = random.Random(f"{seed}:latency")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.platform!r} seed={self.seed}: {len(self._routes)} routes>"

    # -- routes --------------------------------------------------------------------------------------------------

    def route(self, method: str, template: str, handler: Handler | None = None, *, public: bool = False) -> Any:
        """Answer ``method`` on paths matching ``template`` (after the sandbox's ``prefix``) with ``handler``.

        Usable as a decorator. A handler returns an ``httpx.Response`` as it is, or data that :meth:`ok` wraps;
        it raises :class:`SandboxError` to refuse. ``public`` routes (token endpoints) need no token.
        """

        def register(function: Handler) -> Handler:
            self._routes.append(_Route(method.upper(), _compile(self.prefix + template), function, public))
            return function

        return register(handler) if handler is not None else register

    # -- switches ------------------------------------------------------------------------------------------------

    def latency(self, seconds: float, *, jitter: float = 0.0) -> None:
        """Every call waits ``seconds`` plus a seeded draw from ``[0, jitter]``."""
        self._latency, self._jitter = seconds, jitter

    def throttle(self, limit: int | None, per: float = 1.0) -> None:
        """Admit at most ``limit`` calls in any ``per`` seconds (None: no throttle)."""
        with self._lock:
            self._throttle = None if limit is None else (limit, per)
            self._admitted.clear()

    def fail(
        self,
        fault: Fault,
        *,
        times: int | None = None,
        fraction: float | None = None,
        path: str | None = None,
        status: int = 500,
    ) -> None:
        """Answer the next ``times`` calls (or a ``fraction`` of calls) with ``fault``; only on paths starting
        with ``path`` when given; ``status`` is the 5xx of ``SERVER_ERROR``."""
        if (times is None) == (fraction is None):
            raise ValueError("give either times or fraction")
        if fault not in (
            Fault.SERVER_ERROR,
            Fault.TIMEOUT,
            Fault.MALFORMED,
            Fault.EXPIRED_TOKEN,
            Fault.REVOKED_TOKEN,
            Fault.THROTTLED,
        ):
            raise ValueError(f"{fault} is not a switchable fault")
        with self._lock:
            self._switches.append(_Switch(fault, times, fraction, path, status))

    def reset(self) -> None:
        """Every switch off (latency, throttle, faults); routes, tokens and statistics stay."""
        with self._lock:
            self._switches.clear()
            self._throttle = None
            self._admitted.clear()
        self._latency = self._jitter = 0.0

    # -- the platform's shapes (override) ------------------------------------------------------------------------

    def _count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1

    def request_id(self) -> str:
        return f"sbx-{self.seed}-{self.stats['requests']:06d}"

    def ok(self, request: SandboxRequest, data: Any) -> httpx.Response:
        """A success carrying ``data``, in the platform's envelope (plain: the data itself)."""
        return httpx.Response(200, json=data, headers={"x-request-id": self.request_id()})

    def reply(
        self,
        fault: Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        """The answer for ``fault``, in the platform's shape (plain: HTTP status and ``{"error": {...}}``)."""
        default_status, code, text = _PLAIN_REPLIES[fault]
        headers = {"x-request-id": self.request_id()}
        if wait is not None:
            headers["retry-after"] = str(max(1, math.ceil(wait)))
        body = {"error": {"code": code, "message": message or text, "request_id": headers["x-request-id"]}}
        return httpx.Response(status or default_status, json=body, headers=headers)

    # -- one request ---------------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.stats["requests"] += 1
            self.calls.append(f"{request.method} {request.url.path}")
            delay = self._latency + (self._latency_rng.uniform(0, self._jitter) if self._jitter else 0.0)
        if delay:
            self.sleep(delay)
        switch = self._switch_for(request)
        if switch is not None and switch.fault is not Fault.MALFORMED:
            return self._fault(switch, request)
        throttled = self._throttled()
        if throttled is not None:
            self._count("throttled")
            return self.reply(Fault.THROTTLED, request, wait=throttled)
        response = self._answer(request)
        if switch is not None:  # MALFORMED: the real answer, cut off halfway
            self._count("malformed")
            response.read()
            return httpx.Response(
                200,
                content=response.content[: len(response.content) // 2],
                headers={"content-type": "application/json", "x-request-id": self.request_id()},
            )
        return response

    def _switch_for(self, request: httpx.Request) -> _Switch | None:
        with self._lock:
            for switch in self._switches:
                if switch.path is not None and not request.url.path.startswith(self.prefix + switch.path):
                    continue
                if switch.times is not None:
                    if switch.times <= 0:
                        continue
                    switch.times -= 1
                    return switch
                if switch.fraction is not None and self._faults_rng.random() < switch.fraction:
                    return switch
        return None

    def _fault(self, switch: _Switch, request: httpx.Request) -> httpx.Response:
        self._count(switch.fault.value)
        if switch.fault is Fault.TIMEOUT:
            raise httpx.ReadTimeout("the sandbox timed out, as asked", request=request)
        token = self.placement.find(request)
        if self.tokens is not None and token:
            if switch.fault is Fault.EXPIRED_TOKEN:
                self.tokens.expire(token)
            elif switch.fault is Fault.REVOKED_TOKEN:
                self.tokens.revoke(token)
        wait = 1.0 if switch.fault is Fault.THROTTLED else None
        return self.reply(
            switch.fault, request, wait=wait, status=switch.status if switch.fault is Fault.SERVER_ERROR else None
        )

    def _throttled(self) -> float | None:
        """None when the call is admitted (and counted); else the seconds until one would be."""
        with self._lock:
            if self._throttle is None:
                return None
            limit, per = self._throttle
            now = self.clock()
            while self._admitted and self._admitted[0] <= now - per:
                self._admitted.popleft()
            if len(self._admitted) >= limit:
                return self._admitted[0] + per - now
            self._admitted.append(now)
            return None

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        matching = [(r, m) for r in self._routes if (m := r.pattern.match(path))]
        chosen = next(((r, m) for r, m in matching if r.method == request.method), None)
        if chosen is None:
            return self.reply(
                Fault.NOT_FOUND if not matching else Fault.INVALID_REQUEST,
                request,
                message=f"no route for {request.method} {path}",
            )
        route, match = chosen
        subject = None
        if self.tokens is not None and not route.public:
            state, subject = self.tokens.check(self.placement.find(request))
            if state is not TokenState.VALID:
                self._count(f"token_{state.value}")
                fault = {TokenState.EXPIRED: Fault.EXPIRED_TOKEN, TokenState.REVOKED: Fault.REVOKED_TOKEN}
                return self.reply(fault.get(state, Fault.INVALID_TOKEN), request)
        try:
            result = route.handler(SandboxRequest(request, match.groupdict(), subject))
        except SandboxError as refusal:
            return self.reply(refusal.fault, request, message=refusal.message)
        self._count("served")
        return (
            result
            if isinstance(result, httpx.Response)
            else self.ok(SandboxRequest(request, match.groupdict(), subject), result)
        )
