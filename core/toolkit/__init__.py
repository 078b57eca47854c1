"""The toolkit for plugin authors: what a real platform plugin is built from, so that it stays small.

- :func:`build_client` — an ``httpx.Client`` for one platform (:class:`ApiConfig`): base URL, a timeout on every
  call, the token from a :class:`TokenSource` (refreshed once on "expired", :class:`~creatorkit.errors.AuthExpired`
  when revoked or when refreshing fails), the :class:`RateLimiter`, retries (:class:`RetryPolicy`, on tenacity),
  the platform's answers mapped to typed errors through an :class:`Envelope` and an :class:`ErrorTable`, and no
  secret in any error, log record or repr. Per call: ``extensions=call_options(deadline=..., user=...)``.
- :class:`RateBudget` and :class:`RateLimiter` — the platform's published limits per scope (app, app and user,
  user per day), kept on an injected clock.
- :class:`SandboxTransport` — the platform's API in memory, with switches for latency, throttling and faults;
  :class:`SandboxTokens` issues and checks its tokens. Live and sandbox share every line of client code: only the
  transport differs.
- :class:`Population` — the deterministic synthetic people, accounts, audiences, rates and posts every sandbox
  serves.
- :func:`paginate` and :class:`Page` — a paged API walked to its end, never past ``max_pages``.
- :class:`FakeClock` — the clock and sleep a test injects everywhere above.
"""

from ._auth import RefreshingToken, StaticToken, TokenPlacement, TokenSource
from ._client import EXTENSION, ApiConfig, CallOptions, build_client, call_options
from ._clock import Clock, FakeClock, Sleep, WallClock, deadline_on
from ._limiter import DAY, HOUR, MINUTE, SECOND, SLOTS, RateBudget, RateLimiter
from ._mapping import (
    HTTP_STATUS_ERRORS,
    PLAIN_ENVELOPE,
    PLAIN_ERRORS,
    Envelope,
    ErrorRule,
    ErrorTable,
    body_of,
    map_response,
)
from ._paging import Page, Pages, paginate
from ._people import (
    AGE_BUCKETS,
    CATEGORIES,
    PROFILES,
    TIERS,
    Account,
    Audience,
    Person,
    PlatformProfile,
    Post,
    PostMetrics,
    RateQuote,
    Tier,
    tier_of,
)
from ._population import Population
from ._redact import SECRET_PARAMETERS, mask_query
from ._retry import IDEMPOTENT_METHODS, RetryPolicy, call_with_retries, parse_retry_after, retryable
from ._sandbox import (
    Fault,
    IssuedToken,
    SandboxError,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
    TokenState,
)

__all__ = [
    "AGE_BUCKETS",
    "CATEGORIES",
    "DAY",
    "EXTENSION",
    "HOUR",
    "HTTP_STATUS_ERRORS",
    "IDEMPOTENT_METHODS",
    "MINUTE",
    "PLAIN_ENVELOPE",
    "PLAIN_ERRORS",
    "PROFILES",
    "SECOND",
    "SECRET_PARAMETERS",
    "SLOTS",
    "TIERS",
    "Account",
    "ApiConfig",
    "Audience",
    "CallOptions",
    "Clock",
    "Envelope",
    "ErrorRule",
    "ErrorTable",
    "FakeClock",
    "Fault",
    "IssuedToken",
    "Page",
    "Pages",
    "Person",
    "PlatformProfile",
    "Population",
    "Post",
    "PostMetrics",
    "RateBudget",
    "RateLimiter",
    "RateQuote",
    "RefreshingToken",
    "RetryPolicy",
    "SandboxError",
    "SandboxRequest",
    "SandboxTokens",
    "SandboxTransport",
    "Sleep",
    "StaticToken",
    "Tier",
    "TokenPlacement",
    "TokenSource",
    "TokenState",
    "WallClock",
    "body_of",
    "build_client",
    "call_options",
    "call_with_retries",
    "deadline_on",
    "map_response",
    "mask_query",
    "paginate",
    "parse_retry_after",
    "retryable",
    "tier_of",
]
