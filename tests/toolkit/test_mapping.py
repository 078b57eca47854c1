"""Every row of the error tables maps a platform's answer to the typed error, with its code and request id."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from creatorkit import (
    AuthExpired,
    InvalidRequest,
    NotFound,
    NotSupported,
    PlatformError,
    PlatformPermissionDenied,
    RateLimited,
    Transient,
    ValidationError,
)
from creatorkit.toolkit import (
    HTTP_STATUS_ERRORS,
    PLAIN_ENVELOPE,
    PLAIN_ERRORS,
    Envelope,
    ErrorRule,
    ErrorTable,
    map_response,
    parse_retry_after,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# Two platforms' tables, as their plugins would write them (codes from the platforms' error pages).
TIKTOK = Envelope(code="code", message="message", request_id="request_id", data="data")
TIKTOK_ERRORS = (
    ErrorTable(
        (
            ErrorRule(RateLimited, codes=(40100,), scope="app"),
            ErrorRule(RateLimited, codes=(40133,), scope="advertiser"),
            ErrorRule(AuthExpired, codes=(40102,)),
            ErrorRule(AuthExpired, codes=(40103, 40105), revoked=True),
            ErrorRule(PlatformPermissionDenied, codes=(40001, 40130)),
            ErrorRule(InvalidRequest, codes=(40002,)),
            ErrorRule(NotSupported, codes=(40009, 41001)),
            ErrorRule(Transient, codes=(50000,)),
        )
    )
    + HTTP_STATUS_ERRORS
)
META = Envelope(
    code="error.code",
    subcode="error.error_subcode",
    message="error.message",
    request_id="error.fbtrace_id",
    transient="error.is_transient",
    code_required=False,
    success_codes=(),
)
META_ERRORS = (
    ErrorTable(
        (
            ErrorRule(AuthExpired, codes=(190,), subcodes=(458, 460), revoked=True),
            ErrorRule(AuthExpired, codes=(190, 102)),
            ErrorRule(Transient, codes=(1, 2)),
            ErrorRule(RateLimited, codes=(4,), scope="app"),
            ErrorRule(RateLimited, codes=(17, 80002), scope="app_user"),
            ErrorRule(RateLimited, codes=(32, 613), scope="page"),
            ErrorRule(PlatformPermissionDenied, codes=(10, *range(200, 300))),
            ErrorRule(InvalidRequest, codes=(100,)),
        )
    )
    + HTTP_STATUS_ERRORS
)


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        response = httpx.Response(status, headers=headers)
    else:
        response = httpx.Response(status, json=body, headers=headers)
    response.request = httpx.Request("GET", "https://api.example/v1/thing")
    return response


def mapped(response: httpx.Response, envelope: Envelope | None = None, table: ErrorTable = HTTP_STATUS_ERRORS):
    return map_response(response, platform="example", envelope=envelope, table=table, now=NOW, where="GET /thing")


STATUS_ROWS = [(status, rule.error) for rule in HTTP_STATUS_ERRORS.rules for status in sorted(rule.statuses)[:3]]


@pytest.mark.parametrize(("status", "error"), STATUS_ROWS, ids=[f"{s}-{e.__name__}" for s, e in STATUS_ROWS])
def test_every_status_row(status: int, error: type[Exception]) -> None:
    assert type(mapped(answer(status))) is error


def test_the_plain_http_table_is_the_documented_one() -> None:
    expected = {
        400: InvalidRequest,
        401: AuthExpired,
        403: PlatformPermissionDenied,
        404: NotFound,
        429: RateLimited,
        500: Transient,
        502: Transient,
        503: Transient,
        504: Transient,
    }
    assert {status: type(mapped(answer(status))) for status in expected} == expected


def test_success_and_an_unparseable_body() -> None:
    assert mapped(answer(200, {"data": []}), PLAIN_ENVELOPE, PLAIN_ERRORS) is None
    broken = answer(200)
    broken._content = b'{"data": ['
    error = mapped(broken, PLAIN_ENVELOPE, PLAIN_ERRORS)
    assert type(error) is PlatformError and "unparseable" in str(error)
    # a 5xx proxy page is still temporary, parseable or not
    assert type(mapped(answer(502), PLAIN_ENVELOPE, PLAIN_ERRORS)) is Transient


TIKTOK_ROWS = [(code, rule) for rule in TIKTOK_ERRORS.rules for code in sorted(rule.codes)]


@pytest.mark.parametrize(("code", "rule"), TIKTOK_ROWS, ids=[c for c, _ in TIKTOK_ROWS])
def test_every_row_of_an_envelope_table_answered_with_http_200(code: str, rule: ErrorRule) -> None:
    body = {"code": int(code), "message": "refused", "request_id": "2026110112000001", "data": {}}
    error = mapped(answer(200, body), TIKTOK, TIKTOK_ERRORS)
    assert type(error) is rule.error
    assert isinstance(error, PlatformError)
    assert (str(error.code), error.request_id) == (code, "2026110112000001")
    if isinstance(error, AuthExpired):
        assert error.revoked is rule.revoked
    if isinstance(error, RateLimited):
        assert error.scope == rule.scope


def test_tiktok_success_and_unknown_codes() -> None:
    success = {"code": 0, "message": "OK", "request_id": "r", "data": {}}
    assert mapped(answer(200, success), TIKTOK, TIKTOK_ERRORS) is None
    unknown = mapped(answer(200, {"code": 49999, "message": "odd", "request_id": "r9"}), TIKTOK, TIKTOK_ERRORS)
    assert type(unknown) is PlatformError and unknown.code == 49999 and unknown.request_id == "r9"
    missing_code = mapped(answer(200, {"data": {}}), TIKTOK, TIKTOK_ERRORS)
    assert type(missing_code) is PlatformError


META_ROWS = [
    (190, 463, AuthExpired, False),
    (190, 460, AuthExpired, True),
    (190, 458, AuthExpired, True),
    (102, None, AuthExpired, False),
    (1, None, Transient, False),
    (2, None, Transient, False),
    (4, None, RateLimited, False),
    (17, None, RateLimited, False),
    (80002, None, RateLimited, False),
    (32, None, RateLimited, False),
    (613, None, RateLimited, False),
    (10, None, PlatformPermissionDenied, False),
    (230, None, PlatformPermissionDenied, False),
    (100, None, InvalidRequest, False),
]


@pytest.mark.parametrize(("code", "subcode", "error", "revoked"), META_ROWS)
def test_every_row_of_a_graph_table_beats_the_status(code: int, subcode: int | None, error: type, revoked: bool):
    body = {"error": {"message": "nope", "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}}
    if subcode is not None:
        body["error"]["error_subcode"] = subcode
    result = mapped(answer(400, body), META, META_ERRORS)  # Meta answers 400 for nearly everything
    assert type(result) is error and isinstance(result, PlatformError)
    assert result.request_id == "AbC" and result.code == code
    if isinstance(result, AuthExpired):
        assert result.revoked is revoked


def test_graph_transient_flag_and_success() -> None:
    flagged = {"error": {"message": "try later", "code": 9999, "is_transient": True, "fbtrace_id": "x"}}
    assert type(mapped(answer(200, flagged), META, META_ERRORS)) is Transient
    assert mapped(answer(200, {"id": "1784", "followers_count": 10}), META, META_ERRORS) is None


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("token_revoked", AuthExpired),
        ("token_expired", AuthExpired),
        ("invalid_token", AuthExpired),
        ("rate_limited", RateLimited),
        ("invalid_request", InvalidRequest),
        ("not_supported", NotSupported),
        ("permission_denied", PlatformPermissionDenied),
        ("not_found", NotFound),
        ("internal_error", Transient),
        ("unavailable", Transient),
    ],
)
def test_every_plain_row(code: str, error: type) -> None:
    body = {"error": {"code": code, "message": "m", "request_id": "req-1"}}
    result = mapped(answer(418, body), PLAIN_ENVELOPE, PLAIN_ERRORS)
    assert type(result) is error
    facts = vars(result)  # NotFound is not a PlatformError: the mapping adds the platform's facts to it
    assert facts["code"] == code and facts["request_id"] == "req-1"
    assert not isinstance(result, AuthExpired) or result.revoked is (code == "token_revoked")


def test_not_found_keeps_the_platform_facts() -> None:
    error = mapped(answer(404, {"error": {"code": "not_found", "request_id": "r4"}}), PLAIN_ENVELOPE, PLAIN_ERRORS)
    assert isinstance(error, NotFound)
    facts = vars(error)
    assert error.id == "GET /thing"
    assert (facts["platform"], facts["code"], facts["request_id"]) == ("example", "not_found", "r4")


def test_throttles_carry_the_stated_wait() -> None:
    seconds = mapped(answer(429, headers={"Retry-After": "7"}))
    assert isinstance(seconds, RateLimited) and seconds.wait == 7.0
    dated = mapped(answer(429, headers={"Retry-After": "Sun, 01 Nov 2026 12:00:30 GMT"}))
    assert isinstance(dated, RateLimited) and dated.wait == 30.0
    by_rule = ErrorTable((ErrorRule(RateLimited, codes=(40100,), scope="app", wait=300.0),))
    quiet = mapped(answer(200, {"code": 40100, "message": "slow down"}), TIKTOK, by_rule)
    assert isinstance(quiet, RateLimited) and (quiet.scope, quiet.wait) == ("app", 300.0)
    unavailable = mapped(answer(503, headers={"Retry-After": "2"}))
    assert isinstance(unavailable, Transient) and unavailable.details["retry_after"] == 2.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("120", 120.0),
        ("Sun, 01 Nov 2026 12:01:00 GMT", 60.0),
        ("Sun, 01 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("-5", None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_a_bad_rule_is_refused_with_its_field() -> None:
    with pytest.raises(ValidationError) as raised:
        ErrorRule(Transient)
    assert "codes" in raised.value.paths
    with pytest.raises(ValidationError) as raised:
        ErrorRule(ValueError, codes=(1,))  # type: ignore[arg-type]
    assert "error" in raised.value.paths


KUAISHOU = Envelope(code="result", message="error_msg", success_codes=(1,))
KUAISHOU_ERRORS = ErrorTable(
    (
        ErrorRule(AuthExpired, codes=(100200108, 100200110)),
        ErrorRule(AuthExpired, codes=(100200109, 100200113), revoked=True),
        ErrorRule(RateLimited, codes=(100100402, 10000302), scope="user_day"),
        ErrorRule(InvalidRequest, codes=(100200100,)),
        ErrorRule(Transient, codes=(100200500,)),
    )
)


@pytest.mark.parametrize(("code", "rule"), [(c, r) for r in KUAISHOU_ERRORS.rules for c in sorted(r.codes)])
def test_an_envelope_whose_success_is_one(code: str, rule: ErrorRule) -> None:
    assert mapped(answer(200, {"result": 1, "user_info": {"name": "x"}}), KUAISHOU, KUAISHOU_ERRORS) is None
    error = mapped(answer(200, {"result": int(code), "error_msg": "refused"}), KUAISHOU, KUAISHOU_ERRORS)
    assert type(error) is rule.error and str(vars(error)["code"]) == code


# Google's envelope keeps the reason in a list: {"error": {"code", "message", "errors": [{"reason", "domain"}]}}.
GOOGLE = Envelope(code="error.errors.0.reason", message="error.message", code_required=False, success_codes=())
GOOGLE_ERRORS = ErrorTable((ErrorRule(RateLimited, codes=("quotaExceeded",), scope="quota_day"),)) + HTTP_STATUS_ERRORS


def _google(status: int, body: object) -> PlatformError | NotFound | None:
    error = map_response(
        httpx.Response(status, json=body), platform="youtube", envelope=GOOGLE, table=GOOGLE_ERRORS, now=NOW
    )
    assert error is None or isinstance(error, PlatformError | NotFound)
    return error


def test_a_number_in_an_envelope_path_indexes_a_list() -> None:
    quota = {"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded", "domain": "youtube"}]}}
    error = _google(403, quota)
    assert isinstance(error, RateLimited) and error.scope == "quota_day" and error.code == "quotaExceeded"
    # An empty list, or a list where a mapping is expected, finds no code: the status decides.
    assert isinstance(_google(403, {"error": {"code": 403, "errors": []}}), PlatformPermissionDenied)
    assert isinstance(_google(404, {"error": {"code": 404, "errors": {"0": "x"}}}), NotFound)
    assert _google(200, {"items": []}) is None
