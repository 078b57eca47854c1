"""What every part of the TikTok plugin shares: its settings, its clients and limiters, and one call to TikTok.

The plugin is one class (:class:`~creatorkit_tiktok.TikTokPlatform`) made of a part per stage, each a mixin in
its own module (discovery and insights, campaigns, usage rights, webhooks, authorization); this base holds what
they all use. Live and sandbox share every line: in sandbox mode the transport is a
:class:`~creatorkit_tiktok.sandbox.TikTokSandbox` and the clock a fake one, nothing else changes.

Whose token a call carries: the caller's, from the call context (the brand's connection for TikTok One and Spark
Ads, the creator's grant for the Display API). Without one, live mode raises ``AuthExpired`` saying to connect;
sandbox mode uses the sandbox's own brand, so the conformance kit and the quickstart run without an OAuth flow.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from creatorkit import AuthExpired, CallContext
from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.errors import PlatformError

from . import _api as api
from .sandbox import SANDBOX_ACCOUNT, SANDBOX_ADVERTISER, TikTokSandbox

__all__ = ["SETTINGS_SCHEMA", "TikTokBase"]

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "app_id": {"type": "string", "minLength": 1, "description": "The app's id (Login Kit: client key)."},
        "app_secret": {"type": "string", "minLength": 8, "writeOnly": True, "description": "The app's secret."},
        "redirect_uri": {"type": "string", "format": "uri", "description": "The app's registered redirect URI."},
        "access_level": {
            "enum": sorted(api.LEVELS),
            "default": "basic",
            "description": "The app's API for Business access level: its per-app rate limits.",
        },
        "requests_per_second": {
            "type": "integer",
            "minimum": 1,
            "description": "A tighter QPS than the level's, for one process sharing the app with others.",
        },
        "tto_tcm_account_id": {
            "type": "string",
            "description": "The TikTok One Creator Marketplace account to act as, when a connection reaches several.",
        },
        "webhook_tolerance_seconds": {"type": "integer", "minimum": 1, "default": 300},
        "seed": {"type": "integer", "default": 0, "description": "Sandbox: the synthetic population's seed."},
    },
    "additionalProperties": False,
}


def _ids(value: str | None) -> list[str]:
    """The ids a connection's ``details`` keep under one name: comma-separated, as details hold only text."""
    return [part for part in (value or "").split(",") if part]


