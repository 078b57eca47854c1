"""Walking a paged API to its end: page numbers, offsets or cursors, never more than a set number of pages.

A plugin writes one function that fetches one page and says where the next one starts (:class:`Page`), and
:func:`paginate` calls it until the platform says there is no more — or until ``max_pages``, after which the
:class:`Pages` it returns says so (``truncated``) and keeps the token to resume from (``next``). The ``Page``
constructors read the three usual shapes: ``page_info {page, total_page}`` (TikTok), an offset and a page size,
a cursor with ``has_more`` (or Meta's ``paging.cursors.after``, present while there is more).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ..errors import PlatformError

__all__ = ["Page", "Pages", "paginate"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page's ``items`` and the token of the next page (None: this was the last)."""

    items: Sequence[T]
    next: Any = None

    @classmethod
    def numbered(
        cls, items: Sequence[T], *, page: int, total_pages: int | None = None, has_more: bool | None = None
    ) -> Page[T]:
        """A page-numbered API: more while ``page < total_pages`` (or while ``has_more``)."""
        more = has_more if total_pages is None else page < total_pages
        return cls(items, page + 1 if more and items else None)

    @classmethod
    def offset(cls, items: Sequence[T], *, offset: int, limit: int, total: int | None = None) -> Page[T]:
        """An offset API: more while the items so far are fewer than ``total`` (or, without it, while the page
        came back full)."""
        end = offset + len(items)
        more = end < total if total is not None else len(items) >= limit
        return cls(items, end if more and items else None)

    @classmethod
    def cursor(cls, items: Sequence[T], *, cursor: Any, has_more: bool | None = None) -> Page[T]:
        """A cursor API: more while ``has_more`` (or, without it, while a cursor comes back)."""
        more = bool(cursor) if has_more is None else has_more and cursor is not None
        return cls(items, cursor if more else None)


class Pages(Generic[T]):
    """The items of every page, fetched as they are iterated. After the loop, ``pages`` counts the pages
    fetched; ``truncated`` says the walk stopped at ``max_pages`` with more to come, and ``next`` is where to
    resume."""

    def __init__(self, fetch: Callable[[Any], Page[T]], *, start: Any, max_pages: int, platform: str) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._fetch, self.next, self.max_pages, self.platform = fetch, start, max_pages, platform
        self.pages = 0
        self.truncated = False
        self._started = False

    def __iter__(self) -> Iterator[T]:
        for page in self.each_page():
            yield from page.items

    def each_page(self) -> Iterator[Page[T]]:
        """The pages themselves, for a caller that wants each page's size or token."""
        if self._started:
            raise RuntimeError("a Pages walk can be iterated once")
        self._started = True
        seen: set[Any] = set()
        token = self.next
        while True:
            if self.pages >= self.max_pages:
                self.truncated, self.next = True, token
                return
            page = self._fetch(token)
            self.pages += 1
            yield page
            if page.next is None:
                self.next = None
                return
            key = repr(page.next)
            if key in seen or page.next == token:
                raise PlatformError(self.platform, f"the page after {token!r} points back to {page.next!r}")
            seen.add(key)
            token = page.next


def paginate(
    fetch: Callable[[Any], Page[T]], *, start: Any = None, max_pages: int = 100, platform: str = "platform"
) -> Pages[T]:
    """Every item of ``fetch(start)``, ``fetch(next)``, … up to ``max_pages`` pages (see :class:`Pages`).

    ``fetch`` receives the token of the page to fetch: ``start`` first (None, page 1, offset 0), then each page's
    ``next``. A platform that hands back a token it already gave raises ``PlatformError`` instead of looping.
    """
    return Pages(fetch, start=start, max_pages=max_pages, platform=platform)
