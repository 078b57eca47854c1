"""The client factory: auth injected and refreshed once, retries that honour the platform, POSTs sent once,
timeouts and deadlines on every call, throttles that hold the limiter, typed errors with the platform's facts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from creatorkit import AuthExpired, InvalidRequest, NotFound, PlatformError, RateLimited, Transient
from creatorkit.toolkit import (
    SECOND,
    ApiConfig,
    Envelope,
    ErrorRule,
    ErrorTable,
    FakeClock,
    Fault,
    RateBudget,
    RetryPolicy,
    SandboxRequest,
    StaticToken,
    TokenPlacement,
    build_client,
    call_options,
)

from .conftest import BASE_URL, ExampleSandbox, MakeClient


def test_a_call_carries_the_token_and_returns_the_answer(make_client: MakeClient, some_post_id: str) -> None:
    client, _ = make_client()
    response = client.get(f"posts/{some_post_id}")
    assert response.status_code == 200 and response.json()["id"] == some_post_id


def test_retry_honours_retry_after(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    client, _ = make_client()
    sandbox.fail(Fault.THROTTLED, times=2)  # answered 429 with Retry-After: 1
    assert client.get(f"posts/{some_post_id}").status_code == 200
    assert sandbox.stats["requests"] == 3
    assert len(clock.slept) == 2 and all(wait >= 1.0 for wait in clock.slept)


def test_retry_honours_an_http_date(make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock) -> None:
    client, _ = make_client()
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "Sun, 01 Nov 2026 00:00:20 GMT"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    sandbox.route("GET", "/flaky", lambda request: next(answers))
    assert client.get("flaky").json() == {"ok": True}
    assert clock.slept and clock.slept[0] >= 20.0


def test_backoff_is_full_jitter_under_the_cap(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    client, _ = make_client(retry=RetryPolicy(attempts=6, initial=0.5, maximum=2.0, total=60))
    sandbox.fail(Fault.SERVER_ERROR, times=5, status=502)
    assert client.get(f"posts/{some_post_id}").status_code == 200
    caps = [0.5, 1.0, 2.0, 2.0, 2.0]
    assert len(clock.slept) == 5 and all(0 <= w <= cap for w, cap in zip(clock.slept, caps, strict=True))
    assert len(set(clock.slept)) == 5  # drawn, not fixed


def test_attempts_are_capped_and_the_last_error_raised(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, _ = make_client(retry=RetryPolicy(attempts=3))
    sandbox.fail(Fault.SERVER_ERROR, times=10, status=503)
    with pytest.raises(Transient) as raised:
        client.get(f"posts/{some_post_id}")
    assert sandbox.stats["requests"] == 3
    assert raised.value.code == "internal_error" and raised.value.request_id


def test_total_time_caps_the_retries(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    client, _ = make_client(retry=RetryPolicy(attempts=10, total=5.0))
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"})] * 3 + [httpx.Response(200, json={})])
    sandbox.route("GET", "/slow", lambda request: next(answers))
    with pytest.raises(RateLimited) as raised:
        client.get("slow")
    assert raised.value.wait == 3.0 and sum(clock.slept) <= 5.0


def test_a_post_is_never_sent_twice(make_client: MakeClient, sandbox: ExampleSandbox) -> None:
    client, _ = make_client()
    sandbox.fail(Fault.SERVER_ERROR, times=1)
    with pytest.raises(Transient):
        client.post("orders", json={"creator": "a"})
    sandbox.fail(Fault.TIMEOUT, times=1)
    with pytest.raises(Transient) as raised:
        client.post("orders", json={"creator": "a"})
    assert raised.value.code == "timeout"
    sandbox.fail(Fault.THROTTLED, times=1)
    with pytest.raises(RateLimited):
        client.post("orders", json={"creator": "a"})
    assert sandbox.stats["requests"] == 3 and sandbox.orders == []


def test_a_post_with_an_idempotency_key_or_that_only_reads_is_retried(
    make_client: MakeClient, sandbox: ExampleSandbox
) -> None:
    client, _ = make_client()
    sandbox.fail(Fault.SERVER_ERROR, times=1)
    placed = client.post("orders", json={"creator": "a"}, headers={"Idempotency-Key": "op-1"})
    assert placed.json() == {"order_id": "o1"}
    sandbox.fail(Fault.TIMEOUT, times=1)
    found = client.post("search", json={"q": "x"}, extensions=call_options(idempotent=True))
    assert found.json()["query"] == {"q": "x"}
    assert sandbox.stats["requests"] == 4


def test_a_post_that_never_left_is_retried(clock: FakeClock) -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"order_id": "o1"})

    config = ApiConfig(platform="example", base_url="https://api.example.test/")
    client = build_client(config, transport=httpx.MockTransport(handler), clock=clock.monotonic, sleep=clock.sleep)
    assert client.post("orders", json={}).json() == {"order_id": "o1"} and len(attempts) == 2


def test_an_expired_token_is_refreshed_once(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, tokens = make_client()
    first = tokens.access_token()
    sandbox.fail(Fault.EXPIRED_TOKEN, times=1)
    assert client.get(f"posts/{some_post_id}").status_code == 200
    assert tokens.refreshes == 1 and tokens.access_token() != first


def test_refresh_once_then_auth_expired(make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str) -> None:
    client, tokens = make_client()
    sandbox.fail(Fault.EXPIRED_TOKEN, times=2)
    with pytest.raises(AuthExpired) as raised:
        client.get(f"posts/{some_post_id}")
    assert tokens.refreshes == 1 and sandbox.stats["requests"] == 2
    error = raised.value
    assert error.connection_id == "conn-1" and not error.revoked and error.action
    assert "refreshed token too" in str(error) and error.code == "token_expired"


def test_a_token_that_expired_on_the_sandbox_clock_is_refreshed(
    make_client: MakeClient, clock: FakeClock, some_post_id: str
) -> None:
    client, tokens = make_client()
    clock.advance(7201)  # the sandbox's tokens live two hours
    assert client.get(f"posts/{some_post_id}").status_code == 200
    assert tokens.refreshes == 1


def test_a_revoked_token_raises_at_once(make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str) -> None:
    client, tokens = make_client()
    sandbox.fail(Fault.REVOKED_TOKEN, times=1)
    with pytest.raises(AuthExpired) as raised:
        client.get(f"posts/{some_post_id}")
    assert raised.value.revoked and raised.value.connection_id == "conn-1" and tokens.refreshes == 0
    assert "creatorkit connect example" in str(raised.value)


def test_a_failed_refresh_is_auth_expired_naming_the_connection(
    make_client: MakeClient, clock: FakeClock, some_post_id: str
) -> None:
    client, tokens = make_client()
    clock.advance(200 * 86400)  # past the refresh token's 180 days too
    with pytest.raises(AuthExpired) as raised:
        client.get(f"posts/{some_post_id}")
    assert raised.value.connection_id == "conn-1" and raised.value.action == "reconnect example"
    assert tokens.refreshes == 0


def test_a_withdrawn_authorisation_is_revoked(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, tokens = make_client()
    assert sandbox.tokens is not None
    sandbox.tokens.revoke("brand-1")  # the owner withdrew it: the sandbox answers as the platform would
    with pytest.raises(AuthExpired) as raised:
        client.get(f"posts/{some_post_id}")
    assert raised.value.revoked and tokens.refreshes == 0


def test_a_static_token_cannot_be_refreshed(clock: FakeClock) -> None:
    config = ApiConfig(platform="example", base_url="https://api.example.test/")
    answers = httpx.MockTransport(lambda request: httpx.Response(401))
    client = build_client(
        config,
        tokens=StaticToken("t0ken-value", platform="example", connection_id="c9"),
        transport=answers,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    with pytest.raises(AuthExpired) as raised:
        client.get("me")
    assert raised.value.connection_id == "c9"


def test_a_token_that_cannot_be_renewed_keeps_the_platforms_code_and_request_id(clock: FakeClock) -> None:
    envelope = Envelope(code="error.code", request_id="error.request_id", code_required=False, success_codes=())
    errors = ErrorTable((ErrorRule(AuthExpired, codes=("token_expired",)),))
    config = ApiConfig(platform="example", base_url="https://api.example.test/", envelope=envelope, errors=errors)
    body = {"error": {"code": "token_expired", "request_id": "req-77"}}
    client = build_client(
        config,
        tokens=StaticToken("t0ken-value", platform="example", connection_id="c9", action="connect again"),
        transport=httpx.MockTransport(lambda request: httpx.Response(401, json=body)),
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    with pytest.raises(AuthExpired) as raised:
        client.get("me")
    error = raised.value
    assert (error.code, error.request_id, error.connection_id, error.action) == (
        "token_expired",
        "req-77",
        "c9",
        "connect again",
    )
    assert "cannot be refreshed" in str(error), "the token source's reason is kept too"


def test_typed_errors_carry_code_and_request_id(make_client: MakeClient) -> None:
    client, _ = make_client()
    with pytest.raises(NotFound) as missing:
        client.get("posts/999")
    assert vars(missing.value)["request_id"] and vars(missing.value)["code"] == "not_found"
    with pytest.raises(NotFound):
        client.get("nowhere")
    with pytest.raises(InvalidRequest):
        client.delete("orders")  # a known path, another method


def test_a_malformed_body_is_a_platform_error(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, _ = make_client()
    sandbox.fail(Fault.MALFORMED, times=1)
    with pytest.raises(PlatformError) as raised:
        client.get(f"posts/{some_post_id}")
    assert type(raised.value) is PlatformError and "unparseable" in str(raised.value)


def test_timeouts_are_transient_and_retried(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, _ = make_client()
    sandbox.fail(Fault.TIMEOUT, times=2)
    assert client.get(f"posts/{some_post_id}").status_code == 200 and sandbox.stats["timeout"] == 2


def test_every_call_has_a_timeout_no_longer_than_its_deadline(clock: FakeClock) -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    config = ApiConfig(platform="example", base_url="https://api.example.test/", timeout=8.0)
    client = build_client(config, transport=httpx.MockTransport(handler), clock=clock.monotonic, sleep=clock.sleep)
    client.get("a")
    client.get("b", extensions=call_options(deadline=clock.monotonic() + 2.5))
    assert set(seen[0].values()) == {8.0} and set(seen[1].values()) == {2.5}
    with pytest.raises(Transient) as raised:
        client.get("c", extensions=call_options(deadline=clock.monotonic() - 1))
    assert raised.value.code == "deadline" and len(seen) == 2


def test_a_datetime_deadline_works_on_the_wall_clock(clock: FakeClock) -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    from datetime import timedelta

    config = ApiConfig(platform="example", base_url="https://api.example.test/")
    client = build_client(
        config, transport=httpx.MockTransport(handler), clock=clock.monotonic, sleep=clock.sleep, wall=clock.now
    )
    client.get("a", extensions=call_options(deadline=clock.now() + timedelta(seconds=3)))
    assert set(seen[0].values()) == {3.0}


def test_the_limiter_keeps_the_client_under_the_sandbox_throttle(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, _ = make_client(budgets=(RateBudget("app", 5, SECOND),))
    sandbox.throttle(5, per=1.0)
    for _ in range(40):
        client.get(f"posts/{some_post_id}")
    assert sandbox.stats["throttled"] == 0 and sandbox.stats["served"] == 40


def test_a_limiter_wait_past_the_deadline_is_raised_not_retried(
    make_client: MakeClient, clock: FakeClock, some_post_id: str
) -> None:
    client, _ = make_client(budgets=(RateBudget("app", 1, SECOND),))
    client.get(f"posts/{some_post_id}")
    with pytest.raises(RateLimited) as raised:
        client.get(f"posts/{some_post_id}", extensions=call_options(deadline=clock.monotonic() + 0.2))
    assert raised.value.scope == "app" and (raised.value.wait or 0) > 0.2 and clock.slept == []


def test_a_platform_throttle_holds_the_budget_it_names(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    client, _ = make_client(budgets=(RateBudget("app", 100, SECOND),), retry=RetryPolicy(attempts=1))
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"})])
    sandbox.route("GET", "/busy", lambda request: next(answers))
    with pytest.raises(RateLimited):
        client.get("busy")
    client.get(f"posts/{some_post_id}")  # any call now waits out the stated 30 s first
    assert sum(clock.slept) >= 30.0


def test_the_token_goes_where_the_platform_wants_it(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    for placement in (TokenPlacement.bearer(), TokenPlacement.in_header("Access-Token"), TokenPlacement.in_query()):
        config = ApiConfig(platform="example", base_url="https://api.example.test/", token_placement=placement)
        client = build_client(
            config,
            tokens=StaticToken("tok-123"),
            transport=httpx.MockTransport(handler),
            clock=clock.monotonic,
            sleep=clock.sleep,
        )
        client.get("me")
        assert placement.find(seen[-1]) == "tok-123"
    assert seen[0].headers["authorization"] == "Bearer tok-123"
    assert seen[1].headers["access-token"] == "tok-123"
    assert seen[2].url.params["access_token"] == "tok-123"


def test_many_threads_refresh_an_expired_token_once(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    import threading

    client, tokens = make_client()
    clock.advance(7201)  # every thread finds the token expired
    failures: list[BaseException] = []

    def fetch() -> None:
        try:
            client.get(f"posts/{some_post_id}")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and tokens.refreshes == 1


def test_a_body_is_decoded_once_however_often_it_is_read() -> None:
    from creatorkit.toolkit import body_of

    first = httpx.Response(200, json={"data": {"items": [1, 2]}})
    decoded = body_of(first)
    assert body_of(first) is decoded, "the mapping's decoding is reused, not redone"
    second = httpx.Response(200, json={"data": {"items": [3]}})
    assert body_of(second) == {"data": {"items": [3]}}, "each response decodes its own body"
    with pytest.raises(ValueError):
        body_of(httpx.Response(200, content=b"{not json"))


def test_a_cookie_an_answer_sets_rides_along_no_later_call(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    """Platform APIs authenticate by token: a cookie one answer sets must not reach the next call."""
    seen: list[str | None] = []

    def setting(request: SandboxRequest) -> httpx.Response:
        seen.append(request.request.headers.get("cookie"))
        return httpx.Response(200, json={"ok": True}, headers={"set-cookie": "session=abc; Path=/"})

    sandbox.route("GET", "/session", setting)
    client, _ = make_client()
    client.get("session")
    client.get("session")
    assert seen == [None, None] and not client.cookies
    client.cookies.set("chosen", "by-the-caller")  # one the caller sets on purpose is sent
    client.get("session")
    assert seen[-1] == "chosen=by-the-caller"
    client.cookies = {"replaced": "too"}
    client.get("session")
    assert seen[-1] == "replaced=too" and dict(client.cookies) == {"replaced": "too"}


def test_a_path_joined_to_the_base_url_once_follows_a_new_base_url(
    make_client: MakeClient, sandbox: ExampleSandbox, some_post_id: str
) -> None:
    client, _ = make_client()
    first = client.build_request("GET", f"posts/{some_post_id}", params={"page": 1})
    again = client.build_request("GET", f"posts/{some_post_id}", params={"page": 2})
    assert str(first.url) == f"https://api.example.test/v1/posts/{some_post_id}?page=1"
    assert str(again.url) == f"https://api.example.test/v1/posts/{some_post_id}?page=2"
    client.base_url = httpx.URL("https://eu.api.example.test/v2/")
    moved = client.build_request("GET", f"posts/{some_post_id}")
    assert str(moved.url) == f"https://eu.api.example.test/v2/posts/{some_post_id}", "the old base's join was reused"
    assert str(client.build_request("GET", "https://other.example.test/x").url) == "https://other.example.test/x"


def test_paths_past_the_join_table_are_joined_afresh(make_client: MakeClient) -> None:
    from creatorkit.toolkit._client import JOINED_PATHS

    client, _ = make_client()
    for number in range(JOINED_PATHS + 5):
        assert str(client.build_request("GET", f"posts/{number}").url) == f"{BASE_URL}posts/{number}"
    assert str(client.build_request("GET", "posts/0").url) == f"{BASE_URL}posts/0"
    assert len(client._joined) == JOINED_PATHS, "the table grew past its bound"  # type: ignore[attr-defined]


def test_a_repeated_call_with_a_query_parses_no_url_again(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path's join is remembered and the query set on it: httpx's URL parser is not run for the call."""
    import httpx._urls

    client, _ = make_client()
    client.build_request("GET", "posts/7", params={"page": 1})  # the join is made once
    parsed: list[str] = []
    real = httpx._urls.urlparse  # type: ignore[attr-defined]

    def counting(url: str = "", **kwargs: Any) -> Any:
        parsed.append(url)
        return real(url, **kwargs)

    monkeypatch.setattr(httpx._urls, "urlparse", counting)
    request = client.build_request("GET", "posts/7", params={"page": 2, "q": "a b"})
    assert str(request.url) == f"{BASE_URL}posts/7?page=2&q=a+b" and parsed == []


