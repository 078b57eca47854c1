"""Stripe's form encoding, read back: ``metadata[operation_id]=op_1&expand[0]=latest_charge`` as nested data.

Stripe takes ``application/x-www-form-urlencoded`` bodies (and query strings) with nested keys in brackets;
a list is keyed by index (``expand[0]``, what stripe-python sends) or by empty brackets (``expand[]``).
Values stay text, as Stripe receives them; each handler reads the types it expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["FormError", "decode_form", "decode_pairs"]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """A key the encoding does not allow (``a[b``, ``]``): Stripe answers 400 for it."""


def decode_form(body: bytes) -> dict[str, Any]:
    """The nested parameters of a form-encoded body; one that is not UTF-8 is a :class:`FormError`."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise FormError("the body is not UTF-8") from None
    return decode_pairs(parse_qsl(text, keep_blank_values=True, strict_parsing=False))


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise FormError(f"invalid parameter name {key!r}")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _place(root, path, value)
    decoded = _lists(root)
    if not isinstance(decoded, dict):
        raise FormError("parameter names must not all be numbers")
    return decoded


def _place(node: dict[str, Any], path: list[str], value: str) -> None:
    for index, part in enumerate(path[:-1]):
        following = path[index + 1]
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise FormError(f"{'.'.join(path[: index + 1])} is given both as a value and as an object")
        if following == "":
            path[index + 1] = str(len(child))  # ``a[]`` appends
        node = child
    last = path[-1]
    if last == "":
        last = str(len(node))
    node[last] = value


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n-1 become lists, all the way down."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        ordered = sorted(converted, key=int)
        if [int(key) for key in ordered] == list(range(len(ordered))):
            return [converted[key] for key in ordered]
    return converted
