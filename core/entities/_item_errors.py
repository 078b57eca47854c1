"""One typed error for one item of a batch: the post the platform does not know, the token it refused.

A batch hook answers every item it was asked about, with a result or an :class:`ItemError`, so that one bad
item never costs the others. The core turns an item error back into the SDK's exception of the same kind
(:meth:`ItemError.to_exception`); a plugin makes one from the exception it would have raised for that item
alone (:meth:`ItemError.from_exception`).
"""

from __future__ import annotations

import enum

import attrs

from ..errors import (
    AuthExpired,
    CreatorkitError,
    InvalidRequest,
    NotFound,
    NotSupported,
    PlatformError,
    PlatformPermissionDenied,
    RateLimited,
    Transient,
)
from ._common import non_negative, typed_fields

__all__ = ["ErrorKind", "ItemError"]


class ErrorKind(enum.StrEnum):
    """Which of the SDK's errors an item error stands for."""

    NOT_FOUND = "not_found"
    AUTH_EXPIRED = "auth_expired"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    PERMISSION_DENIED = "permission_denied"
    NOT_SUPPORTED = "not_supported"
    INVALID_REQUEST = "invalid_request"
    PLATFORM = "platform"


# Most specific first: DeadlineExceeded is a Transient, every one of these a PlatformError.
_KINDS: tuple[tuple[type[CreatorkitError], ErrorKind], ...] = (
    (NotFound, ErrorKind.NOT_FOUND),
    (AuthExpired, ErrorKind.AUTH_EXPIRED),
    (RateLimited, ErrorKind.RATE_LIMITED),
    (Transient, ErrorKind.TRANSIENT),
    (PlatformPermissionDenied, ErrorKind.PERMISSION_DENIED),
    (NotSupported, ErrorKind.NOT_SUPPORTED),
    (InvalidRequest, ErrorKind.INVALID_REQUEST),
    (PlatformError, ErrorKind.PLATFORM),
)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ItemError:
    """Why one item of a batch has no result: its ``kind``, the platform's ``message`` and ``code``, and for a
    throttled item the seconds to ``wait``."""

    kind: ErrorKind
    message: str
    code: str | None = None
    wait: float | None = attrs.field(default=None, validator=non_negative)

    @classmethod
    def from_exception(cls, error: NotFound | PlatformError) -> ItemError:
        """The item error for what a plugin would have raised had it been asked about this item alone."""
        kind = next(kind for error_class, kind in _KINDS if isinstance(error, error_class))
        code = getattr(error, "code", None)
        wait = error.wait if isinstance(error, RateLimited) else None
        message = str(error)
        if isinstance(error, PlatformError):  # its message as raised, without the prefix and suffix it added
            message = message.removeprefix(f"{error.platform}: ")
            message = message.removesuffix(f" (code {code})") if code is not None else message
        return cls(kind=kind, message=message, code=None if code is None else str(code), wait=wait)

    def to_exception(self, platform: str, item: str, *, what: str = "item") -> CreatorkitError:
        """The SDK's exception for this error, as if ``platform`` had raised it for ``item`` (a ``what``)."""
        message = f"{what} {item}: {self.message}"
        if self.kind is ErrorKind.NOT_FOUND:
            return NotFound(what, item)
        if self.kind is ErrorKind.AUTH_EXPIRED:
            return AuthExpired(platform, message, code=self.code)
        if self.kind is ErrorKind.RATE_LIMITED:
            return RateLimited(platform, message, wait=self.wait, code=self.code)
        classes: dict[ErrorKind, type[PlatformError]] = {
            ErrorKind.TRANSIENT: Transient,
            ErrorKind.PERMISSION_DENIED: PlatformPermissionDenied,
            ErrorKind.NOT_SUPPORTED: NotSupported,
            ErrorKind.INVALID_REQUEST: InvalidRequest,
            ErrorKind.PLATFORM: PlatformError,
        }
        return classes[self.kind](platform, message, code=self.code)
