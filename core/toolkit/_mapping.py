"""From a platform's answer to the SDK's typed errors: the envelope it wraps answers in, and a table of rules.

Platforms say "no" in different places. TikTok's API for Business answers HTTP 200 with
``{"code", "message", "request_id", "data"}`` and a non-zero ``code``; Meta's Graph API answers 4xx with
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; a plain REST API answers with its HTTP
status. An :class:`Envelope` says where a platform keeps the code, subcode, message, request id and data; an
:class:`ErrorTable` is a list of :class:`ErrorRule` rows, each matching codes (and subcodes) or HTTP statuses to
the error to raise. Both are data, so a plugin's table reads like the platform's error page::

    TIKTOK = Envelope(code="code", message="message", request_id="request_id", data="data")
    TIKTOK_ERRORS = ErrorTable((
        ErrorRule(RateLimited, codes=(40100,), scope="app"),
        ErrorRule(AuthExpired, codes=(40102,)),                   # refreshed once, then raised
        ErrorRule(AuthExpired, codes=(40105,), revoked=True),     # raised at once
        ErrorRule(InvalidRequest, codes=(40002,)),
    )) + HTTP_STATUS_ERRORS

How an answer is read (:func:`map_response`): code rows first (a Meta 400 carrying code 190 is an expired token,
not a bad request), then status rows, then: an envelope error no row knows is a :class:`PlatformError` with the
platform's code; a 2xx whose body cannot be read as the envelope is a ``PlatformError`` too ("unparseable");
any other answer is a success. Every error carries the platform's ``code`` and ``request_id``; a ``RateLimited``
the wait from ``Retry-After`` (seconds or an HTTP date) or from the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
import httpx
import orjson

from ..errors import (
    AuthExpired,
    CreatorkitError,
    InvalidRequest,
    NotFound,
    NotSupported,
    PlatformError,
    PlatformPermissionDenied,
    Problem,
    RateLimited,
    Transient,
    ValidationError,
)
from ._retry import parse_retry_after

__all__ = [
    "HTTP_STATUS_ERRORS",
    "PLAIN_ENVELOPE",
    "PLAIN_ERRORS",
    "Envelope",
    "ErrorRule",
    "ErrorTable",
    "map_response",
]

_MAPPABLE = (PlatformError, NotFound)


def _path(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value.split("."))


def _dig(body: Any, path: tuple[str, ...] | None) -> Any:
    if path is None:
        return None
    for part in path:
        # A number steps into a list: Google keeps its reason in ``error.errors.0.reason``.
        if isinstance(body, list) and part.isdigit():
            if int(part) >= len(body):
                return None
            body = body[int(part)]
        elif not isinstance(body, Mapping) or part not in body:
            return None
        else:
            body = body[part]
    return body


@attrs.frozen(kw_only=True)
class Envelope:
    """Where a platform keeps the parts of its answers, as dotted paths into the JSON body (a number in a path
    indexes a list: ``error.errors.0.reason``).

    ``code_required``: a body without ``code`` is malformed (TikTok always sends ``code``; ``0`` is success);
    when false, a missing code means success (Meta's ``error.code`` exists only on errors). ``success_codes``
    lists the codes that mean success. ``transient``, when given, is the path of a flag the platform sets on
    errors worth retrying (Meta's ``error.is_transient``). ``request_id_header`` is read when the body has none.
    """

    code: str
    message: str | None = None
    request_id: str | None = None
    subcode: str | None = None
    data: str | None = None
    transient: str | None = None
    success_codes: tuple[str | int, ...] = (0,)
    code_required: bool = True
    request_id_header: str | None = None

    def parts(self, body: Any) -> dict[str, Any]:
        """``code``, ``subcode``, ``message``, ``request_id``, ``transient`` of ``body`` (None where absent)."""
        return {
            "code": _dig(body, _path(self.code)),
            "subcode": _dig(body, _path(self.subcode)),
            "message": _dig(body, _path(self.message)),
            "request_id": _dig(body, _path(self.request_id)),
            "transient": _dig(body, _path(self.transient)) is True,
        }

    def is_success(self, code: Any) -> bool:
        if code is None:
            return not self.code_required
        return str(code) in {str(c) for c in self.success_codes}

    def data_of(self, body: Any) -> Any:
        """The payload of a successful answer (the whole body when the envelope names no ``data``)."""
        return body if self.data is None else _dig(body, _path(self.data))


#: The shape the toolkit's sandbox answers errors in when a platform's own is not given:
#: ``{"error": {"code": "token_expired", "message": "...", "request_id": "..."}}``, success without ``error``.
PLAIN_ENVELOPE = Envelope(
    code="error.code",
    message="error.message",
    request_id="error.request_id",
    code_required=False,
    success_codes=(),
    request_id_header="x-request-id",
)


def _check_rule(rule: ErrorRule) -> None:
    problems = []
    if not (isinstance(rule.error, type) and issubclass(rule.error, _MAPPABLE)):
        problems.append(Problem("error", f"must be a PlatformError class or NotFound; got {rule.error!r}"))
    if not rule.codes and not rule.statuses:
        problems.append(Problem("codes", "a rule must match codes or statuses"))
    if rule.subcodes and not rule.codes:
        problems.append(Problem("subcodes", "subcodes refine codes; give the codes too"))
    if problems:
        raise ValidationError(problems, "error rule")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


def _codes(value: Iterable[str | int]) -> frozenset[str]:
    return frozenset(str(code) for code in value)


@attrs.frozen
class ErrorRule:
    """One row: answers with one of ``codes`` (and, if given, one of ``subcodes``), or one of ``statuses``, raise
    ``error``. ``revoked`` marks an :class:`AuthExpired` that refreshing cannot fix; ``scope`` and ``wait`` fill a
    :class:`RateLimited` when the answer does not say (TikTok's per-minute throttle means "wait five minutes")."""

    error: type[CreatorkitError]
    codes: frozenset[str] = attrs.field(default=(), kw_only=True, converter=_codes)
    subcodes: frozenset[str] = attrs.field(default=(), kw_only=True, converter=_codes)
    statuses: frozenset[int] = attrs.field(default=(), kw_only=True, converter=_statuses)
    revoked: bool = attrs.field(default=False, kw_only=True)
    scope: str | None = attrs.field(default=None, kw_only=True)
    wait: float | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_rule(self)

    def matches_code(self, code: Any, subcode: Any) -> bool:
        if not self.codes or code is None or str(code) not in self.codes:
            return False
        return not self.subcodes or (subcode is not None and str(subcode) in self.subcodes)


def _rules(value: Iterable[ErrorRule]) -> tuple[ErrorRule, ...]:
    return tuple(value)


@attrs.frozen
class ErrorTable:
    """Rows tried in order, code rows before status rows; ``table + other`` appends ``other``'s rows."""

    rules: tuple[ErrorRule, ...] = attrs.field(converter=_rules)

    def __add__(self, other: ErrorTable) -> ErrorTable:
        return ErrorTable(self.rules + other.rules)

    def for_code(self, code: Any, subcode: Any) -> ErrorRule | None:
        return next((rule for rule in self.rules if rule.matches_code(code, subcode)), None)

    def for_status(self, status: int) -> ErrorRule | None:
        return next((rule for rule in self.rules if not rule.codes and status in rule.statuses), None)


#: Plain HTTP: 400 bad request, 401 expired token, 403 permission, 404 not found, 429 throttled, 5xx temporary.
HTTP_STATUS_ERRORS = ErrorTable(
    (
        ErrorRule(InvalidRequest, statuses=(400, 405, 409, 410, 413, 414, 415, 422)),
        ErrorRule(AuthExpired, statuses=(401,)),
        ErrorRule(PlatformPermissionDenied, statuses=(403,)),
        ErrorRule(NotFound, statuses=(404,)),
        ErrorRule(Transient, statuses=(408,)),
        ErrorRule(RateLimited, statuses=(429,)),
        ErrorRule(Transient, statuses=range(500, 600)),
    )
)


#: The codes of :data:`PLAIN_ENVELOPE` (what :class:`~creatorkit.toolkit.SandboxTransport` answers by default),
#: then plain HTTP.
PLAIN_ERRORS = (
    ErrorTable(
        (
            ErrorRule(AuthExpired, codes=("token_revoked",), revoked=True),
            ErrorRule(AuthExpired, codes=("token_expired", "invalid_token")),
            ErrorRule(RateLimited, codes=("rate_limited",)),
            ErrorRule(InvalidRequest, codes=("invalid_request",)),
            ErrorRule(NotSupported, codes=("not_supported",)),
            ErrorRule(PlatformPermissionDenied, codes=("permission_denied",)),
            ErrorRule(NotFound, codes=("not_found",)),
            ErrorRule(Transient, codes=("internal_error", "unavailable")),
        )
    )
    + HTTP_STATUS_ERRORS
)


_DECODED = "creatorkit.body"


def body_of(response: httpx.Response) -> Any:
    """The JSON body of ``response``, decoded once: the error mapping has read it already, and a plugin reading
    its data after it would otherwise decode the whole page a second time (bench/bench_tiktok.py). ``ValueError``
    when the body is not JSON."""
    found = response.extensions.get(_DECODED, _DECODED)
    if found is _DECODED:
        found = orjson.loads(response.content)
        response.extensions[_DECODED] = found  # httpx keeps a plain dict here, for whoever reads the response
    return found


def _body(response: httpx.Response) -> tuple[Any, bool]:
    if not response.content:
        return None, False
    try:
        return body_of(response), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def map_response(
    response: httpx.Response,
    *,
    platform: str,
    envelope: Envelope | None,
    table: ErrorTable,
    now: datetime,
    where: str = "",
    wait_from: Callable[[httpx.Response], float | None] | None = None,
) -> CreatorkitError | None:
    """The typed error ``response`` means, or None for a success (see the module's docstring for the order)."""
    body, parsed = _body(response)
    parts = envelope.parts(body) if envelope and parsed else {}
    code, subcode = parts.get("code"), parts.get("subcode")
    request_id = parts.get("request_id")
    if request_id is None and envelope and envelope.request_id_header:
        request_id = response.headers.get(envelope.request_id_header)
    failed_envelope = bool(envelope) and parsed and not envelope.is_success(code)  # type: ignore[union-attr]
    rule = table.for_code(code, subcode) if failed_envelope else None
    if rule is None and response.status_code >= 400:
        rule = table.for_status(response.status_code)
    if rule is None and parts.get("transient"):
        rule = ErrorRule(Transient, codes=(str(code),))
    message = parts.get("message") if isinstance(parts.get("message"), str) else None
    prefix = f"{where}: " if where else ""
    if rule is not None:
        wait = wait_from(response) if wait_from else None
        if wait is None:
            wait = parse_retry_after(response.headers.get("retry-after"), now)
        return _build(
            rule,
            platform,
            prefix,
            message or _reason(response),
            code,
            request_id,
            subcode,
            wait,
            response.status_code,
            where,
        )
    if failed_envelope or response.status_code >= 400:
        return PlatformError(
            platform,
            prefix + (message or _reason(response)),
            code=code,
            request_id=request_id,
            details={"status": response.status_code, "subcode": subcode},
        )
    if envelope is not None and not parsed:
        return PlatformError(
            platform,
            prefix + "unparseable response body",
            code=None,
            request_id=request_id,
            details={"status": response.status_code, "unparseable": True},
        )
    return None


def _reason(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _build(
    rule: ErrorRule,
    platform: str,
    prefix: str,
    said: str,
    code: Any,
    request_id: Any,
    subcode: Any,
    wait: float | None,
    status: int,
    where: str,
) -> CreatorkitError:
    details: dict[str, Any] = {"status": status, "subcode": subcode, "message": said}
    common: dict[str, Any] = {"code": code, "request_id": request_id, "details": details}
    message = prefix + said
    if rule.error is NotFound:
        rid = None if request_id is None else str(request_id)
        return NotFound(f"{platform} resource", where or f"HTTP {status}", platform=platform, code=code, request_id=rid)
    if issubclass(rule.error, RateLimited):
        stated = wait if wait is not None else rule.wait
        return rule.error(platform, message, scope=rule.scope, wait=stated, **common)
    if issubclass(rule.error, AuthExpired):
        return rule.error(platform, message, revoked=rule.revoked, **common)
    if wait is not None:
        details["retry_after"] = wait
    if issubclass(rule.error, PlatformError):
        return rule.error(platform, message, **common)
    raise AssertionError(f"unmappable rule {rule!r}")  # pragma: no cover - _check_rule refuses it
