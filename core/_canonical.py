"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per value, for hashing.

The ``rfc8785`` package is the reference implementation. It is pure Python, and the audit trail hashes every
payload, so values that cannot tell the difference take a fast path: for JSON with no floats, integers within
±2**53 and keys whose sort order is the same in UTF-16, in code points and in UTF-8 bytes (no characters
beyond U+D7FF), ``orjson`` with sorted keys writes exactly the RFC 8785 bytes: compact, UTF-8, the same string
escapes (a property the tests check against ``rfc8785`` on generated data and on every escaped character).
Anything else — floats, huge integers, such keys, lone surrogates — goes to ``rfc8785``.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

__all__ = ["canonical_json"]

_SAFE_INT = 2**53
_SORT_KEYS = orjson.OPT_SORT_KEYS


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON that orjson writes exactly as RFC 8785 does (see the module docstring)."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
        for key in value:
            if type(key) is not str or (not key.isascii() and max(key) > "\ud7ff"):
                return False
    elif kind is list or kind is tuple:
        items = value
    else:
        items = (value,)
    # Leaves are checked in this loop, without a call each: payloads are mostly strings.
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_SAFE_INT < item < _SAFE_INT:
                return False
        elif kind is dict or kind is list or kind is tuple:
            if not _plain(item):
                return False
        else:
            return False  # floats, and anything JSON has no form for (rfc8785 names the problem)
    return True


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``; ``ValueError``/``TypeError`` for what JSON cannot represent."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate in a string, or nesting orjson will not follow: rfc8785 has the rules
    canonical: bytes = rfc8785.dumps(value)
    return canonical
