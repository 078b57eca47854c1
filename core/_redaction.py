"""Keeping secrets out of everything creatorkit shows: reprs, error messages, logs and the CLI's output.

A secret is known by where it sits, not by what it looks like: a key path such as ``platforms.tiktok.token``
(inside a plugin's table: ``token``, ``auth.client_secret``, ``tokens[0]``) that holds a value taken from an
environment variable, or that a plugin's settings schema marks ``"writeOnly": true``. Paths are written the
way every problem names them: keys joined with ``.``, list positions as ``[i]``.

Two tools, for two kinds of text. Where the text is built from a known value at a known path (a JSON Schema
message that quotes the value it rejects), the value is masked by its path, whatever its length. Where the
text is free (a plugin's exception, a driver's message), the secret values themselves are looked for and
replaced; values shorter than :data:`MIN_SCRUBBED` characters are left, since they would mask ordinary words.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "MIN_SCRUBBED",
    "is_under",
    "join_path",
    "marked_paths",
    "mask_message",
    "mask_paths",
    "mask_url",
    "scrub",
    "scrub_error",
    "url_passwords",
    "values_at",
]

#: What a secret is shown as.
MASK = "***"
#: Free text is scrubbed of secret values at least this long.
MIN_SCRUBBED = 4
#: Attributes some exceptions build their message from instead of ``args`` (ImportError, SyntaxError, OSError).
_TEXT_ATTRIBUTES = ("msg", "strerror", "filename", "filename2", "reason")
#: How deep ``$ref``/``allOf``/... may nest while looking for ``writeOnly``: a ``$ref`` to itself ends here.
_MAX_SCHEMA_DEPTH = 32


def mask_url(url: str) -> str:
    """``url`` with any password (in the authority or a ``password=`` query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key.lower() == "password" for key, _ in pairs):
        query = urlencode([(k, MASK if k.lower() == "password" else v) for k, v in pairs], safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret; keep the spelling (urlunsplit would drop sqlite:///'s empty authority)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_passwords(url: str) -> frozenset[str]:
    """The passwords ``url`` holds (in the authority or a ``password=`` query), as written and decoded.

    A driver's message about a URL it cannot use may quote the password alone (libpq: ``unexpected spaces found
    in "..."``), which no scrubbing of the whole URL catches.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return frozenset()
    userinfo, at, _ = parts.netloc.rpartition("@")
    found = {userinfo.split(":", 1)[1]} if at and ":" in userinfo else set()
    found |= {value for key, value in parse_qsl(parts.query, keep_blank_values=True) if key.lower() == "password"}
    found |= {part for value in found for part in (unquote(value), value.replace("%20", " "))}
    return frozenset(value for value in found if value)


def join_path(parts: Iterable[str | int]) -> str:
    """``auth.tokens[1]`` from ``["auth", "tokens", 1]``: how problems and secrets name a place in data."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _child(path: str, key: object) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def is_under(path: str, secrets: Collection[str]) -> bool:
    """Whether ``path`` is one of ``secrets`` or lies inside one (``auth.token`` inside ``auth``)."""
    return any(path == s or s == "" or path.startswith((f"{s}.", f"{s}[")) for s in secrets)


def _relative(secrets: Collection[str], path: str) -> set[str]:
    """The secrets inside ``path``, as paths from there (``token``: ``platforms.echo.token`` in ``platforms.echo``)."""
    if is_under(path, secrets):
        return {""}
    if not path:
        return set(secrets)
    return {s[len(path) :].removeprefix(".") for s in secrets if s.startswith((f"{path}.", f"{path}["))}


def mask_paths(value: Any, secrets: Collection[str], path: str = "") -> Any:
    """A copy of ``value`` (plain data) with whatever sits at or inside one of ``secrets`` replaced by ``***``."""
    if is_under(path, secrets):
        return MASK
    if isinstance(value, Mapping):
        return {key: mask_paths(item, secrets, _child(path, key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_paths(item, secrets, _child(path, i)) for i, item in enumerate(value)]
    return value


def values_at(value: Any, secrets: Collection[str], path: str = "") -> set[str]:
    """Every string (and number, as text) at or inside one of ``secrets`` in ``value``: what free text must not show."""
    if isinstance(value, Mapping):
        return {v for key, item in value.items() for v in values_at(item, secrets, _child(path, key))}
    if isinstance(value, list | tuple):
        return {v for i, item in enumerate(value) for v in values_at(item, secrets, _child(path, i))}
    if is_under(path, secrets) and value is not None and not isinstance(value, bool):
        return {str(value)}
    return set()


def mask_message(message: str, instance: Any, path: str, secrets: Collection[str]) -> str:
    """``message`` about ``instance`` (found at ``path``) with every secret in or around it masked.

    JSON Schema messages quote the value they reject (``'sh0rt!' is too short``); the quotation is replaced by
    the value with its secrets masked (``'***' is too short``), so the message still says what is wrong.
    """
    inside = _relative(secrets, path)
    if not inside:
        return message
    masked = _replace(message, repr(instance), repr(mask_paths(instance, inside)))
    return scrub(masked, values_at(instance, inside), minimum=1)


def scrub(text: str, values: Iterable[str], *, minimum: int = MIN_SCRUBBED) -> str:
    """``text`` with every occurrence of each of ``values`` (at least ``minimum`` long) replaced by ``***``.

    Each value is also looked for as ``repr`` writes it inside quotes (backslashes and quotes escaped).
    """
    forms = {form for value in values if len(value) >= minimum for form in (value, repr(value)[1:-1])}
    for form in sorted(forms, key=len, reverse=True):
        text = _replace(text, form, MASK)
    return text


def _replace(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new``, but only where ``old`` is not part of a longer word or number.

    A value that begins or ends with a letter or digit matches only where the text has none next to it, so
    that masking the secret ``1`` leaves the ``10`` in ``the maximum of 10`` alone.
    """
    if not old:
        return text
    before = r"(?<!\w)" if re.match(r"\w", old) else ""
    after = r"(?!\w)" if re.search(r"\w$", old) else ""
    return re.sub(before + re.escape(old) + after, lambda _: new, text)


def scrub_error(error: BaseException, values: Collection[str], *, minimum: int = MIN_SCRUBBED) -> bool:
    """Scrub ``values`` out of ``error``'s message, its problems, and every exception it was raised from.

    The exception is changed in place, so that its type, attributes and traceback stay what they were; only its
    text loses the secrets. Returns whether anything was masked.
    """
    from .errors import Problem

    changed = False
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and values:
        seen.add(id(current))
        args = tuple(scrub(a, values, minimum=minimum) if isinstance(a, str) else a for a in current.args)
        if args != current.args:
            current.args, changed = args, True
        for name in _TEXT_ATTRIBUTES:  # what some exceptions print instead of their args
            text = getattr(current, name, None)
            if isinstance(text, str) and scrub(text, values, minimum=minimum) != text:
                setattr(current, name, scrub(text, values, minimum=minimum))
                changed = True
        problems = getattr(current, "problems", None)
        if isinstance(problems, list):
            clean = [
                Problem(p.path, scrub(p.message, values, minimum=minimum)) if isinstance(p, Problem) else p
                for p in problems
            ]
            if clean != problems:
                setattr(current, "problems", clean)  # noqa: B010 (any error with problems, not one class)
                changed = True
        current = current.__cause__ or current.__context__
    return changed


def marked_paths(schema: Any, value: Any, path: str = "", *, root: Any = None) -> set[str]:
    """The paths in ``value`` that ``schema`` marks secret with ``"writeOnly": true``.

    ``writeOnly`` is JSON Schema's own annotation for a value that is given but never shown back (a password);
    validators ignore it, so marking a setting changes nothing but what creatorkit prints. The schema is walked
    along the value: ``properties``, ``patternProperties``, ``additionalProperties``, ``prefixItems``, ``items``,
    local ``$ref``\\ s and every branch of ``allOf``/``anyOf``/``oneOf``/``then``/``else`` (a branch marking a
    value is enough: showing less is the safe side).
    """
    root = schema if root is None else root
    alternatives = list(_alternatives(schema, root, 0))
    if any(alternative.get("writeOnly") is True for alternative in alternatives):
        return {path}
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            for alternative in alternatives:
                for sub in _property_schemas(alternative, str(key)):
                    found |= marked_paths(sub, item, _child(path, key), root=root)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for alternative in alternatives:
                for sub in _item_schemas(alternative, i):
                    found |= marked_paths(sub, item, _child(path, i), root=root)
    return found


def _alternatives(schema: Any, root: Any, depth: int) -> Iterator[Mapping[str, Any]]:
    """``schema`` and every schema that also applies to the same value (local refs, combinators)."""
    if not isinstance(schema, Mapping) or depth > _MAX_SCHEMA_DEPTH:
        return
    yield schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        yield from _alternatives(_pointer(root, ref[1:]), root, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        members = schema.get(keyword)
        for member in members if isinstance(members, list) else ():
            yield from _alternatives(member, root, depth + 1)
    for keyword in ("then", "else"):
        yield from _alternatives(schema.get(keyword), root, depth + 1)


def _pointer(root: Any, pointer: str) -> Any:
    """What a JSON pointer (``/$defs/token``) names in ``root``, or None."""
    target = root
    for token in pointer.split("/")[1:] if pointer else ():
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping):
            target = target.get(token)
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None
    return target


def _property_schemas(schema: Mapping[str, Any], key: str) -> Iterator[Any]:
    properties = schema.get("properties")
    matched = isinstance(properties, Mapping) and key in properties
    if matched:
        yield properties[key]  # type: ignore[index]
    patterns = schema.get("patternProperties")
    for pattern, sub in patterns.items() if isinstance(patterns, Mapping) else ():
        if re.search(pattern, key):
            matched = True
            yield sub
    if not matched and isinstance(schema.get("additionalProperties"), Mapping):
        yield schema["additionalProperties"]


def _item_schemas(schema: Mapping[str, Any], index: int) -> Iterator[Any]:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        yield prefix[index]
    elif isinstance(schema.get("items"), Mapping):
        yield schema["items"]
