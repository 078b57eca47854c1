"""The kit's HTTP fault matrix passes a plugin built on the toolkit and fails the ones that break it: no retries,
an error table without throttles, a client that skips its limiter, an error that shows the token."""

from __future__ import annotations

from typing import Any

import pytest

from creatorkit import CallContext, PlatformError, PluginHost, hookimpl
from creatorkit.entities import (
    Capability,
    CreatorCandidate,
    CreatorProfile,
    DiscoveryQuery,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
)
from creatorkit.errors import AuthExpired
from creatorkit.host import PlatformClient
from creatorkit.testing import SANDBOX_ATTRIBUTE, PlatformPluginContract
from creatorkit.toolkit import (
    HTTP_STATUS_ERRORS,
    PLAIN_ENVELOPE,
    PLAIN_ERRORS,
    SECOND,
    ApiConfig,
    ErrorTable,
    FakeClock,
    RateBudget,
    RateLimiter,
    RetryPolicy,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
    StaticToken,
    build_client,
)
from creatorkit.toolkit._mapping import ErrorRule

STAGES = (
    Capability.DISCOVERY,
    Capability.INVITATIONS,
    Capability.MESSAGING,
    Capability.CONTRACTING,
    Capability.METRICS,
    Capability.AUDIENCE,
    Capability.POST_METRICS,
    Capability.IMPORT,
)


RETRY = RetryPolicy()


class Mini:
    """A platform over HTTP in twenty lines: one lookup endpoint, its sandbox on a fake clock, a limiter."""

    def __init__(self, *, retry: RetryPolicy = RETRY, errors: ErrorTable = PLAIN_ERRORS, limited: bool = True) -> None:
        clock = FakeClock()
        timing: dict[str, Any] = {"clock": clock.monotonic, "sleep": clock.sleep}
        issuer = SandboxTokens(clock=clock.monotonic)
        self.sandbox = SandboxTransport(platform="mini", tokens=issuer, **timing)
        self.sandbox.route("GET", "/creators/{handle}", self.creator)
        self.limiter = RateLimiter((RateBudget("app", 20, SECOND),), platform="mini", **timing)
        self.key = StaticToken(issuer.issue("app", lifetime=2**40).access_token, platform="mini")
        config = ApiConfig(
            platform="mini", base_url="https://mini.invalid/", envelope=PLAIN_ENVELOPE, errors=errors, retry=retry
        )
        self.client = lambda tokens: build_client(
            config,
            tokens=tokens,
            limiter=self.limiter if limited else None,
            transport=self.sandbox,
            wall=clock.now,
            **timing,
        )

    def creator(self, request: SandboxRequest) -> dict[str, str]:
        return {"handle": request.path_params["handle"]}

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="mini",
            kind=PluginKind.PLATFORM,
            display_name="Mini",
            capabilities=frozenset({Capability.CREATOR_LOOKUP}),
            missing=dict.fromkeys(STAGES, "not in this test"),
        )

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str, context: CallContext | None) -> CreatorCandidate:
        tokens = context.tokens if context is not None and context.tokens is not None else self.key
        found = self.client(tokens).get(f"creators/{handle}").json()["handle"]
        account = PlatformAccount(platform="mini", account_id=found, handle=found)
        profile = CreatorProfile(id=f"mini:{found}", display_name=found, accounts=(account,))
        return CreatorCandidate(platform="mini", profile=profile)


class Kit(PlatformPluginContract):
    plugin_name = "mini"
    known_handle = "someone"
    discovery_query = DiscoveryQuery(limit=1)


def hosted(plugin: object) -> tuple[PluginHost, PlatformClient, SandboxTransport]:
    host = PluginHost(validate_outputs=True)
    host.register(plugin, name="mini")
    sandbox = Kit().http_sandbox(host)
    assert sandbox is not None
    return host, host.platform("mini"), sandbox


