"""Expected views and engagements for a proposed post, from the creator's recent history, with an 80 % interval.

View counts are heavy-tailed (one post in a creator's thirty can have five times the typical views), so the
naive average of the last posts is dragged up by the one that took off and swings with every outlier. Here
everything is done on the logarithm of the counts, where a creator's posts spread roughly symmetrically:

1. **history**: the ``window`` most recent posts that have *settled* (at least ``settle_days`` old when read: a
   post's figures keep growing for days, and a two-day-old post's views are not what it will end with);
2. **sponsored adjustment**: where the history has sponsored and organic posts, their typical levels (trimmed
   means of the logs) are compared, and the log ratio is shrunk toward 0 (a ratio of 1) by how much history it
   rests on: weight = n / (n + (s / τ)²), with n the effective number of posts (n_s·n_o / (n_s + n_o)), s the
   spread of the logs and τ = 0.3 the spread assumed for true sponsored effects across creators. Two sponsored
   posts out of thirty move the estimate a little; twenty move it almost all the way;
3. **level**: a recency-weighted trimmed mean of the logs (sponsored posts brought to the organic level first);
   weights halve every ``half_life`` posts, and a tenth of the weight is trimmed at each end, so one viral post
   moves it little. The expected figure is e^level (times the ratio for the other kind): a typical post, the
   median, not the mean;
4. **interval**: conformal-style: each post's leave-one-out residual (its log minus the level computed without
   it) is a sample of how far a new post lands from the estimate; the interval is the level plus the residuals
   of rank ⌊(n + 1)·0.1⌋ and ⌈(n + 1)·0.9⌉, which covers a new post with probability ≈ 80 % whatever the shape of
   the spread. Below nine posts those ranks do not exist; the interval is then the wider of the extreme residuals
   and a Student-t interval on the robust spread (the median absolute residual × 1.4826), and a note says so.

Fewer than ``MINIMUM_POSTS`` (5) settled posts with views: a :class:`~creatorkit.errors.ValidationError`
(``history``), not a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from statistics import NormalDist

import attrs

from ..entities import (
    Count,
    MetricSource,
    PostKind,
    PostMetrics,
    PredictedCount,
    Prediction,
    SponsoredAdjustment,
    Statistic,
    Window,
)
from ..errors import Problem, ValidationError

__all__ = ["MINIMUM_POSTS", "PastPost", "predict"]

#: The fewest settled posts a prediction rests on.
MINIMUM_POSTS = 5
METHOD = "log-trimmed-mean+conformal"
#: The assumed spread (in log units) of the true sponsored-versus-organic effect across creators: a prior that
#: says most creators' sponsored posts do between about 0.55× and 1.8× their organic ones.
SPONSORED_EFFECT_SPREAD = 0.3
#: The share of the weight trimmed at each end of the logs.
TRIM = 0.1
#: One-sided 90 % quantiles of Student's t by degrees of freedom, for histories too short for ranks (at other
#: levels a longer history can lack the ranks too; its t is then taken as 4 degrees', which only widens).
_T90 = {4: 1.533, 5: 1.476, 6: 1.440, 7: 1.415, 8: 1.397}


@attrs.frozen(kw_only=True)
class PastPost:
    """One post of a creator's history: its figures as read at ``as_of``, and whether it was sponsored
    (``None``: not known; such posts count for the level but not for the sponsored adjustment)."""

    post_id: str
    published_at: datetime
    as_of: datetime
    views: int | None
    engagements: int | None = None
    sponsored: bool | None = None

    @classmethod
    def from_metrics(cls, metrics: PostMetrics, published_at: datetime, sponsored: bool | None = None) -> PastPost:
        """A history entry from a post's metrics; engagements are likes + comments + shares + saves, where every
        one of them is reported."""
        parts = (metrics.likes, metrics.comments, metrics.shares, metrics.saves)
        engagements = sum(p.value for p in parts if p is not None) if all(p is not None for p in parts) else None
        return cls(
            post_id=metrics.platform_post_id,
            published_at=published_at,
            as_of=metrics.as_of,
            views=None if metrics.views is None else metrics.views.value,
            engagements=engagements,
            sponsored=sponsored,
        )


def predict(
    history: Sequence[PastPost],
    kind: PostKind = PostKind.SPONSORED,
    *,
    key: str,
    as_of: datetime,
    platform: str | None = None,
    window: int = 30,
    settle_days: float = 7.0,
    half_life: float = 15.0,
    level: float = 0.8,
) -> Prediction:
    """What a proposed ``kind`` of post by ``key`` can expect, from ``history`` (any order; see the module).

    :raises ValidationError: fewer than :data:`MINIMUM_POSTS` settled posts with views, a post twice, a post
        read before it was published or after ``as_of``, a ``window`` under 1 or a ``level`` outside (0, 1).
    """
    if not 0 < level < 1:
        raise ValidationError([Problem("level", f"must be between 0 and 1 (exclusive), got {level}")], "prediction")
    posts, notes = _usable(history, as_of, window, settle_days)
    weights = [0.5 ** (rank / half_life) for rank in range(len(posts))]
    used = Window.posts(len(posts))
    sponsored = [p.sponsored for p in posts]
    views = _Fit(
        [math.log(p.views or 1) for p in posts], sponsored, weights, kind, level, lambda v: max(0, round(math.exp(v)))
    )
    adjustments = [a for a in [views.adjustment("views")] if a is not None]
    notes.extend(views.notes)
    engagements = None
    if all(p.engagements is not None for p in posts):
        logs = [math.log1p(p.engagements or 0) for p in posts]
        fit = _Fit(logs, sponsored, weights, kind, level, lambda v: max(0, round(math.expm1(v))))
        engagements = fit.predicted(used, as_of)
        adjustments.extend(a for a in [fit.adjustment("engagements")] if a is not None)
    else:
        notes.append("engagements: not every post used has them")
    return Prediction(
        key=key,
        kind=kind,
        as_of=as_of,
        method=METHOD,
        posts=len(posts),
        window=used,
        views=views.predicted(used, as_of),
        engagements=engagements,
        platform=platform,
        adjustments=tuple(adjustments),
        notes=tuple(dict.fromkeys(notes)),
    )


def _usable(
    history: Sequence[PastPost], as_of: datetime, window: int, settle_days: float
) -> tuple[list[PastPost], list[str]]:
    """The ``window`` newest settled posts with views, newest first, and notes on what was left out."""
    if window < 1:
        raise ValidationError([Problem("window", f"must be at least 1 post, got {window}")], "prediction")
    seen: set[str] = set()
    for index, post in enumerate(history):
        if post.post_id in seen:
            problem = Problem(f"history[{index}].post_id", f"{post.post_id!r} is listed twice")
            raise ValidationError([problem], "history")
        if post.as_of < post.published_at:
            problem = Problem(f"history[{index}].as_of", f"{post.post_id!r} was read before it was published")
            raise ValidationError([problem], "history")
        if post.as_of > as_of:  # a figure from after the prediction: a backtest that would see the future
            problem = Problem(f"history[{index}].as_of", f"{post.post_id!r} was read after the prediction's as_of")
            raise ValidationError([problem], "history")
        seen.add(post.post_id)
    settle = timedelta(days=settle_days)
    published = [p for p in history if p.published_at <= as_of]
    young = [p for p in published if p.as_of - p.published_at < settle]
    without = [p for p in published if p.views is None]
    ready = sorted(
        (p for p in published if p.views is not None and p.as_of - p.published_at >= settle),
        key=lambda p: p.published_at,
        reverse=True,
    )
    notes = []
    if young:
        notes.append(f"{len(young)} posts younger than {settle_days:g} days when read are left out: still growing")
    if without:
        notes.append(f"{len(without)} posts without views are left out")
    if len(ready) < MINIMUM_POSTS:
        message = f"{len(ready)} settled posts with views; a prediction needs at least {MINIMUM_POSTS}"
        raise ValidationError([Problem("history", message)], "history")
    return ready[:window], notes


class _Fit:
    """One metric's level, sponsored ratio and interval, in log space."""

    def __init__(
        self,
        logs: list[float],
        sponsored: list[bool | None],
        weights: list[float],
        kind: PostKind,
        level: float,
        back: Callable[[float], int],
    ) -> None:
        self.back, self.level = back, level
        self.notes: list[str] = []
        self.log_ratio, self.observed, self.weight, self.counts = _sponsored_effect(logs, sponsored)
        # Every post brought to the organic level, so that sponsored and organic posts are one sample.
        adjusted = [v - self.log_ratio if s else v for v, s in zip(logs, sponsored, strict=True)]
        self.centre = _trimmed_mean(adjusted, weights)
        shift = self.log_ratio if kind is PostKind.SPONSORED else 0.0
        low, high = self._residual_bounds(adjusted, weights)
        self.expected, self.low, self.high = self.centre + shift, self.centre + shift + low, self.centre + shift + high

    def _residual_bounds(self, adjusted: list[float], weights: list[float]) -> tuple[float, float]:
        n = len(adjusted)
        residuals = sorted(
            value - _trimmed_mean(adjusted[:i] + adjusted[i + 1 :], weights[:i] + weights[i + 1 :])
            for i, value in enumerate(adjusted)
        )
        tail = (1 - self.level) / 2
        lower_rank, upper_rank = math.floor((n + 1) * tail), math.ceil((n + 1) * (1 - tail))
        if lower_rank >= 1 and upper_rank <= n:
            return min(0.0, residuals[lower_rank - 1]), max(0.0, residuals[upper_rank - 1])
        spread = 1.4826 * _median([abs(r) for r in residuals]) * math.sqrt(1 + 1 / n)
        t = _T90.get(n - 1, 1.533) * _t_scale(self.level)
        self.notes.append(f"{n} posts are too few for a calibrated interval: it is widened (Student-t, robust spread)")
        return min(residuals[0], -t * spread, 0.0), max(residuals[-1], t * spread, 0.0)

    def predicted(self, window: Window, as_of: datetime) -> PredictedCount:
        expected = Count(
            value=self.back(self.expected),
            window=window,
            source=MetricSource.ESTIMATED,
            as_of=as_of,
            statistic=Statistic.MEDIAN,
        )
        return PredictedCount(
            expected=expected, low=self.back(self.low), high=self.back(self.high), level=round(self.level, 6)
        )

    def adjustment(self, metric: str) -> SponsoredAdjustment | None:
        if self.counts is None:
            return None
        return SponsoredAdjustment(
            metric=metric,
            ratio=math.exp(self.log_ratio),
            observed_ratio=math.exp(self.observed),
            weight=self.weight,
            sponsored_posts=self.counts[0],
            organic_posts=self.counts[1],
        )


