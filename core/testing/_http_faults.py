"""The HTTP fault matrix of the platform kit: what a plugin built on the toolkit does when its platform misbehaves.

A plugin hands the kit its sandbox by exposing it as the attribute :data:`SANDBOX_ATTRIBUTE` (``sandbox``: a
:class:`~creatorkit.toolkit.SandboxTransport`, set in sandbox mode) and its limiter as ``limiter`` (a
:class:`~creatorkit.toolkit.RateLimiter`); a suite can instead override :meth:`HttpFaultContract.http_sandbox`.
The kit then flips the sandbox's standard switches under one stage call (a lookup of the known creator, else a
discovery) and checks what comes out:

- a 5xx and a timeout, every time, are :class:`~creatorkit.errors.Transient` after the toolkit's retries (more
  than one request reached the sandbox); a single 5xx is retried into a success;
- a throttle, every time, is :class:`~creatorkit.errors.RateLimited` with a wait;
- an expired token (from the call context's token source) is refreshed once and the call succeeds; a revoked
  one is :class:`~creatorkit.errors.AuthExpired`;
- a malformed body is a :class:`~creatorkit.errors.PlatformError`;
- calls as fast as they come stay under the plugin's tightest app-wide budget (the sandbox throttles at it and
  throttles nothing);
- no token appears in any error, log record or repr.

The sandbox should run on a fake clock (the toolkit's ``FakeClock``), so the retries' and limiter's waits cost
nothing. A plugin without a sandbox (echo answers in memory) has every test skipped, saying so.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pytest

from .._call_context import CallContext
from ..entities import Capability, DiscoveryQuery
from ..errors import AuthExpired, CreatorkitError, PlatformError, RateLimited, Transient
from ..host import PlatformClient, PluginHost
from ..toolkit import Fault, RateLimiter, RefreshingToken, SandboxTransport
from ._fixtures import network_disabled

__all__ = ["SANDBOX_ATTRIBUTE", "HttpFaultContract"]

#: The attribute of a plugin object holding its sandbox transport (None or absent: no HTTP fault matrix).
SANDBOX_ATTRIBUTE = "sandbox"
#: Every call of a fault switched on "always".
_ALWAYS = 10_000


class _Tokens:
    """A token source over the sandbox's own token issuer, as a connection kept by the core would be."""

    def __init__(self, sandbox: SandboxTransport) -> None:
        assert sandbox.tokens is not None
        self.issuer = sandbox.tokens
        issued = self.issuer.issue("conformance-connection")
        self.values = [issued.access_token, issued.refresh_token]
        self.refresh_token = issued.refresh_token
        self.source = RefreshingToken(issued.access_token, renew=self._renew, connection_id="conformance-connection")

    def _renew(self) -> str:
        fresh = self.issuer.refresh(self.refresh_token)
        if fresh is None:
            raise AuthExpired("sandbox", "the refresh token was refused", connection_id="conformance-connection")
        self.refresh_token = fresh.refresh_token
        self.values += [fresh.access_token, fresh.refresh_token]
        return fresh.access_token