def test_a_plugin_on_the_toolkit_passes_the_matrix(caplog: pytest.LogCaptureFixture) -> None:
    kit = Kit()
    for name in (
        "test_http_server_errors_are_transient_after_retries",
        "test_http_timeouts_are_transient_after_retries",
        "test_http_one_server_error_is_retried_into_a_success",
        "test_http_throttling_is_rate_limited_with_a_wait",
        "test_http_malformed_body_is_a_platform_error",
        "test_http_expired_token_is_refreshed_and_the_call_succeeds",
        "test_http_revoked_token_is_auth_expired",
    ):
        _, platform, sandbox = hosted(Mini())
        getattr(kit, name)(platform, sandbox)
    host, _, sandbox = hosted(Mini())
    kit.test_http_limiter_stays_under_budget(host, sandbox)
    host, platform, sandbox = hosted(Mini())
    kit.test_http_no_secret_in_errors_logs_or_reprs(host, platform, sandbox, caplog)


def test_the_sandbox_is_found_by_its_documented_attribute() -> None:
    assert SANDBOX_ATTRIBUTE == "sandbox"
    host = PluginHost()
    plain = Mini()
    del plain.sandbox
    host.register(plain, name="mini")
    assert Kit().http_sandbox(host) is None


def test_no_retries_fail() -> None:
    _, platform, sandbox = hosted(Mini(retry=RetryPolicy(attempts=1)))
    with pytest.raises(AssertionError, match="a 5xx was not retried"):
        Kit().test_http_server_errors_are_transient_after_retries(platform, sandbox)


def test_a_table_that_does_not_know_throttling_fails() -> None:
    table = ErrorTable((ErrorRule(AuthExpired, codes=("token_expired", "token_revoked")),)) + ErrorTable(
        tuple(rule for rule in HTTP_STATUS_ERRORS.rules if 429 not in rule.statuses)
    )
    _, platform, sandbox = hosted(Mini(errors=table))
    with pytest.raises(AssertionError, match="not RateLimited"):
        Kit().test_http_throttling_is_rate_limited_with_a_wait(platform, sandbox)


def test_a_table_that_takes_expired_for_revoked_fails() -> None:
    table = ErrorTable((ErrorRule(AuthExpired, codes=("token_expired", "token_revoked"), revoked=True),)) + PLAIN_ERRORS
    _, platform, sandbox = hosted(Mini(errors=table))
    with pytest.raises(AuthExpired):
        Kit().test_http_expired_token_is_refreshed_and_the_call_succeeds(platform, sandbox)


def test_a_client_that_skips_its_limiter_fails() -> None:
    host, _, sandbox = hosted(Mini(limited=False))
    with pytest.raises(AssertionError, match="the sandbox throttled"):
        Kit().test_http_limiter_stays_under_budget(host, sandbox)


def test_an_error_that_shows_the_token_fails(caplog: pytest.LogCaptureFixture) -> None:
    class Leaky(Mini):
        @hookimpl
        def creatorkit_lookup_creator(self, handle: str, context: CallContext | None) -> CreatorCandidate:
            try:
                return super().creatorkit_lookup_creator(handle, context)
            except AuthExpired:
                raise
            except PlatformError as error:  # a malformed answer, retold with the token in it
                token = context.tokens.access_token() if context is not None and context.tokens else ""
                raise PlatformError("mini", f"failed with {token}") from error

    host, platform, sandbox = hosted(Leaky())
    with pytest.raises(AssertionError, match=r"token\(s\) appear"):
        Kit().test_http_no_secret_in_errors_logs_or_reprs(host, platform, sandbox, caplog)


def test_a_malformed_body_taken_for_a_success_fails() -> None:
    class Lenient(Mini):
        @hookimpl
        def creatorkit_lookup_creator(self, handle: str, context: CallContext | None) -> CreatorCandidate:
            try:
                return super().creatorkit_lookup_creator(handle, context)
            except PlatformError:  # an unreadable answer taken for a creator with no details
                account = PlatformAccount(platform="mini", account_id=handle, handle=handle)
                profile = CreatorProfile(id=f"mini:{handle}", display_name=handle, accounts=(account,))
                return CreatorCandidate(platform="mini", profile=profile)

    _, platform, sandbox = hosted(Lenient())
    with pytest.raises(pytest.fail.Exception):
        Kit().test_http_malformed_body_is_a_platform_error(platform, sandbox)
