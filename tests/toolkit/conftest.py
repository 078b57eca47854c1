"""A small platform built on the toolkit, the way a plugin would: a sandbox with tokens, and a client over it."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from creatorkit.toolkit import (
    PLAIN_ENVELOPE,
    PLAIN_ERRORS,
    ApiConfig,
    FakeClock,
    Fault,
    Population,
    RateBudget,
    RateLimiter,
    RefreshingToken,
    RetryPolicy,
    SandboxError,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
    TokenPlacement,
    build_client,
)

BASE_URL = "https://api.example.test/v1/"


class ExampleSandbox(SandboxTransport):
    """Posts by id, an order endpoint (POST), a search that only reads (POST), a token endpoint."""

    def __init__(self, clock: FakeClock, population: Population, **kw: Any) -> None:
        tokens = SandboxTokens(seed=3, clock=clock.monotonic)
        super().__init__(
            platform="example", seed=3, clock=clock.monotonic, sleep=clock.sleep, tokens=tokens, prefix="/v1", **kw
        )
        self.population = population
        self.orders: list[Any] = []
        self.route("GET", "/posts/{post_id}", self.get_post)
        self.route("POST", "/orders", self.place_order)
        self.route("POST", "/search", lambda request: {"items": [], "query": request.json()})
        self.route("POST", "/oauth/refresh", self.refresh, public=True)

    def get_post(self, request: SandboxRequest) -> dict[str, Any]:
        post = self.population.post(request.path_params["post_id"])
        if post is None:
            raise SandboxError(Fault.NOT_FOUND, f"no post {request.path_params['post_id']}")
        return {"id": post.post_id, "views": post.final.views, "likes": post.final.likes}

    def place_order(self, request: SandboxRequest) -> dict[str, Any]:
        self.orders.append(request.json())
        return {"order_id": f"o{len(self.orders)}"}

    def refresh(self, request: SandboxRequest) -> Any:
        issued = self.tokens.refresh(request.json()["refresh_token"]) if self.tokens else None
        if issued is None:
            raise SandboxError(Fault.REVOKED_TOKEN, "the refresh token is not valid")
        return {
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "expires_in": issued.expires_in,
        }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def population() -> Population:
    return Population(seed=11, size=5_000)


@pytest.fixture
def sandbox(clock: FakeClock, population: Population) -> ExampleSandbox:
    return ExampleSandbox(clock, population)


@pytest.fixture
def some_post_id(population: Population) -> str:
    account = next(population.on("tiktok"))
    return next(population.posts(account)).post_id


MakeClient = Callable[..., tuple[httpx.Client, RefreshingToken]]


@pytest.fixture
def make_client(clock: FakeClock, sandbox: ExampleSandbox) -> MakeClient:
    """A client with a refreshing token issued by the sandbox; keyword arguments override the defaults."""

    def make(
        *,
        budgets: tuple[RateBudget, ...] = (),
        placement: TokenPlacement | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        secrets: tuple[str, ...] = (),
    ) -> tuple[httpx.Client, RefreshingToken]:
        assert sandbox.tokens is not None
        issued = sandbox.tokens.issue("brand-1")
        refresh_token = [issued.refresh_token]
        if placement is not None:
            sandbox.placement = placement

        def renew() -> str:
            fresh = sandbox.tokens.refresh(refresh_token[0]) if sandbox.tokens else None
            if fresh is None:
                from creatorkit import AuthExpired

                raise AuthExpired(
                    "example", "the refresh token was refused", connection_id="conn-1", action="reconnect example"
                )
            refresh_token[0] = fresh.refresh_token
            return fresh.access_token

        tokens = RefreshingToken(issued.access_token, renew, connection_id="conn-1")
        config = ApiConfig(
            platform="example",
            base_url=BASE_URL,
            envelope=PLAIN_ENVELOPE,
            errors=PLAIN_ERRORS,
            retry=retry or RetryPolicy(),
            token_placement=placement or TokenPlacement.bearer(),
        )
        limiter = None
        if budgets:
            limiter = RateLimiter(budgets, platform="example", clock=clock.monotonic, sleep=clock.sleep)
        client = build_client(
            config,
            tokens=tokens,
            limiter=limiter,
            transport=transport or sandbox,
            clock=clock.monotonic,
            sleep=clock.sleep,
            wall=clock.now,
            rng=random.Random(5),
            secrets=secrets,
        )
        return client, tokens

    return make
