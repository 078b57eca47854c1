"""Pagination helpers walk page numbers, offsets and cursors to the end, and stop at ``max_pages``."""

from __future__ import annotations

import pytest

from creatorkit import PlatformError
from creatorkit.toolkit import Page, Pages, paginate

ITEMS = list(range(47))


def by_page(page: int) -> Page[int]:
    size = 10
    chunk = ITEMS[(page - 1) * size : page * size]
    return Page.numbered(chunk, page=page, total_pages=5)


def by_offset(offset: int) -> Page[int]:
    return Page.offset(ITEMS[offset : offset + 10], offset=offset, limit=10)


def by_cursor(cursor: str | None) -> Page[int]:
    start = int(cursor or 0)
    chunk = ITEMS[start : start + 10]
    more = start + 10 < len(ITEMS)
    return Page.cursor(chunk, cursor=str(start + 10), has_more=more)


@pytest.mark.parametrize(("fetch", "start"), [(by_page, 1), (by_offset, 0), (by_cursor, None)])
def test_every_shape_is_walked_to_the_end(fetch, start) -> None:
    pages = paginate(fetch, start=start, max_pages=10)
    assert list(pages) == ITEMS
    assert pages.pages == 5 and not pages.truncated and pages.next is None


def test_an_offset_api_with_a_total_stops_on_it() -> None:
    pages = paginate(
        lambda offset: Page.offset(ITEMS[offset : offset + 10], offset=offset, limit=10, total=20), start=0
    )
    assert list(pages) == ITEMS[:20]


def test_max_pages_truncates_and_keeps_where_to_resume() -> None:
    pages = paginate(by_page, start=1, max_pages=2)
    assert list(pages) == ITEMS[:20]
    assert pages.truncated and pages.next == 3
    rest = paginate(by_page, start=pages.next, max_pages=10)
    assert list(rest) == ITEMS[20:]


def test_a_cursor_that_points_back_is_an_error() -> None:
    with pytest.raises(PlatformError):
        list(paginate(lambda cursor: Page([1], next="same"), start="same", platform="example"))
    with pytest.raises(PlatformError):
        list(paginate(lambda cursor: Page([1], next="a" if cursor == "b" else "b"), max_pages=10))


def test_an_empty_page_ends_a_walk_and_pages_are_available() -> None:
    pages: Pages[int] = paginate(lambda cursor: Page.cursor([], cursor=None, has_more=True))
    assert list(pages.each_page()) == [Page([], None)]
    with pytest.raises(RuntimeError):
        list(pages)
