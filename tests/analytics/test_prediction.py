"""Prediction: a typical post from the logs of the settled history, a sponsored ratio shrunk by sample size, and
an interval from leave-one-out residual ranks that covers about 80 % of new posts."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creatorkit.analytics import MINIMUM_POSTS, PastPost, predict
from creatorkit.entities import (
    Count,
    MetricSource,
    PostKind,
    PostMetrics,
    PredictedCount,
    Statistic,
    Window,
)
from creatorkit.errors import ValidationError

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def history(
    views: list[int],
    *,
    sponsored: set[int] = frozenset(),  # type: ignore[assignment]
    flags: bool = True,
    newest_age_days: float = 10.0,
    every_days: float = 3.0,
    engagement_share: float = 0.05,
) -> list[PastPost]:
    """Posts newest first: ``views[0]`` published ``newest_age_days`` ago, each next one ``every_days`` older."""
    return [
        PastPost(
            post_id=f"p{number}",
            published_at=NOW - timedelta(days=newest_age_days + every_days * number),
            as_of=NOW,
            views=value,
            engagements=round(value * engagement_share),
            sponsored=(number in sponsored) if flags else None,
        )
        for number, value in enumerate(views)
    ]


def run(posts: list[PastPost], kind: PostKind = PostKind.ORGANIC, **options: float) -> tuple[int, int, int]:
    prediction = predict(posts, kind, key="acct", as_of=NOW, **options)  # type: ignore[arg-type]
    return prediction.views.expected.value, prediction.views.low, prediction.views.high


# --- the estimate ----------------------------------------------------------------------------------------------


def test_a_steady_creator_gets_its_own_figure_with_no_spread() -> None:
    prediction = predict(history([10_000] * 12), PostKind.ORGANIC, key="acct", as_of=NOW, platform="tiktok")
    assert (prediction.views.expected.value, prediction.views.low, prediction.views.high) == (10_000, 10_000, 10_000)
    assert prediction.engagements is not None and prediction.engagements.expected.value == 500
    expected = prediction.views.expected
    assert (expected.source, expected.statistic, expected.as_of) == (MetricSource.ESTIMATED, Statistic.MEDIAN, NOW)
    assert expected.window == prediction.window == Window.posts(12)
    assert (prediction.posts, prediction.method, prediction.platform) == (12, "log-trimmed-mean+conformal", "tiktok")
    assert prediction.adjustments == () and prediction.notes == ()


def test_one_viral_post_barely_moves_the_estimate() -> None:
    """The naive mean of these ten posts is 109,000; the typical post is 10,000."""
    views = [10_000] * 9 + [1_000_000]  # the viral one the oldest: its weight is inside the trimmed tenth
    expected, _, high = run(history(views))
    assert expected == 10_000
    assert high > 100_000  # the viral post still counts for how far a post can land
    expected_new, _, high_new = run(history([1_000_000] + [10_000] * 9))  # the newest: weighs more, still trimmed
    assert 10_000 <= expected_new < 12_000
    assert high_new > expected_new


def test_the_level_is_the_geometric_centre_of_the_history() -> None:
    """Views spread evenly in log space around 20,000 give 20,000, not their arithmetic mean."""
    views = [round(20_000 * 2**k) for k in (-2, -1, 0, 1, 2, 0, -1, 1, 0, 2, -2, 0)]
    expected, low, high = run(history(views), half_life=1e9)  # no recency weighting: a symmetric sample
    assert expected == 20_000
    assert low < expected < high


def test_the_window_keeps_the_newest_posts() -> None:
    prediction = predict(history([10_000] * 30 + [1_000_000] * 20), PostKind.ORGANIC, key="a", as_of=NOW)
    assert prediction.posts == 30 and prediction.window == Window.posts(30)
    assert prediction.views.expected.value == 10_000


def test_the_interval_widens_with_noise() -> None:
    rng = random.Random(3)
    shocks = [rng.gauss(0, 1) for _ in range(30)]
    widths = []
    for sigma in (0.2, 0.5, 1.0):
        _, low, high = run(history([round(50_000 * math.exp(sigma * z)) for z in shocks]))
        widths.append(high / low)
    assert widths[0] < widths[1] < widths[2]
    assert widths[0] == pytest.approx(math.exp(0.2 * 2.56), rel=0.35)  # about ±1.28 σ, in log space


def test_the_interval_covers_about_80_percent_of_new_posts() -> None:
    """Seeded heavy-tailed creators (log-normal views, σ from 0.4 to 1.2): the interval of each holds the next
    post about 8 times in 10, whatever the creator's spread."""
    rng = random.Random(11)
    covered = []
    for _ in range(300):
        sigma, typical = rng.uniform(0.4, 1.2), math.exp(rng.uniform(7, 13))
        views = [max(1, round(typical * math.exp(rng.gauss(0, sigma)))) for _ in range(31)]
        _, low, high = run(history(views[1:]))
        covered.append(low <= views[0] <= high)
    assert 0.75 <= sum(covered) / len(covered) <= 0.85


