"""trim_oldest keeps a cache within its bounds; moments are never formatted as another, equal moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from creatorkit._memo import trim_oldest
from creatorkit.converter import unstructure


def test_entities_keep_their_moments_offsets() -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert unstructure(moment) == "2026-03-02T09:00:00+09:00"
    assert unstructure(moment.astimezone(UTC)) == "2026-03-02T00:00:00+00:00"


def test_trim_oldest_keeps_the_newest_and_the_limit() -> None:
    cache = {i: str(i) for i in range(10)}
    trim_oldest(cache, 10)
    assert len(cache) == 10  # at the limit: untouched
    cache[10] = "10"
    trim_oldest(cache, 8)
    assert list(cache) == list(range(5, 11))  # the oldest go, a quarter below the limit is left
    for i in range(11, 1000):
        cache[i] = str(i)
        trim_oldest(cache, 8)
        assert len(cache) <= 8 and i in cache