class HttpFaultContract:
    """Mixed into :class:`~creatorkit.testing.PlatformPluginContract`; see the module's docstring."""

    plugin_name: ClassVar[str]
    discovery_query: ClassVar[DiscoveryQuery]
    #: The most calls the budget check makes; a tighter budget than that is needed (set it in ``settings``).
    budget_calls: ClassVar[int] = 150

    # Provided by PlatformPluginContract.
    def _known_handle(self, platform: PlatformClient) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def http_sandbox(self, host: PluginHost) -> SandboxTransport | None:
        """The plugin's sandbox transport: its ``sandbox`` attribute unless a suite says otherwise."""
        plugin = host._get(self.plugin_name).plugin
        sandbox = getattr(plugin, SANDBOX_ATTRIBUTE, None)
        return sandbox if isinstance(sandbox, SandboxTransport) else None

    @pytest.fixture
    def sandbox(self, host: PluginHost) -> SandboxTransport:
        sandbox = self.http_sandbox(host)
        if sandbox is None:
            pytest.skip(f"{self.plugin_name} exposes no SandboxTransport as .{SANDBOX_ATTRIBUTE}: no HTTP to fault")
        return sandbox

    def _call(self, platform: PlatformClient, context: CallContext | None = None) -> Any:
        """One stage call that reaches the platform over HTTP."""
        with network_disabled():
            if platform.supports(Capability.CREATOR_LOOKUP):
                return platform.lookup_creator(self._known_handle(platform), context=context)
            if platform.supports(Capability.DISCOVERY):
                return platform.discover_creators(self.discovery_query, context=context)
        pytest.skip("the fault matrix needs creator_lookup or discovery")

    def _failing(
        self, platform: PlatformClient, sandbox: SandboxTransport, fault: Fault
    ) -> tuple[CreatorkitError, int]:
        """The error a call raises while ``fault`` answers every request, and how many requests it made."""
        self._known_handle(platform)  # found before the fault is switched on
        sandbox.fail(fault, times=_ALWAYS)
        before = sandbox.stats["requests"]
        try:
            with pytest.raises(CreatorkitError) as caught:
                self._call(platform)
        finally:
            sandbox.reset()
        return caught.value, sandbox.stats["requests"] - before

    def test_http_server_errors_are_transient_after_retries(
        self, platform: PlatformClient, sandbox: SandboxTransport
    ) -> None:
        error, requests = self._failing(platform, sandbox, Fault.SERVER_ERROR)
        assert isinstance(error, Transient), f"a 5xx raised {type(error).__name__}, not Transient"
        assert requests > 1, "a 5xx was not retried"

    def test_http_timeouts_are_transient_after_retries(
        self, platform: PlatformClient, sandbox: SandboxTransport
    ) -> None:
        error, requests = self._failing(platform, sandbox, Fault.TIMEOUT)
        assert isinstance(error, Transient), f"a timeout raised {type(error).__name__}, not Transient"
        assert requests > 1, "a timeout was not retried"

    def test_http_one_server_error_is_retried_into_a_success(
        self, platform: PlatformClient, sandbox: SandboxTransport
    ) -> None:
        self._known_handle(platform)
        sandbox.fail(Fault.SERVER_ERROR, times=1)
        before = sandbox.stats["requests"]
        assert self._call(platform) is not None
        assert sandbox.stats["requests"] - before >= 2, "the 5xx was not retried"

    def test_http_throttling_is_rate_limited_with_a_wait(
        self, platform: PlatformClient, sandbox: SandboxTransport
    ) -> None:
        error, _ = self._failing(platform, sandbox, Fault.THROTTLED)
        assert isinstance(error, RateLimited), f"a throttle raised {type(error).__name__}, not RateLimited"
        assert error.wait is not None and error.wait > 0, "a throttle's RateLimited says how long to wait"

    def test_http_malformed_body_is_a_platform_error(self, platform: PlatformClient, sandbox: SandboxTransport) -> None:
        error, _ = self._failing(platform, sandbox, Fault.MALFORMED)
        assert isinstance(error, PlatformError), f"a malformed body raised {type(error).__name__}"

    def _tokens(self, sandbox: SandboxTransport) -> _Tokens:
        if sandbox.tokens is None:
            pytest.skip("the sandbox checks no tokens")
        return _Tokens(sandbox)

    def test_http_expired_token_is_refreshed_and_the_call_succeeds(
        self, platform: PlatformClient, sandbox: SandboxTransport
    ) -> None:
        tokens = self._tokens(sandbox)
        self._known_handle(platform)
        sandbox.fail(Fault.EXPIRED_TOKEN, times=1)
        assert self._call(platform, CallContext(tokens=tokens.source)) is not None
        assert tokens.source.refreshes == 1, f"refreshed {tokens.source.refreshes} times, not once"
        # The rotated refresh token was kept: a second expiry refreshes again.
        sandbox.fail(Fault.EXPIRED_TOKEN, times=1)
        assert self._call(platform, CallContext(tokens=tokens.source)) is not None
        assert tokens.source.refreshes == 2

    def test_http_revoked_token_is_auth_expired(self, platform: PlatformClient, sandbox: SandboxTransport) -> None:
        tokens = self._tokens(sandbox)
        self._known_handle(platform)
        sandbox.fail(Fault.REVOKED_TOKEN, times=1)
        with pytest.raises(AuthExpired):
            self._call(platform, CallContext(tokens=tokens.source))

    def test_http_limiter_stays_under_budget(self, host: PluginHost, sandbox: SandboxTransport) -> None:
        limiter = getattr(host._get(self.plugin_name).plugin, "limiter", None)
        if not isinstance(limiter, RateLimiter):
            pytest.skip(f"{self.plugin_name} exposes no RateLimiter as .limiter")
        app_wide = [budget for budget in limiter.budgets if not budget.key]
        if not app_wide:
            pytest.skip("no app-wide budget to stay under")
        tightest = min(app_wide, key=lambda budget: budget.limit / budget.per)
        if tightest.limit + 5 > self.budget_calls:
            pytest.skip(f"the {tightest.scope} budget allows {tightest.limit} calls; set a smaller one in settings")
        platform = host.platform(self.plugin_name)
        self._known_handle(platform)
        sandbox.throttle(tightest.limit, per=tightest.per)
        served = sandbox.stats["served"]
        for _ in range(tightest.limit + 5):
            self._call(platform)
        assert sandbox.stats["throttled"] == 0, f"the sandbox throttled {sandbox.stats['throttled']} calls"
        assert sandbox.stats["served"] - served >= tightest.limit + 5

    def test_http_no_secret_in_errors_logs_or_reprs(
        self, host: PluginHost, platform: PlatformClient, sandbox: SandboxTransport, caplog: pytest.LogCaptureFixture
    ) -> None:
        tokens = self._tokens(sandbox)
        self._known_handle(platform)
        context = CallContext(tokens=tokens.source)
        seen: list[str] = []
        with caplog.at_level(logging.DEBUG):
            for fault in (Fault.SERVER_ERROR, Fault.THROTTLED, Fault.MALFORMED, Fault.EXPIRED_TOKEN):
                sandbox.fail(fault, times=1)
                try:
                    self._call(platform, context)
                except CreatorkitError as error:
                    seen += _told(error)
                sandbox.reset()
            sandbox.fail(Fault.REVOKED_TOKEN, times=1)
            with pytest.raises(AuthExpired) as caught:
                self._call(platform, context)
            seen += _told(caught.value)
        seen += [record.getMessage() for record in caplog.records]
        seen += [repr(host._get(self.plugin_name).plugin), repr(sandbox), repr(context), repr(tokens.source)]
        leaked = [value for value in tokens.values if any(value in text for text in seen)]
        assert not leaked, f"{len(leaked)} token(s) appear in an error, log record or repr"


def _told(error: BaseException) -> list[str]:
    """Everything ``error`` and the errors behind it say: messages, reprs and attributes."""
    told: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        told += [str(cause), repr(cause), repr(getattr(cause, "__dict__", ""))]
        cause = cause.__cause__ or cause.__context__
    return told