# --- sponsored versus organic ----------------------------------------------------------------------------------


def test_sponsored_posts_that_do_less_lower_the_sponsored_prediction() -> None:
    views = [40_000 if n in (1, 5, 9, 13) else 80_000 for n in range(20)]
    views = [round(v * (1 + 0.1 * ((n % 3) - 1))) for n, v in enumerate(views)]  # a little spread
    posts = history(views, sponsored={1, 5, 9, 13})
    sponsored = predict(posts, PostKind.SPONSORED, key="a", as_of=NOW)
    organic = predict(posts, PostKind.ORGANIC, key="a", as_of=NOW)
    assert sponsored.views.expected.value < organic.views.expected.value
    adjustment = sponsored.adjustment("views")
    assert adjustment is not None and (adjustment.sponsored_posts, adjustment.organic_posts) == (4, 16)
    assert adjustment.observed_ratio == pytest.approx(0.5, rel=0.1)
    assert adjustment.observed_ratio < adjustment.ratio < 1  # shrunk toward 1, not past it
    assert 0 < adjustment.weight < 1
    assert sponsored.adjustment("engagements") is not None


def test_sponsored_posts_that_do_more_raise_it() -> None:
    views = [round((150_000 if n in (2, 6) else 50_000) * (1 + 0.15 * ((n % 3) - 1))) for n in range(20)]
    posts = history(views, sponsored={2, 6})
    adjustment = predict(posts, PostKind.SPONSORED, key="a", as_of=NOW).adjustment("views")
    assert adjustment is not None and 1 < adjustment.ratio < adjustment.observed_ratio


def test_more_sponsored_posts_earn_the_ratio_more_weight() -> None:
    def weight(sponsored: set[int]) -> float:
        views = [round((30_000 if n in sponsored else 60_000) * (1 + 0.3 * ((n % 5) - 2) / 2)) for n in range(30)]
        adjustment = predict(history(views, sponsored=sponsored), key="a", as_of=NOW).adjustment("views")
        assert adjustment is not None
        return adjustment.weight

    assert weight({3}) < weight({3, 8, 13}) < weight(set(range(0, 30, 2)))


def test_without_both_kinds_there_is_no_adjustment() -> None:
    views = [10_000, 12_000, 9_000, 11_000, 10_500, 9_500, 13_000]
    for posts in (history(views), history(views, flags=False), history(views, sponsored=set(range(7)))):
        sponsored = predict(posts, PostKind.SPONSORED, key="a", as_of=NOW)
        assert sponsored.adjustments == ()
        assert sponsored.views == predict(posts, PostKind.ORGANIC, key="a", as_of=NOW).views


# --- too little, too young, bad input --------------------------------------------------------------------------


def test_fewer_than_five_settled_posts_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        predict(history([10_000] * (MINIMUM_POSTS - 1)), key="a", as_of=NOW)
    assert refused.value.problems[0].path == "history"
    assert "4 settled posts" in str(refused.value)


def test_posts_still_growing_are_left_out_and_said_so() -> None:
    posts = history([1_000] * 3, newest_age_days=0.5, every_days=1.0) + history([10_000] * 8, newest_age_days=8)
    posts = [PastPost(**{**vars_of(p), "post_id": f"{p.post_id}-{i}"}) for i, p in enumerate(posts)]
    prediction = predict(posts, key="a", as_of=NOW)
    assert prediction.posts == 8 and prediction.views.expected.value == 10_000
    assert any("3 posts younger than 7 days" in note for note in prediction.notes)
    with pytest.raises(ValidationError):
        predict(posts, key="a", as_of=NOW, settle_days=40)


def vars_of(post: PastPost) -> dict[str, Any]:
    return {name: getattr(post, name) for name in ("post_id", "published_at", "as_of", "views", "engagements")}


