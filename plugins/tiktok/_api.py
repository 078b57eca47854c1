"""TikTok's APIs as the plugin's client sees them: where they are, their envelopes, what every code means, the
published rate limits, and how TikTok's loosely typed values are read.

Two APIs are used:

- the **API for Business** (``business-api.tiktok.com/open_api/v1.3/``): TikTok One's Creator Marketplace
  (``tto/...``), Spark Ads (``tt_video/...``) and the creator token endpoints (``tt_user/...``). The token goes in
  the ``Access-Token`` header, without ``Bearer``. Every answer is HTTP 200 with ``{"code", "message",
  "request_id", "data"}``; ``code`` 0 is success, anything else an error, whatever the HTTP status. GET
  parameters that are lists are sent JSON-encoded in the query (``country_codes=["US"]``).
- **Login Kit and the Display API** (``open.tiktokapis.com/v2/``), for a creator's own organic data under their
  grant: ``Authorization: Bearer``, answers ``{"data", "error": {"code", "message", "log_id"}}`` with ``code``
  ``"ok"`` on success, and a meaningful HTTP status.

The facts (paths, codes, limits) are from TikTok's API for Business documentation as mapped by the Go SDK
``bububa/tiktok-business`` (``model/tto``, ``model/tcm``, ``model/ttvideo``) and developers.tiktok.com, checked in
December 2026; ``docs/platforms/tiktok.md`` lists each with its source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from creatorkit import AuthExpired, InvalidRequest, NotFound, NotSupported
from creatorkit import toolkit as tk
from creatorkit.errors import PlatformPermissionDenied, RateLimited, Transient

__all__ = [
    "AUTHORIZE_ADVERTISER",
    "AUTHORIZE_CREATOR",
    "BUSINESS",
    "BUSINESS_API",
    "BUSINESS_ERRORS",
    "BUSINESS_RULES",
    "DISPLAY",
    "DISPLAY_API",
    "DISPLAY_ERRORS",
    "LEVELS",
    "business_budgets",
    "display_budgets",
    "fraction",
    "instant",
    "number",
    "query",
    "throttle_wait",
]

BUSINESS_API = "https://business-api.tiktok.com/open_api/v1.3/"
DISPLAY_API = "https://open.tiktokapis.com/v2/"
#: Where a brand authorises the app on its TikTok for Business account (the advertiser and TikTok One access).
AUTHORIZE_ADVERTISER = "https://business-api.tiktok.com/portal/auth"
#: Where a creator authorises the app on their own TikTok account (Login Kit).
AUTHORIZE_CREATOR = "https://www.tiktok.com/v2/auth/authorize/"

#: The API for Business envelope. 20001 ("partially successful") is a success whose ``data`` says what failed.
BUSINESS = tk.Envelope(code="code", message="message", request_id="request_id", data="data", success_codes=(0, 20001))
#: The Display API envelope: ``error.code`` is ``"ok"`` on success.
DISPLAY = tk.Envelope(
    code="error.code",
    message="error.message",
    request_id="error.log_id",
    data="data",
    success_codes=("ok",),
    code_required=False,
)

#: Every code TikTok documents for the API for Business, by what it means to the caller. A code not listed is a
#: ``PlatformError`` with the code and request id kept; an HTTP error without a code body falls to plain HTTP.
BUSINESS_RULES = (
    # Throttling. 40100: the app's QPS, QPM or QPD was reached; after a per-minute hit TikTok asks for 5 minutes
    # (throttle_wait reads which one from the message). 40133: one advertiser's QPS on one path.
    tk.ErrorRule(RateLimited, codes=(40100,), scope="app_minute", wait=300),
    tk.ErrorRule(RateLimited, codes=(40016, 40132), scope="app_second", wait=1),
    tk.ErrorRule(RateLimited, codes=(40133,), scope="advertiser", wait=1),
    # Tokens. 40102: the access token expired (creator tokens): refresh and retry. 40105: invalid or revoked (an
    # advertiser token is never refreshed, only revoked). The rest: the authorisation itself is gone or wrong.
    tk.ErrorRule(AuthExpired, codes=(40102,)),
    tk.ErrorRule(AuthExpired, codes=(40105, 40103, 40107), revoked=True),
    tk.ErrorRule(AuthExpired, codes=(40101, 40104, 40106, 40108, 40109, 40110, 40113, 40115, 40116)),
    # Permission: the token or app may not do this (40130: the scope was not granted).
    tk.ErrorRule(PlatformPermissionDenied, codes=(40001, 40118, 40119, 40124, 40125, 40130, 41000)),
    # 40121: the TikTok user is not a Creator Marketplace creator; 40122: not in a marketplace region.
    tk.ErrorRule(NotFound, codes=(40007, 40121, 40122, 40300, 40301)),
    # The sandbox environment or this API version lacks the endpoint; 41001: the endpoint is offline.
    tk.ErrorRule(NotSupported, codes=(40008, 40009, 40013, 40014, 40010, 40051, 41001)),
    tk.ErrorRule(InvalidRequest, codes=(40000, 40002, 40006, 40011, 40050, 40053, 40700, 41002)),
    # TikTok's side: 50000 system error, 50002 processing error, 51xxx internal services, 60001 maintenance;
    # 40200-40202 async tasks not ready or a write conflict, which a retry may resolve.
    tk.ErrorRule(Transient, codes=(40200, 40201, 40202, 50000, 50002, 60001, *range(51000, 52000))),
)
BUSINESS_ERRORS = tk.ErrorTable(BUSINESS_RULES) + tk.HTTP_STATUS_ERRORS

#: The Display API's string codes (developers.tiktok.com "error handling"), then plain HTTP.
DISPLAY_ERRORS = (
    tk.ErrorTable(
        (
            tk.ErrorRule(AuthExpired, codes=("access_token_invalid",)),
            tk.ErrorRule(PlatformPermissionDenied, codes=("scope_not_authorized", "scope_permission_missed")),
            tk.ErrorRule(InvalidRequest, codes=("invalid_params", "invalid_request")),
            tk.ErrorRule(RateLimited, codes=("rate_limit_exceeded",), scope="display_minute", wait=60),
            tk.ErrorRule(Transient, codes=("internal_error", "timeout")),
        )
    )
    + tk.HTTP_STATUS_ERRORS
)

#: The API for Business's per-app limits by access level: calls per second, per minute, per day.
LEVELS: Mapping[str, tuple[int, int, int]] = {
    "basic": (10, 600, 864_000),
    "advanced": (20, 1_200, 1_728_000),
    "premium": (30, 1_800, 2_592_000),
    "ultimate": (50, 3_000, 4_320_000),
}


def business_budgets(level: str = "basic", *, per_second: int | None = None) -> tuple[tk.RateBudget, ...]:
    """The app's budgets at ``level``; ``per_second`` overrides the QPS (a tighter share for one process).

    The limiter's windows slide, so a daily budget kept this way also stays under TikTok's counter that resets at
    00:00 UTC, whichever moment its day starts.
    """
    qps, qpm, qpd = LEVELS[level]
    qps = per_second or qps
    return (
        tk.RateBudget("app_second", qps, tk.SECOND, burst=max(1, qps // 2)),
        tk.RateBudget("app_minute", qpm, tk.MINUTE),
        tk.RateBudget("app_day", qpd, tk.DAY),
    )


def display_budgets() -> tuple[tk.RateBudget, ...]:
    """600 calls a minute per Display API endpoint (a sliding window, TikTok says); a call names its endpoint."""
    return (tk.RateBudget("display_minute", 600, tk.MINUTE, key="endpoint"),)


def throttle_wait(wall: Callable[[], datetime]) -> Callable[[httpx.Response], float | None]:
    """How long a 40100 asks to wait: until 00:00 UTC for the daily limit, a second for the per-second one, and
    otherwise the 5 minutes TikTok asks for after a per-minute hit. None for any other answer."""

    def wait(response: httpx.Response) -> float | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("code") != 40100:
            return None
        message = str(body.get("message", "")).lower()
        if "qpd" in message or "day" in message:
            now = wall().astimezone(UTC)
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            return max(1.0, (midnight - now).total_seconds())
        if "qps" in message or "per second" in message:
            return 1.0
        return 300.0

    return wait


# -- request values -----------------------------------------------------------------------------------------------


def query(params: Mapping[str, Any]) -> dict[str, str]:
    """GET parameters as TikTok reads them: lists and objects JSON-encoded, booleans ``true``/``false``; None and
    empty lists left out (TikTok reads an empty filter as a filter that matches nothing)."""
    encoded: dict[str, str] = {}
    for name, value in params.items():
        if value is None or (isinstance(value, list | tuple | dict) and not value):
            continue
        if isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        elif isinstance(value, list | tuple | dict):
            encoded[name] = json.dumps(list(value) if isinstance(value, tuple) else value, separators=(",", ":"))
        else:
            encoded[name] = str(value)
    return encoded


# -- reading TikTok's values ------------------------------------------------------------------------------------
# TikTok sends numbers as numbers, quoted numbers or percent strings ("5.2%"), and times as unix seconds, unix
# milliseconds, "YYYY-MM-DD HH:MM:SS" (UTC) or ISO 8601. A value that is absent or unreadable is None, never 0.

_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


def number(value: Any) -> int | None:
    """A count: ``1200``, ``"1200"`` or ``1200.0``; None when absent or not a whole number."""
    if type(value) is int:  # what TikTok sends nearly always
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    return int(as_float) if as_float.is_integer() else None


def fraction(value: Any) -> float | None:
    """A rate as a fraction: ``0.052``, ``"0.052"`` or ``"5.2%"``; None when absent or unreadable."""
    if type(value) is float:  # what TikTok sends nearly always, and what this returns for it
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return float(match.group(1)) / 100
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def instant(value: Any) -> datetime | None:
    """A moment in UTC from any of TikTok's time formats; None when absent, zero or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        seconds = float(value)
        if not seconds > 0:  # zero, negative or NaN
            return None
        try:
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e12 else seconds, UTC)
        except (ValueError, OverflowError, OSError):  # past year 9999 (microseconds, a garbled figure)
            return None
    text = str(value).strip()
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
