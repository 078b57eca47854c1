"""Remembering what a function returned for the very same immutable object, where computing it again is costly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["IdentityMemo"]

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