def test_a_short_history_gets_a_wider_interval_and_a_note() -> None:
    views = [10_000, 14_000, 8_000, 12_000, 9_000, 11_000]
    prediction = predict(history(views), PostKind.ORGANIC, key="a", as_of=NOW)
    assert prediction.views.low <= 8_000 and prediction.views.high >= 14_000
    assert any("too few for a calibrated interval" in note for note in prediction.notes)
    longer = predict(history(views * 3), PostKind.ORGANIC, key="a", as_of=NOW)
    assert longer.views.high / longer.views.low < prediction.views.high / prediction.views.low


def test_posts_without_views_or_engagements() -> None:
    posts = history([10_000] * 8)
    posts[2] = PastPost(post_id="p2", published_at=posts[2].published_at, as_of=NOW, views=None, engagements=40)
    posts[3] = PastPost(post_id="p3", published_at=posts[3].published_at, as_of=NOW, views=10_000)
    prediction = predict(posts, key="a", as_of=NOW)
    assert prediction.posts == 7 and prediction.engagements is None
    assert "1 posts without views are left out" in prediction.notes
    assert "engagements: not every post used has them" in prediction.notes


def test_a_post_twice_or_read_before_it_was_published_is_refused() -> None:
    posts = history([10_000] * 6)
    with pytest.raises(ValidationError) as twice:
        predict([*posts, posts[0]], key="a", as_of=NOW)
    assert twice.value.problems[0].path == "history[6].post_id"
    early = PastPost(post_id="x", published_at=NOW, as_of=NOW - timedelta(days=1), views=5)
    with pytest.raises(ValidationError) as read_early:
        predict([*posts, early], key="a", as_of=NOW)
    assert read_early.value.problems[0].path == "history[6].as_of"
    late = PastPost(post_id="y", published_at=NOW - timedelta(days=9), as_of=NOW + timedelta(hours=1), views=5)
    with pytest.raises(ValidationError, match="after the prediction's as_of") as from_the_future:
        predict([*posts, late], key="a", as_of=NOW)
    assert from_the_future.value.problems[0].path == "history[6].as_of"


@pytest.mark.parametrize(("option", "value"), [("window", 0), ("level", 1.0), ("level", 0.0)])
def test_a_window_or_level_out_of_range_is_refused(option: str, value: float) -> None:
    with pytest.raises(ValidationError) as refused:
        predict(history([10_000] * 6), key="a", as_of=NOW, **{option: value})  # type: ignore[arg-type]
    assert refused.value.problems[0].path == option


def test_another_level_gives_another_interval() -> None:
    views = [round(30_000 * math.exp(0.6 * math.sin(n * 1.7))) for n in range(40)]
    narrow = predict(history(views), key="a", as_of=NOW, level=0.5).views
    wide = predict(history(views), key="a", as_of=NOW, level=0.95).views
    assert (narrow.level, wide.level) == (0.5, 0.95)
    assert wide.low <= narrow.low <= narrow.expected.value <= narrow.high <= wide.high
    assert wide.high / wide.low > narrow.high / narrow.low


def test_a_history_entry_from_post_metrics() -> None:
    def figure(value: int) -> Count:
        return Count(value=value, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=NOW)

    metrics = PostMetrics(
        platform="tiktok",
        platform_post_id="v1",
        as_of=NOW,
        views=figure(1_000),
        likes=figure(50),
        comments=figure(5),
        shares=figure(3),
        saves=figure(2),
    )
    entry = PastPost.from_metrics(metrics, NOW - timedelta(days=9), sponsored=True)
    assert (entry.post_id, entry.views, entry.engagements, entry.sponsored) == ("v1", 1_000, 60, True)
    partial = PastPost.from_metrics(PostMetrics(platform="tiktok", platform_post_id="v2", as_of=NOW), NOW)
    assert (partial.views, partial.engagements, partial.sponsored) == (None, None, None)


def test_a_predicted_count_keeps_its_bounds_and_its_source() -> None:
    estimate = Count(value=100, window=Window.posts(10), source=MetricSource.ESTIMATED, as_of=NOW)
    with pytest.raises(ValueError, match="low <= expected <= high"):
        PredictedCount(expected=estimate, low=120, high=200)
    with pytest.raises(ValueError, match="estimate"):
        PredictedCount(
            expected=Count(value=100, window=Window.posts(10), source=MetricSource.PLATFORM, as_of=NOW),
            low=50,
            high=200,
        )
    with pytest.raises(ValueError, match="between 0 and 1"):
        PredictedCount(expected=estimate, low=50, high=200, level=1.0)