def _sponsored_effect(
    logs: list[float], sponsored: list[bool | None]
) -> tuple[float, float, float, tuple[int, int] | None]:
    """The shrunk log ratio, the observed one, the weight given to it, and the posts of each kind (None where
    the history lacks either kind)."""
    paid = [v for v, s in zip(logs, sponsored, strict=True) if s is True]
    own = [v for v, s in zip(logs, sponsored, strict=True) if s is False]
    if not paid or not own:
        return 0.0, 0.0, 0.0, None
    observed = _trimmed_mean(paid, [1.0] * len(paid)) - _trimmed_mean(own, [1.0] * len(own))
    spread = max(_spread(paid + own, observed, [True] * len(paid) + [False] * len(own)), 1e-6)
    effective = len(paid) * len(own) / (len(paid) + len(own))
    weight = effective / (effective + (spread / SPONSORED_EFFECT_SPREAD) ** 2)
    return observed * weight, observed, weight, (len(paid), len(own))


def _spread(values: list[float], log_ratio: float, sponsored: list[bool]) -> float:
    """The robust spread of the logs around each kind's own level (median absolute deviation × 1.4826)."""
    adjusted = [v - log_ratio if s else v for v, s in zip(values, sponsored, strict=True)]
    centre = _median(adjusted)
    return 1.4826 * _median([abs(v - centre) for v in adjusted])


def _trimmed_mean(values: list[float], weights: list[float]) -> float:
    """The weighted mean of ``values`` without the lowest and highest :data:`TRIM` of the weight."""
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights)
    low, high = TRIM * total, (1 - TRIM) * total
    kept_sum = kept_weight = 0.0
    below = 0.0
    for value, weight in pairs:
        start, end = below, below + weight
        below = end
        inside = max(0.0, min(end, high) - max(start, low))
        kept_sum += value * inside
        kept_weight += inside
    return kept_sum / kept_weight if kept_weight else _median(values)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _t_scale(level: float) -> float:
    """The table holds 80 % intervals; other levels scale by the normal quantiles' ratio (close enough for a
    fallback that only widens)."""
    return NormalDist().inv_cdf(0.5 + level / 2) / NormalDist().inv_cdf(0.9)
