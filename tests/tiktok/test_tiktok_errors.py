"""Every code TikTok documents for the API for Business becomes the typed error its table says, with TikTok's
request id kept; so does every fault the sandbox can inject; a throttle waits as long as TikTok asks; the rate
budgets are TikTok's for each access level.

The probe is one plain call of the plugin's client (``tto/oauth2/tcm/``, the connection's account list, whose
route this part owns), so these tests stand on their own whatever the other stages do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok import _api as api
from creatorkit_tiktok.sandbox import TikTokSandbox

from creatorkit import AuthExpired, CallContext, NotFound
from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.errors import CreatorkitError, PlatformError, RateLimited, Transient
from creatorkit.testing import network_disabled

#: Enough answers with a code to outlast the toolkit's retries and one refresh.
EVERY_ATTEMPT = 50


@pytest.fixture
def plugin() -> Iterator[TikTokPlatform]:
    with network_disabled():
        yield TikTokPlatform()


def _sandbox(plugin: TikTokPlatform) -> TikTokSandbox:
    assert plugin.sandbox is not None
    return plugin.sandbox


def _probe(plugin: TikTokPlatform, context: CallContext | None = None) -> object:
    return plugin._get("tto/oauth2/tcm/", context, app_id=plugin.app_id, secret=plugin.app_secret)


def _refreshing(sandbox: TikTokSandbox) -> CallContext:
    """A context whose token refreshes once into a good one, as a connection's kept by the core would."""
    first, second = sandbox.issuer.issue("advertiser:probe:1"), sandbox.issuer.issue("advertiser:probe:2")
    return CallContext(tokens=tk.RefreshingToken(first.access_token, renew=lambda: second.access_token))


def _raised(plugin: TikTokPlatform, code: int, message: str | None = None) -> CreatorkitError:
    sandbox = _sandbox(plugin)
    sandbox.answer_code(code, times=EVERY_ATTEMPT, message=message)
    try:
        with pytest.raises(CreatorkitError) as caught:
            _probe(plugin, _refreshing(sandbox))
    finally:
        sandbox.reset()
    return caught.value


_CODES = [(code, index) for index, rule in enumerate(api.BUSINESS_RULES) for code in sorted(rule.codes, key=int)]


@pytest.mark.parametrize("index", range(len(api.BUSINESS_RULES)))
def test_every_documented_code_raises_its_typed_error_with_the_request_id(plugin: TikTokPlatform, index: int) -> None:
    rule = api.BUSINESS_RULES[index]
    for code in sorted(rule.codes, key=int):
        error = _raised(plugin, int(code))
        assert isinstance(error, rule.error), f"{code} raised {type(error).__name__}, not {rule.error.__name__}"
        assert isinstance(error, PlatformError | NotFound)
        assert str(error.code) == code, f"{code}: the error says code {error.code}"
        assert error.request_id and error.request_id.startswith("sbx-"), f"{code}: TikTok's request id was lost"
        if isinstance(error, AuthExpired):
            assert error.revoked is rule.revoked, f"{code}: revoked should be {rule.revoked}"
        if isinstance(error, RateLimited):
            assert error.scope == rule.scope and error.wait is not None and error.wait > 0
        assert _probe(plugin), f"after {code} the next call succeeds: nothing was left broken"


def test_the_table_holds_every_code_once() -> None:
    seen = [code for code, _ in _CODES]
    assert len(seen) == len(set(seen)), "a code in two rules: only the first would ever apply"


def test_an_unlisted_code_is_a_platform_error_with_its_code(plugin: TikTokPlatform) -> None:
    listed = {int(code) for code, _ in _CODES}
    unlisted = next(code for code in range(40000, 50000) if code not in listed)
    error = _raised(plugin, unlisted, message="something TikTok has not documented")
    assert type(error) is PlatformError and error.code == unlisted
    assert error.request_id and "something TikTok has not documented" in str(error)