class TikTokBase:
    """Settings, clients and the one call every stage makes (see the module's docstring)."""

    name: str
    sandbox: TikTokSandbox | None

    def _configure(self, settings: Mapping[str, Any], mode: Mode) -> None:
        live = mode is Mode.LIVE
        fake = tk.FakeClock()  # the sandbox's time: its waits cost nothing and its answers repeat
        clock, sleep, wall = (time.monotonic, time.sleep, None) if live else (fake.monotonic, fake.sleep, fake.now)
        self.settings = dict(settings)
        self.sandbox = None if live else TikTokSandbox(seed=settings.get("seed", 0), clock=clock, sleep=sleep)
        self.as_of = None if self.sandbox is None else self.sandbox.population.as_of
        self.timing = (clock, sleep, wall)
        self.app_id = str(settings.get("app_id", "sandbox-app" if not live else ""))
        self.app_secret = str(settings.get("app_secret", "" if live else self._sandbox().app_secret))
        self.redirect_uri = settings.get("redirect_uri")
        level = settings.get("access_level", "basic")
        budgets = api.business_budgets(level, per_second=settings.get("requests_per_second"))
        self.limiter = tk.RateLimiter(budgets, platform=self.name, clock=clock, sleep=sleep)
        self.display_limiter = tk.RateLimiter(api.display_budgets(), platform=self.name, clock=clock, sleep=sleep)
        self.webhook_tolerance = int(settings.get("webhook_tolerance_seconds", 300))
        self._clients: dict[int, tuple[tk.TokenSource, httpx.Client]] = {}
        self._app_client = self._business_client(None)

    def _sandbox(self) -> TikTokSandbox:
        assert self.sandbox is not None, "sandbox mode only"
        return self.sandbox

    def _now(self) -> datetime:
        return self.as_of or datetime.now(UTC)

    # -- clients --------------------------------------------------------------------------------------------------

    def _business_client(self, tokens: tk.TokenSource | None) -> httpx.Client:
        clock, sleep, wall = self.timing
        config = tk.ApiConfig(
            platform=self.name,
            base_url=api.BUSINESS_API,
            envelope=api.BUSINESS,
            errors=api.BUSINESS_ERRORS,
            token_placement=tk.TokenPlacement.in_header("Access-Token"),
            reconnect="connect the brand's TikTok for Business account: `creatorkit connect tiktok`",
            wait_from=api.throttle_wait(wall or (lambda: datetime.now(UTC))),
        )
        return tk.build_client(
            config,
            tokens=tokens,
            limiter=self.limiter,
            transport=self.sandbox,
            secrets=lambda: [self.app_secret] if self.app_secret else [],
            clock=clock,
            sleep=sleep,
            wall=wall,
        )

    def _display_client(self, tokens: tk.TokenSource) -> httpx.Client:
        clock, sleep, _ = self.timing
        config = tk.ApiConfig(
            platform=self.name,
            base_url=api.DISPLAY_API,
            envelope=api.DISPLAY,
            errors=api.DISPLAY_ERRORS,
            token_placement=tk.TokenPlacement.bearer(),
            reconnect="ask the creator to grant access again: `creatorkit grant tiktok`",
        )
        return tk.build_client(
            config, tokens=tokens, limiter=self.display_limiter, transport=self.sandbox, clock=clock, sleep=sleep
        )

    def _client_for(self, tokens: tk.TokenSource) -> httpx.Client:
        """One client per token source (a call context's), kept while that source is: building one per call would
        cost more than the call (see bench/bench_tiktok.py)."""
        known = self._clients.get(id(tokens))
        if known is not None and known[0] is tokens:
            return known[1]
        if len(self._clients) > 64:  # contexts come and go; keep the recent ones only
            self._clients.clear()
        client = self._business_client(tokens)
        self._clients[id(tokens)] = (tokens, client)
        return client

    def _brand_tokens(self, context: CallContext | None) -> tk.TokenSource:
        """The brand's token: the context's connection, or in the sandbox its own brand's. A context with a grant
        carries the creator's token (``CallContext.tokens``), which never goes on a brand's call."""
        if context is not None and context.tokens is not None and context.grant is None:
            return context.tokens
        if self.sandbox is not None:
            return self.sandbox.brand_token
        raise AuthExpired(
            self.name,
            "TikTok One and Spark Ads calls need the brand's authorised TikTok for Business account"
            + (", not a creator's grant" if context is not None and context.grant is not None else ""),
            action="connect it: `creatorkit connect tiktok`",
        )

    def _grant_tokens(self, context: CallContext | None) -> tk.TokenSource:
        """The creator's token from the context's grant; never the brand's."""
        if context is not None and context.grant is not None and context.tokens is not None:
            return context.tokens
        raise AuthExpired(
            self.name,
            "TikTok One's authorised creator endpoints need the creator's own grant token",
            action="ask the creator to grant access: `creatorkit grant tiktok`",
        )

    def _account_id(self, context: CallContext | None) -> str:
        """The TikTok One Creator Marketplace account the brand acts as (``tto_tcm_account_id``)."""
        configured = self.settings.get("tto_tcm_account_id")
        if configured:
            return str(configured)
        connection = context.connection if context is not None else None
        if connection is not None:
            accounts = _ids(connection.details.get("tto_tcm_account_ids"))
            if accounts:
                return accounts[0]
        if self.sandbox is not None:
            return SANDBOX_ACCOUNT
        raise AuthExpired(
            self.name,
            "the connection reaches no TikTok One Creator Marketplace account",
            connection_id=connection.id if connection is not None else None,
            action="connect an account with TikTok One access, or set tto_tcm_account_id in [platforms.tiktok]",
        )

    def _advertiser_id(self, context: CallContext | None) -> str:
        """The brand's ad account Spark Ads rights are bound to: the connection's own account id."""
        connection = context.connection if context is not None else None
        if connection is not None:
            advertisers = _ids(connection.details.get("advertiser_ids")) or [connection.account_id]
            return advertisers[0]
        if self.sandbox is not None:
            return SANDBOX_ADVERTISER
        raise AuthExpired(
            self.name, "Spark Ads calls need the brand's ad account", action="`creatorkit connect tiktok`"
        )

    # -- one call -------------------------------------------------------------------------------------------------

    def _get(self, path: str, context: CallContext | None, *, as_creator: bool = False, **params: Any) -> Any:
        """GET ``path`` of the API for Business as the brand (``as_creator``: as the context's grant's creator);
        the ``data`` of TikTok's answer."""
        client = self._client_for(self._grant_tokens(context) if as_creator else self._brand_tokens(context))
        deadline = context.deadline if context is not None else None
        answer = client.get(path, params=api.query(params), extensions=tk.call_options(deadline=deadline))
        return self._data(path, answer)

    def _post(
        self, path: str, body: Mapping[str, Any], context: CallContext | None, *, idempotent: bool = False
    ) -> Any:
        """POST ``body`` to ``path`` as the brand; ``idempotent`` when sending it twice cannot do a thing twice."""
        client = self._client_for(self._brand_tokens(context))
        deadline = context.deadline if context is not None else None
        options = tk.call_options(deadline=deadline, idempotent=idempotent)
        answer = client.post(path, json={k: v for k, v in body.items() if v is not None}, extensions=options)
        return self._data(path, answer)

    def _app_post(self, path: str, body: Mapping[str, Any], context: CallContext | None = None) -> Any:
        """POST with the app's credentials in the body and no token (the OAuth and subscription endpoints)."""
        deadline = context.deadline if context is not None else None
        answer = self._app_client.post(path, json=dict(body), extensions=tk.call_options(deadline=deadline))
        return self._data(path, answer)

    def _data(self, path: str, answer: httpx.Response) -> Mapping[str, Any]:
        """The ``data`` object of a successful answer: ``{}`` when TikTok sent none, a ``PlatformError`` when it
        sent something other than an object (every caller reads it as one)."""
        data = api.BUSINESS.data_of(tk.body_of(answer))
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            raise PlatformError(
                self.name,
                f"{path}: TikTok answered a {type(data).__name__} as its data, not an object",
                details={"status": answer.status_code, "unparseable": True},
            )
        return data