def test_a_first_attempt_that_fails_for_good_is_raised_without_a_retry(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock
) -> None:
    client, _ = make_client()
    with pytest.raises(NotFound):
        client.get("posts/no-such-post")
    assert sandbox.stats["requests"] == 1 and clock.slept == []


def test_a_retried_call_sends_each_attempt_once(
    make_client: MakeClient, sandbox: ExampleSandbox, clock: FakeClock, some_post_id: str
) -> None:
    """The first attempt is made before the retry machinery exists; the failure it had is not sent again."""
    client, _ = make_client(retry=RetryPolicy(attempts=2, initial=0.25, maximum=0.25))
    sandbox.fail(Fault.SERVER_ERROR, times=1)
    assert client.get(f"posts/{some_post_id}").status_code == 200
    assert sandbox.stats["requests"] == 2 and len(clock.slept) == 1 and 0 <= clock.slept[0] <= 0.25
    sandbox.fail(Fault.SERVER_ERROR, times=2)
    with pytest.raises(Transient):
        client.get(f"posts/{some_post_id}")
    assert sandbox.stats["requests"] == 4 and len(clock.slept) == 2


QUERIES: tuple[Any, ...] = (
    {"page": 3, "page_size": 20, "tto_tcm_account_id": "7300000000000000001"},
    {"q": "café & crème", "tags": ["a b", "c+d", "é"], "empty": ""},
    {"filters": '{"country_codes":["US","GB"],"followers":{"min":1000}}', "x": "/?#[]@!$&'()*+,;="},
    [("same", "1"), ("same", "2"), ("π", "√2 %41")],
    {"flag": True, "none": None, "number": 1.5},
    {},
    httpx.QueryParams("a=1&b=%20x"),
)


@pytest.mark.parametrize("params", QUERIES, ids=range(len(QUERIES)))
def test_a_query_is_set_on_the_joined_url_as_httpx_would_set_it(make_client: MakeClient, params: Any) -> None:
    from creatorkit.toolkit._client import _WITH_QUERY

    assert _WITH_QUERY is not None, "this httpx's URL internals changed: the client parses every URL again"
    client, _ = make_client()
    plain = httpx.Client(base_url=BASE_URL)
    for path in ("posts/7", "search", "tto/tcm/creator/discover/", "https://other.example.test/x", "posts/7?from=a"):
        ours = client.build_request("GET", path, params=params)
        theirs = plain.build_request("GET", path, params=params)
        assert ours.url == theirs.url and str(ours.url) == str(theirs.url) and ours.url.raw_path == theirs.url.raw_path
        assert ours.url.params == theirs.url.params and ours.headers["host"] == theirs.headers["host"]
