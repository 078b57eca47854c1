"""TikTok's APIs in memory, in TikTok's own shapes, over the toolkit's shared synthetic population.

The API for Business answers HTTP 200 with ``{"code", "message", "request_id", "data"}`` whatever went wrong, and
reads its token from the ``Access-Token`` header; the Display API (``open.tiktokapis.com``) answers ``{"data",
"error": {"code", "message", "log_id"}}`` with a real HTTP status and reads ``Authorization: Bearer``. Each part
of the plugin has its routes in a module here (``_marketplace``, ``_campaigns``, ``_spark``, ``_oauth``,
``_display``), installed on one :class:`TikTokSandbox`; the recorded responses in ``fixtures/`` (built from
TikTok's documentation and the Go SDK's models) are the shapes they answer in.

Beyond the toolkit's switches (``fail``, ``throttle``, ``latency``), :meth:`TikTokSandbox.answer_code` answers the
next calls with any code TikTok documents, so every code's mapping has a test.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
import httpx

from creatorkit import toolkit as tk

from . import _campaigns, _display, _marketplace, _oauth, _spark

__all__ = ["SANDBOX_ACCOUNT", "SANDBOX_ADVERTISER", "TikTokSandbox"]

#: The sandbox brand's TikTok One Creator Marketplace account and its ad account.
SANDBOX_ACCOUNT = "7300000000000000001"
SANDBOX_ADVERTISER = "7100000000000000001"
BUSINESS_HOST = "business-api.tiktok.com"
PREFIX = "/open_api/v1.3"

#: TikTok's code, message and (Display API) HTTP status and string code for each fault.
_BUSINESS_REPLIES: dict[tk.Fault, tuple[int, str]] = {
    tk.Fault.SERVER_ERROR: (50000, "System error, please try again later."),
    tk.Fault.EXPIRED_TOKEN: (40102, "Access token has expired, please call with the latest token."),
    tk.Fault.REVOKED_TOKEN: (40105, "The access token is invalid or has been revoked."),
    tk.Fault.INVALID_TOKEN: (40105, "The access token is invalid or incorrect."),
    tk.Fault.THROTTLED: (40100, "Requests made too frequently: the app reached its QPS limit."),
    tk.Fault.NOT_FOUND: (40007, "The object does not exist."),
    tk.Fault.INVALID_REQUEST: (40002, "Parameter error."),
}
_DISPLAY_REPLIES: dict[tk.Fault, tuple[int, str, str]] = {
    tk.Fault.SERVER_ERROR: (500, "internal_error", "Something went wrong on TikTok's side."),
    tk.Fault.EXPIRED_TOKEN: (401, "access_token_invalid", "The access token is invalid or not found."),
    tk.Fault.REVOKED_TOKEN: (401, "access_token_invalid", "The access token is invalid or not found."),
    tk.Fault.INVALID_TOKEN: (401, "access_token_invalid", "The access token is invalid or not found."),
    tk.Fault.THROTTLED: (429, "rate_limit_exceeded", "The API rate limit was exceeded."),
    tk.Fault.NOT_FOUND: (404, "invalid_params", "No such object."),
    tk.Fault.INVALID_REQUEST: (400, "invalid_params", "The request parameters are invalid."),
}


@attrs.frozen
class _EitherPlacement(tk.TokenPlacement):
    """Where the sandbox finds a token: ``Access-Token`` (API for Business) or ``Authorization: Bearer``."""

    def find(self, request: httpx.Request) -> str | None:
        if request.url.host == BUSINESS_HOST:
            return request.headers.get("Access-Token") or None
        value = request.headers.get("Authorization", "")
        return value.removeprefix("Bearer ") or None if value.startswith("Bearer ") else None


class TikTokSandbox(tk.SandboxTransport):
    """The API for Business (TikTok One, Spark Ads, creator tokens) and the Display API, in memory."""

    # What the parts keep, set by their install(): TikTok One campaigns by id, brand profiles by id and the
    # TCM_VIDEOS events the campaigns' links made (_campaigns); creators' Spark Ads codes (_spark).
    campaigns: dict[str, dict[str, Any]]
    brand_profiles: dict[str, dict[str, Any]]
    campaign_events: list[dict[str, Any]]
    spark_codes: dict[str, dict[str, Any]]

    def __init__(self, *, seed: int = 0, size: int = 2_000, **options: Any) -> None:
        clock = options.get("clock")
        tokens = tk.SandboxTokens(seed=seed, clock=clock) if clock else tk.SandboxTokens(seed=seed)
        super().__init__(platform="tiktok", seed=seed, tokens=tokens, placement=_EitherPlacement(), **options)
        self.issuer = tokens
        self.population = tk.Population(seed=seed, size=size)
        self.app_id, self.app_secret = "sandbox-app", f"sandbox-secret-{seed}"
        #: The sandbox brand's advertiser token: TikTok's never expire, they are only revoked.
        issued = tokens.issue(f"advertiser:{SANDBOX_ADVERTISER}", lifetime=2**40)
        self.brand_token = tk.StaticToken(issued.access_token, platform="tiktok")
        self._codes: list[tuple[int, str | None]] = []
        self._codes_lock = threading.Lock()
        for part in (_marketplace, _campaigns, _spark, _oauth, _display):
            part.install(self)

    def spark_code(self, post_id: str, days: int = 30, *, started_days_ago: int = 0) -> str:
        """The Spark Ads code a creator makes in the app for their post (see ``_spark.mint``)."""
        return _spark.mint(self, post_id, days, started_days_ago=started_days_ago)

    def webhook_body(self, sent_at: int) -> bytes:
        """A TCM_VIDEOS delivery's body about the campaigns' videos (see ``_campaigns.webhook_body``)."""
        return _campaigns.webhook_body(self, sent_at)

    # -- TikTok's switch: any documented code --------------------------------------------------------------------

    def answer_code(self, code: int, *, times: int = 1, message: str | None = None) -> None:
        """Answer the next ``times`` API for Business calls with ``code`` (HTTP 200, as TikTok does)."""
        with self._codes_lock:
            self._codes.extend([(code, message)] * times)

    def reset(self) -> None:
        super().reset()
        with self._codes_lock:
            self._codes.clear()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == BUSINESS_HOST:
            with self._codes_lock:
                pending = self._codes.pop(0) if self._codes else None
            if pending is not None:
                self._count("coded")
                code, message = pending
                return self._business_error(code, message or f"sandbox answer {code}")
        return super().handle_request(request)

    # -- envelopes -----------------------------------------------------------------------------------------------

    def refuse(self, code: int, message: str) -> httpx.Response:
        """What a handler returns to refuse with one of TikTok's codes (40121: not a marketplace creator, ...)."""
        return self._business_error(code, message)

    def _business_error(self, code: int, message: str) -> httpx.Response:
        body = {"code": code, "message": message, "request_id": self.request_id(), "data": {}}
        return httpx.Response(200, json=body)

    def ok(self, request: tk.SandboxRequest, data: Any) -> httpx.Response:
        if request.request.url.host == BUSINESS_HOST:
            body = {"code": 0, "message": "OK", "request_id": self.request_id(), "data": data}
            return httpx.Response(200, json=body)
        error = {"code": "ok", "message": "", "log_id": self.request_id()}
        return httpx.Response(200, json={"data": data, "error": error})

    def reply(
        self,
        fault: tk.Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        if request.url.host == BUSINESS_HOST:
            if fault is tk.Fault.SERVER_ERROR and status not in (None, 500):
                return httpx.Response(status or 502, text="<html>Bad Gateway</html>")  # a gateway's page, no code
            code, text = _BUSINESS_REPLIES[fault]
            return self._business_error(code, message or text)
        http_status, code_name, text = _DISPLAY_REPLIES[fault]
        headers = {"retry-after": str(max(1, round(wait)))} if wait is not None else {}
        error = {"code": code_name, "message": message or text, "log_id": self.request_id()}
        return httpx.Response(status or http_status, json={"data": {}, "error": error}, headers=headers)
