"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per value, for hashing.

The ``rfc8785`` package is the reference implementation. It is pure Python, and the audit trail hashes every
payload, so values that cannot tell the difference take a fast path: for JSON with no floats, integers within
±2**53 and keys whose sort order is the same in UTF-16 and in code points (no characters beyond U+D7FF),
Python's ``json.dumps`` with sorted keys, compact separators and ``ensure_ascii=False`` writes exactly the
RFC 8785 bytes (a property the tests check against ``rfc8785`` on generated data). Anything else — floats,
huge integers, such keys, lone surrogates — goes to ``rfc8785``.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

__all__ = ["canonical_json"]

_SAFE_INT = 2**53
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON that json.dumps writes exactly as RFC 8785 does (see the module docstring)."""
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
            return _encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate in a string: rfc8785 has the rule for it
    canonical: bytes = rfc8785.dumps(value)
    return canonical
