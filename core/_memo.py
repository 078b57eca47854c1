"""Remembering what a function returned for the very same immutable object, where computing it again is costly."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["IdentityMemo", "trim_oldest"]

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """``fn(value)``, computed once per value *object* while the object is remembered.

    Keyed by identity, not equality: equal datetimes in two time zones format differently, and an identity
    check needs no hashing. An entry holds its object, so that object's ``id`` cannot be reused while the
    entry lives. Only for immutable objects and functions of nothing else. Past ``size`` entries it forgets
    everything and starts over. An exception from ``fn`` is raised and nothing is remembered.
    """

    __slots__ = ("_entries", "_fn", "_size")

    def __init__(self, fn: Callable[[K], V], size: int = 1024) -> None:
        self._fn = fn
        self._size = size
        self._entries: dict[int, tuple[K, V]] = {}

    def __call__(self, value: K) -> V:
        entry = self._entries.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        result = self._fn(value)
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[id(value)] = (value, result)
        return result


def trim_oldest(cache: dict[Any, Any], limit: int) -> None:
    """Keep a dict used as a cache within ``limit`` entries: past it, drop the oldest quarter (first inserted).

    Dropping one entry per insert leaves the deleted slots at the front of the dict, and finding the oldest
    (``next(iter(cache))``) walks over every one of them: that made bookkeeping cost more than the lookups it
    saved. Rebuilding in place, a quarter at a time, leaves no such slots and costs O(1) per insert overall.
    """
    if len(cache) <= limit:
        return
    kept = list(itertools.islice(cache.items(), len(cache) - limit * 3 // 4, None))
    cache.clear()
    cache.update(kept)
