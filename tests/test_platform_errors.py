"""The platform and payment errors of contract v2 keep the facts a caller acts on as attributes."""

from __future__ import annotations

from creatorkit import (
    AuthExpired,
    InvalidRequest,
    NotFound,
    NotSupported,
    PaymentError,
    PlatformError,
    PlatformPermissionDenied,
    RateLimited,
)


def test_rate_limited_carries_its_scope_and_wait() -> None:
    error = RateLimited("tiktok", "too many requests", scope="app_user", wait=2.5, code=40100)
    assert (error.scope, error.wait, error.retry_after, error.code) == ("app_user", 2.5, 2.5, 40100)
    assert RateLimited("tiktok", "slow down", retry_after=3).wait == 3


def test_auth_expired_names_the_authorisation_and_what_to_do() -> None:
    error = AuthExpired(
        "tiktok", "the refresh token was revoked", connection_id="conn_1", action="run `creatorkit connect tiktok`"
    )
    assert error.connection_id == "conn_1" and error.grant_id is None
    assert "connection conn_1" in str(error) and "creatorkit connect tiktok" in str(error)
    grant = AuthExpired("instagram", "expired", grant_id="grant_9", revoked=True)
    assert grant.revoked and "grant grant_9" in str(grant)


def test_request_errors_are_platform_errors_naming_what_was_refused() -> None:
    invalid = InvalidRequest("tiktok", "page_size must be at most 20", field="page_size", code=40002)
    unsupported = NotSupported("kuaishou", "no audience age filter", feature="audience_age")
    denied = PlatformPermissionDenied(
        "instagram", "the token may not read insights", scopes=["instagram_manage_insights"]
    )
    assert all(isinstance(e, PlatformError) for e in (invalid, unsupported, denied))
    assert (invalid.field, unsupported.feature, denied.scopes) == (
        "page_size",
        "audience_age",
        ("instagram_manage_insights",),
    )
    assert "missing: instagram_manage_insights" in str(denied)


def test_payment_error_says_when_the_outcome_is_unknown() -> None:
    error = PaymentError("timed out after sending", provider="stripe", operation_id="op_1", outcome_unknown=True)
    assert error.outcome_unknown and error.operation_id == "op_1"
    assert not PaymentError("card declined", provider="stripe", provider_code="card_declined").outcome_unknown


def test_not_found_can_name_the_platform_that_said_so() -> None:
    error = NotFound("video", "v_9", platform="youtube", code=404, request_id="req-1")
    assert (error.platform, error.code, error.request_id) == ("youtube", 404, "req-1")
    assert NotFound("deal", "d_1").platform is None
