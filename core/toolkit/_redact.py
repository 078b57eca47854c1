"""Keeping credentials out of what the toolkit's clients show: URLs in log records, error messages, reprs.

The access token never reaches a request that httpx logs (the client adds it to its own copy, see
:meth:`~creatorkit.toolkit.TokenPlacement.apply`), but a plugin may have to put an app secret in a query string
(TikTok's ``oauth2/tcm/get/?app_id=…&secret=…``), and httpx logs every request's URL at INFO. So the values of
the query parameters named in :data:`SECRET_PARAMETERS` are masked wherever the toolkit writes or lets through a
URL, and :func:`install_log_filter` puts a filter on the ``httpx`` logger that does the same to its records.
Free text (a platform's error message that quotes a token) is scrubbed of the known secret values with
:func:`creatorkit._redaction.scrub_error`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import httpx

from .._redaction import MASK, scrub_error
from .._redaction import scrub as scrub_text

__all__ = ["SECRET_PARAMETERS", "install_log_filter", "mask_query", "scrub"]

#: Query parameters whose values are credentials (lower case; compared without regard to case).
SECRET_PARAMETERS = frozenset(
    {
        "access_token",
        "app_secret",
        "auth_code",
        "client_secret",
        "code",
        "fb_exchange_token",
        "input_token",
        "password",
        "refresh_token",
        "secret",
        "sign",
        "signature",
        "token",
    }
)


def mask_query(url: httpx.URL | str) -> str:
    """``url`` as text with the value of every secret query parameter replaced by ``***``."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    if not any(key.lower() in SECRET_PARAMETERS for key in parsed.params):
        return str(parsed)
    params = [(key, MASK if key.lower() in SECRET_PARAMETERS else value) for key, value in parsed.params.multi_items()]
    return str(parsed.copy_with(params=params))


def scrub(error: BaseException, secrets: Iterable[str]) -> BaseException:
    """``error`` (changed in place, and returned) without any of ``secrets`` in its text, its ``details`` or its
    causes'."""
    values = [value for value in secrets if value]
    if not values:
        return error
    scrub_error(error, values)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        details = getattr(current, "details", None)
        if isinstance(details, dict):
            for key, value in details.items():
                if isinstance(value, str):
                    details[key] = scrub_text(value, values)
        current = current.__cause__ or current.__context__
    return error


class _UrlFilter(logging.Filter):
    """Masks secret query parameters in the URLs a log record's arguments carry."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(mask_query(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


_installed = threading.Lock()
_FILTER = _UrlFilter("creatorkit.toolkit")


def install_log_filter() -> None:
    """Put the URL filter on the ``httpx`` logger, once however often it is called."""
    with _installed:
        logger = logging.getLogger("httpx")
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
