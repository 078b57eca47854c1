"""Current state against the trail: every stored document must be what its last audited write made it.

A call that writes documents records, in the chained material of its events, each document it wrote as
``[kind, id, version, sha256, state, workspace, parent]``: the SHA-256 of the document's RFC 8785 canonical JSON
as the call left it (:func:`document_digest`), and the row's columns that queries select by (the campaign board
finds deals by state, workspace and creator). Each document goes with the event about it, the rest with the call's
last event, so every document a call writes is covered by an event of that call. Verification replays the
coverage in sequence order, keeps the last entry per document, and compares every stored document with it: a
price edited in the documents table, a state moved by hand, a row deleted or inserted outside the services all
show. It proves as much as the chain carrying the coverage does: with a key, that the state is what key holders'
calls wrote.

Documents written before coverage existed (a store with format-1 events) were never covered; they are counted
apart, not as tampering. In a store whose trail has no such events, a document no event covers was written
outside the services.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import orjson

from .._canonical import canonical_json

__all__ = ["StateReport", "check_documents", "document_digest", "encode_documents", "parse_documents"]

#: One covered document: (kind, id, version, SHA-256 of its canonical JSON, state, workspace, parent).
Covered = tuple[str, str, int, str, str | None, str | None, str | None]

_SAFE_INT = 2**53
_SHOWN = 10  # uncovered documents named in a report


def document_digest(doc: Any) -> str:
    """SHA-256 (hex) of ``doc``'s RFC 8785 canonical JSON, the same for a document and what the store reads back.

    A document holding what JSON, or RFC 8785, has no exact form for is first put the way the store writes it
    and canonicalization reads it: keys as JSON text, NaN and the infinities as null, integers beyond 2**53 as
    the doubles RFC 8785 reads every number as. So the digest of what was written equals that of what is read,
    whatever the dialect does to such values (PostgreSQL's jsonb hands back 1e16 as an integer).
    """
    try:
        canonical = canonical_json(doc)
    except (ValueError, TypeError):
        canonical = canonical_json(_as_json(doc))
    return hashlib.sha256(canonical).hexdigest()


def _as_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {_json_key(key): _as_json(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_as_json(item) for item in value]
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int and not -_SAFE_INT < value < _SAFE_INT:
        try:
            return float(value)
        except OverflowError:
            return str(value)
    return value


def _json_key(key: Any) -> str:
    """A dict key as JSON text names it (the stdlib encoder's rule, which the store follows for such keys)."""
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, float):
        return float.__repr__(key)
    return str(key)


def encode_documents(entries: Sequence[Covered]) -> str | None:
    """The text an event's ``documents`` holds and its hash covers: canonical JSON, None for no documents."""
    if not entries:
        return None
    return canonical_json([list(entry) for entry in entries]).decode()


def parse_documents(text: str | None) -> list[Covered]:
    """The covered documents of an event's ``documents`` text (see :func:`encode_documents`)."""
    if text is None:
        return []
    return [
        (str(kind), str(id), int(version), str(digest), state, workspace, parent)
        for kind, id, version, digest, state, workspace, parent in orjson.loads(text)
    ]


@attrs.frozen(kw_only=True)
class StateReport:
    """The outcome of checking every stored document against its last audited write.

    ``documents`` is how many stored documents match; ``mismatched`` how many do not (changed, deleted or, in a
    store written with coverage from its start, never covered), ``first_bad`` naming the one whose last audited
    write is oldest, as ``"<kind> <id>"``, and ``reason`` saying how. ``uncovered`` counts the documents no event
    covers in a store whose trail began before coverage: they may be that old, and are not counted as tampering;
    ``uncovered_examples`` names the first few.
    """

    ok: bool
    documents: int
    mismatched: int = 0
    first_bad: str | None = None
    reason: str | None = None
    uncovered: int = 0
    uncovered_examples: tuple[str, ...] = ()


def check_documents(
    coverage: Iterable[tuple[int, str]],
    stored: Iterable[Sequence[Any]],
    *,
    decode: Callable[[Any], Any],
    legacy: bool,
) -> StateReport:
    """Compare ``stored`` rows, ``(kind, id, version, state, workspace, parent, doc)``, with their last covered write.

    ``coverage`` holds ``(sequence, documents text)`` of the events that carry any, in sequence order; ``decode``
    turns a stored doc into its value; ``legacy`` says the trail has events from before coverage.
    """
    latest: dict[tuple[str, str], tuple[int, Covered]] = {}
    problems: list[tuple[float, str, str]] = []  # (covering sequence, "kind id", reason)
    for sequence, text in coverage:
        try:
            entries = parse_documents(text)
        except (ValueError, TypeError):  # edited outside the store (the chain check names the event too)
            problems.append((sequence, f"event {sequence}", f"event {sequence}'s record of documents is unreadable"))
            continue
        for entry in entries:
            latest[(entry[0], entry[1])] = (sequence, entry)
    matched = 0
    uncovered: list[str] = []
    for kind, id, version, state, workspace, parent, doc in stored:
        name = f"{kind} {id}"
        last = latest.pop((kind, id), None)
        if last is None:
            if legacy:
                uncovered.append(name)
            else:
                problems.append((math.inf, name, f"{name} was never covered by an event: written outside the services"))
            continue
        sequence, entry = last
        problem = _difference(entry, version, (state, workspace, parent), doc, decode)
        if problem is None:
            matched += 1
        else:
            problems.append((sequence, name, f"{name} {problem}, unlike what event {sequence} recorded"))
    for sequence, entry in latest.values():
        name = f"{entry[0]} {entry[1]}"
        problems.append((sequence, name, f"{name} is gone, though event {sequence} recorded its version {entry[2]}"))
    _sequence, first, reason = min(problems) if problems else (0, None, None)
    return StateReport(
        ok=not problems,
        documents=matched,
        mismatched=len(problems),
        first_bad=first,
        reason=reason,
        uncovered=len(uncovered),
        uncovered_examples=tuple(uncovered[:_SHOWN]),
    )


def _difference(
    entry: Covered, version: int, columns: tuple[Any, Any, Any], doc: Any, decode: Callable[[Any], Any]
) -> str | None:
    """How a stored row differs from its covered write, or None when it does not."""
    if entry[2] != version:
        return f"is at version {version}"
    for name, covered, stored in zip(("state", "workspace", "parent"), entry[4:], columns, strict=True):
        if covered != stored:
            return f"has {name} {stored!r}"
    try:
        value = decode(doc)
    except ValueError:
        return f"(version {version}) holds text that is not JSON"
    if document_digest(value) != entry[3]:
        return f"(version {version}) holds another document"
    return None