def test_a_gateway_page_without_json_is_transient_after_retries(plugin: TikTokPlatform) -> None:
    sandbox = _sandbox(plugin)
    sandbox.fail(tk.Fault.SERVER_ERROR, times=EVERY_ATTEMPT, status=502)
    before = sandbox.stats["requests"]
    with pytest.raises(Transient) as caught:
        _probe(plugin)
    assert sandbox.stats["requests"] - before > 1, "a 502 is retried before it is given up"
    assert caught.value.details.get("status") == 502


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (tk.Fault.SERVER_ERROR, Transient),
        (tk.Fault.TIMEOUT, Transient),
        (tk.Fault.MALFORMED, PlatformError),
        (tk.Fault.EXPIRED_TOKEN, AuthExpired),
        (tk.Fault.REVOKED_TOKEN, AuthExpired),
        (tk.Fault.THROTTLED, RateLimited),
    ],
)
def test_every_injected_fault_is_a_typed_error(
    plugin: TikTokPlatform, fault: tk.Fault, expected: type[PlatformError]
) -> None:
    sandbox = _sandbox(plugin)
    sandbox.fail(fault, times=EVERY_ATTEMPT)
    with pytest.raises(expected) as caught:
        _probe(plugin)
    if fault is tk.Fault.REVOKED_TOKEN:
        assert caught.value.revoked  # type: ignore[attr-defined]
    if fault is tk.Fault.THROTTLED:
        assert caught.value.wait == 1.0, "the sandbox's message names the QPS limit: a second"  # type: ignore[attr-defined]


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(plugin: TikTokPlatform) -> None:
    sandbox = _sandbox(plugin)
    context = _refreshing(sandbox)
    sandbox.answer_code(40102)
    assert _probe(plugin, context)
    assert context.tokens is not None and context.tokens.refreshes == 1  # type: ignore[attr-defined]


# -- how long a 40100 waits -----------------------------------------------------------------------------------

WALL = datetime(2026, 11, 18, 21, 30, 15, tzinfo=UTC)


def _throttled(message: str, code: int = 40100) -> httpx.Response:
    return httpx.Response(200, json={"code": code, "message": message, "request_id": "r1", "data": {}})


@pytest.mark.parametrize(
    ("message", "wait"),
    [
        ("Requests made too frequently: the app reached its QPS limit.", 1.0),
        ("Too many requests per second.", 1.0),
        ("Requests made too frequently.", 300.0),
        ("The app reached its QPM limit.", 300.0),
        ("The app reached its QPD limit.", 2 * 3600 + 29 * 60 + 45.0),
        ("Daily request limit reached, try again another day.", 2 * 3600 + 29 * 60 + 45.0),
    ],
)
def test_a_40100_waits_as_long_as_tiktok_asks(message: str, wait: float) -> None:
    assert api.throttle_wait(lambda: WALL)(_throttled(message)) == wait


def test_only_a_40100_has_a_throttle_wait() -> None:
    wait = api.throttle_wait(lambda: WALL)
    assert wait(_throttled("QPS", code=40133)) is None
    assert wait(httpx.Response(502, text="<html>Bad Gateway</html>")) is None


def test_a_daily_throttle_holds_the_budget_until_midnight_utc(plugin: TikTokPlatform) -> None:
    error = _raised(plugin, 40100, message="The app reached its QPD limit.")
    assert isinstance(error, RateLimited)
    _, _, wall = plugin.timing
    assert wall is not None
    now = wall()
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp() + 86400
    assert error.wait is not None and abs(error.wait - (midnight - now.timestamp())) < 1


# -- the budgets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "limits"),
    [
        ("basic", (10, 600, 864_000)),
        ("advanced", (20, 1_200, 1_728_000)),
        ("premium", (30, 1_800, 2_592_000)),
        ("ultimate", (50, 3_000, 4_320_000)),
    ],
)
def test_the_budgets_are_tiktoks_for_each_access_level(level: str, limits: tuple[int, int, int]) -> None:
    budgets = {budget.scope: budget for budget in api.business_budgets(level)}
    assert (budgets["app_second"].limit, budgets["app_minute"].limit, budgets["app_day"].limit) == limits
    assert (budgets["app_second"].per, budgets["app_minute"].per, budgets["app_day"].per) == (
        tk.SECOND,
        tk.MINUTE,
        tk.DAY,
    )
    plugin = TikTokPlatform()
    plugin._configure({"access_level": level, "requests_per_second": 3}, Mode.SANDBOX)
    configured = {budget.scope: budget.limit for budget in plugin.limiter.budgets}
    assert configured == {"app_second": 3, "app_minute": limits[1], "app_day": limits[2]}


def test_the_display_api_budget_is_per_endpoint() -> None:
    (budget,) = api.display_budgets()
    assert (budget.limit, budget.per, budget.key) == (600, tk.MINUTE, ("endpoint",))
