"""The sandbox transport: routing, token checks like a real API, and every switch, deterministic per seed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from creatorkit import RateLimited
from creatorkit.toolkit import (
    ApiConfig,
    Envelope,
    ErrorRule,
    ErrorTable,
    FakeClock,
    Fault,
    RetryPolicy,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
    StaticToken,
    TokenPlacement,
    TokenState,
    build_client,
)

from .conftest import ExampleSandbox


def send(sandbox: httpx.BaseTransport, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(transport=sandbox, base_url="https://api.example.test") as client:
        return client.request(method, path, headers=headers, **kw)


@pytest.fixture
def token(sandbox: ExampleSandbox) -> str:
    assert sandbox.tokens is not None
    return sandbox.tokens.issue("brand-1").access_token


def test_routes_with_path_parameters(sandbox: ExampleSandbox, token: str, some_post_id: str) -> None:
    answer = send(sandbox, "GET", f"/v1/posts/{some_post_id}", token)
    assert answer.status_code == 200 and answer.json()["id"] == some_post_id
    assert answer.headers["x-request-id"].startswith("sbx-3-")
    assert send(sandbox, "GET", "/v1/posts/999", token).json()["error"]["code"] == "not_found"
    assert send(sandbox, "GET", "/v1/nothing", token).status_code == 404
    assert send(sandbox, "PUT", "/v1/orders", token).status_code == 400
    assert sandbox.calls[0] == f"GET /v1/posts/{some_post_id}"


def test_the_token_is_checked_like_a_real_api(
    sandbox: ExampleSandbox, token: str, clock: FakeClock, some_post_id: str
) -> None:
    path = f"/v1/posts/{some_post_id}"
    assert send(sandbox, "GET", path).json()["error"]["code"] == "invalid_token"
    assert send(sandbox, "GET", path, "made-up").json()["error"]["code"] == "invalid_token"
    clock.advance(7200)
    assert send(sandbox, "GET", path, token).json()["error"]["code"] == "token_expired"
    assert sandbox.tokens is not None
    fresh = sandbox.tokens.issue("brand-1").access_token
    sandbox.tokens.revoke("brand-1")
    assert send(sandbox, "GET", path, fresh).json()["error"]["code"] == "token_revoked"
    # a public route needs no token
    assert send(sandbox, "POST", "/v1/oauth/refresh", json={"refresh_token": "nope"}).status_code == 401


def test_tokens_rotate_on_refresh_and_are_deterministic(clock: FakeClock) -> None:
    tokens = SandboxTokens(seed=9, clock=clock.monotonic)
    first = tokens.issue("u1")
    again = SandboxTokens(seed=9, clock=clock.monotonic).issue("u1")
    assert (first.access_token, first.refresh_token) == (again.access_token, again.refresh_token)
    second = tokens.refresh(first.refresh_token)
    assert second is not None and second.access_token != first.access_token
    assert tokens.refresh(first.refresh_token) is None  # used up
    assert tokens.check(second.access_token) == (TokenState.VALID, "u1")
    tokens.expire(second.access_token)
    assert tokens.check(second.access_token)[0] is TokenState.EXPIRED
    assert tokens.check("nope") == (TokenState.UNKNOWN, None)


def test_latency_sleeps_on_the_injected_clock(
    sandbox: ExampleSandbox, token: str, clock: FakeClock, some_post_id: str
) -> None:
    sandbox.latency(0.25, jitter=0.1)
    for _ in range(3):
        send(sandbox, "GET", f"/v1/posts/{some_post_id}", token)
    assert len(clock.slept) == 3 and all(0.25 <= s <= 0.35 for s in clock.slept)
    sandbox.reset()
    send(sandbox, "GET", f"/v1/posts/{some_post_id}", token)
    assert len(clock.slept) == 3


def test_throttle_admits_the_limit_in_any_window(
    sandbox: ExampleSandbox, token: str, clock: FakeClock, some_post_id: str
) -> None:
    sandbox.throttle(3, per=1.0)
    statuses = [send(sandbox, "GET", f"/v1/posts/{some_post_id}", token).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = send(sandbox, "GET", f"/v1/posts/{some_post_id}", token)
    assert refused.headers["retry-after"] == "1"
    clock.advance(1.0)
    assert send(sandbox, "GET", f"/v1/posts/{some_post_id}", token).status_code == 200
    assert sandbox.stats["throttled"] == 3


def test_faults_for_the_next_calls(sandbox: ExampleSandbox, token: str, some_post_id: str) -> None:
    path = f"/v1/posts/{some_post_id}"
    sandbox.fail(Fault.SERVER_ERROR, times=2, status=503)
    assert [send(sandbox, "GET", path, token).status_code for _ in range(3)] == [503, 503, 200]
    sandbox.fail(Fault.TIMEOUT, times=1)
    with pytest.raises(httpx.ReadTimeout):
        send(sandbox, "GET", path, token)
    sandbox.fail(Fault.MALFORMED, times=1)
    broken = send(sandbox, "GET", path, token)
    with pytest.raises(ValueError):
        broken.json()
    sandbox.fail(Fault.SERVER_ERROR, times=1, path="/orders")
    assert send(sandbox, "GET", path, token).status_code == 200  # another path: untouched
    assert send(sandbox, "POST", "/v1/orders", token, json={}).status_code == 500


def test_token_faults_change_the_token_as_the_platform_would(
    sandbox: ExampleSandbox, token: str, some_post_id: str
) -> None:
    path = f"/v1/posts/{some_post_id}"
    sandbox.fail(Fault.EXPIRED_TOKEN, times=1)
    assert send(sandbox, "GET", path, token).json()["error"]["code"] == "token_expired"
    assert send(sandbox, "GET", path, token).json()["error"]["code"] == "token_expired"  # it stays expired
    assert sandbox.tokens is not None
    fresh = sandbox.tokens.issue("brand-1")
    sandbox.fail(Fault.REVOKED_TOKEN, times=1)
    assert send(sandbox, "GET", path, fresh.access_token).json()["error"]["code"] == "token_revoked"
    assert sandbox.tokens.refresh(fresh.refresh_token) is None  # revoking kills the refresh token too


def pattern(seed: int, clock: FakeClock, population: Any) -> list[int]:
    sandbox = ExampleSandbox(clock, population)
    sandbox._faults_rng.seed(f"{seed}:faults")
    assert sandbox.tokens is not None
    token = sandbox.tokens.issue("brand-1").access_token
    sandbox.fail(Fault.SERVER_ERROR, fraction=0.2)
    return [send(sandbox, "GET", "/v1/orders-not-here", token).status_code for _ in range(200)]


def test_a_fraction_of_faults_is_deterministic_per_seed(clock: FakeClock, population: Any) -> None:
    first, again, other = pattern(1, clock, population), pattern(1, clock, population), pattern(2, clock, population)
    assert first == again and first != other
    assert 25 <= first.count(500) <= 55  # a fifth of 200, give or take


def test_switches_are_checked() -> None:
    sandbox = SandboxTransport()
    with pytest.raises(ValueError):
        sandbox.fail(Fault.SERVER_ERROR)
    with pytest.raises(ValueError):
        sandbox.fail(Fault.NOT_FOUND, times=1)


class TikTokLikeSandbox(SandboxTransport):
    """A platform's own shapes: HTTP 200 always, ``code`` 0 for success, 40100 for throttling."""

    def ok(self, request: SandboxRequest, data: Any) -> httpx.Response:
        return httpx.Response(200, json={"code": 0, "message": "OK", "request_id": self.request_id(), "data": data})

    def reply(
        self,
        fault: Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        code = {Fault.THROTTLED: 40100, Fault.EXPIRED_TOKEN: 40102, Fault.INVALID_TOKEN: 40105}.get(fault, 50000)
        return httpx.Response(
            200, json={"code": code, "message": message or fault.value, "request_id": self.request_id(), "data": {}}
        )


def test_a_platform_envelope_through_the_client(clock: FakeClock) -> None:
    sandbox = TikTokLikeSandbox(
        platform="tiktokish",
        clock=clock.monotonic,
        sleep=clock.sleep,
        tokens=SandboxTokens(clock=clock.monotonic),
        placement=TokenPlacement.in_header("Access-Token"),
    )
    sandbox.route("GET", "/open_api/v1.3/tcm/creator/public/", lambda request: {"handle": request.params["h"]})
    assert sandbox.tokens is not None
    config = ApiConfig(
        platform="tiktokish",
        base_url="https://business-api.example.test/open_api/v1.3/",
        envelope=Envelope(code="code", message="message", request_id="request_id", data="data"),
        errors=ErrorTable((ErrorRule(RateLimited, codes=(40100,), scope="app", wait=2.0),)),
        token_placement=TokenPlacement.in_header("Access-Token"),
        retry=RetryPolicy(attempts=1),
    )
    client = build_client(
        config,
        tokens=StaticToken(sandbox.tokens.issue("adv").access_token),
        transport=sandbox,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    answer = client.get("tcm/creator/public/", params={"h": "mira"})
    assert config.envelope is not None and config.envelope.data_of(answer.json()) == {"handle": "mira"}
    sandbox.throttle(1)
    client.get("tcm/creator/public/", params={"h": "mira"})
    with pytest.raises(RateLimited) as raised:
        client.get("tcm/creator/public/", params={"h": "mira"})
    assert (raised.value.scope, raised.value.wait, raised.value.code) == ("app", 2.0, 40100)
