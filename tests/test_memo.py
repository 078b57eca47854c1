"""IdentityMemo: one computation per object, never an answer for a different object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from creatorkit._memo import IdentityMemo
from creatorkit.converter import unstructure


def test_the_same_object_is_computed_once() -> None:
    calls: list[datetime] = []

    def fmt(moment: datetime) -> str:
        calls.append(moment)
        return moment.isoformat()

    memo = IdentityMemo(fmt)
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert memo(moment) == memo(moment) == "2026-03-02T09:00:00+00:00"
    assert calls == [moment]


def test_an_equal_object_is_not_taken_for_the_same() -> None:
    memo = IdentityMemo(datetime.isoformat)
    utc = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    warsaw = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == warsaw
    assert memo(utc) == "2026-03-02T09:00:00+00:00"
    assert memo(warsaw) == "2026-03-02T10:00:00+01:00"


def test_an_error_is_raised_and_not_remembered() -> None:
    attempts = []

    def fail_once(value: object) -> str:
        attempts.append(value)
        if len(attempts) == 1:
            raise ValueError("first time")
        return "ok"

    memo: IdentityMemo[object, str] = IdentityMemo(fail_once)
    value = object()
    with pytest.raises(ValueError, match="first time"):
        memo(value)
    assert memo(value) == "ok"
    assert len(attempts) == 2


def test_it_forgets_past_its_size() -> None:
    memo: IdentityMemo[object, int] = IdentityMemo(id, size=3)
    kept = [object() for _ in range(3)]
    for value in kept:
        memo(value)
    assert len(memo._entries) == 3
    memo(object())
    assert len(memo._entries) == 1


def test_entities_keep_their_moments_offsets() -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert unstructure(moment) == "2026-03-02T09:00:00+09:00"
    assert unstructure(moment.astimezone(UTC)) == "2026-03-02T00:00:00+00:00"


def test_trim_oldest_keeps_the_newest_and_the_limit() -> None:
    from creatorkit._memo import trim_oldest

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
