"""Figures about creators and posts. Every figure says what it was computed over, where it came from and when.

Rules every plugin keeps (the conformance kit checks them):

* **missing is None, never 0.** A figure the platform did not report is ``None`` (a field left out, a day with no
  figure). 0 means the platform counted and found nothing. A rate over nothing (``denominator_value`` 0) is not a
  rate: it is ``None``;
* **rounded and estimated figures say so.** A platform that shows "1.2M" gives a :class:`Count` with
  ``rounded_to=100_000``; a modelled figure has ``source=estimated`` and names its ``provider``;
* **a window is stated.** A figure over the last 30 posts, a lifetime total and a figure asked for over a
  :class:`~creatorkit.entities.Period` are told apart by ``window`` and ``period``;
* **sponsored versus organic where known**: an account's figures over its branded posts and over the rest, a
  post's figures from paid distribution (Spark Ads, partnership ads) and from organic reach;
* **platform-specific figures go to ``extensions``**, keyed ``<platform>.<name>`` (``tiktok.total_play_time_ms``),
  rather than into a field that means something else.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import date, datetime
from typing import Any

import attrs

from ._common import (
    FieldValueError,
    MetricSource,
    Period,
    Window,
    aware,
    finite,
    greater_than_zero,
    non_negative,
    platform_name,
    positive,
    typed_fields,
)

__all__ = [
    "Count",
    "CreatorMetrics",
    "DailyFigures",
    "Denominator",
    "PerformanceSlice",
    "PostMetrics",
    "Rate",
    "Statistic",
]


class Denominator(enum.StrEnum):
    """What a rate divides by. Engagement per view and engagement per follower differ by an order of magnitude."""

    VIEWS = "views"
    REACH = "reach"
    IMPRESSIONS = "impressions"
    FOLLOWERS = "followers"
    POSTS = "posts"
    PLAYS = "plays"


class Statistic(enum.StrEnum):
    TOTAL = "total"
    MEAN = "mean"
    MEDIAN = "median"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Rate:
    """A ratio such as engagement or completion rate: ``value`` = numerator / denominator over ``window``.

    Negative only where the figure can fall, such as follower growth.
    """

    value: float = attrs.field(validator=finite)
    denominator: Denominator
    window: Window
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)
    #: The denominator's size, at least 1: a rate over nothing is missing data (``None``), not 0.
    denominator_value: int | None = attrs.field(default=None, validator=positive)
    provider: str | None = attrs.field(default=None, validator=platform_name)
    #: The step the platform rounded ``value`` to (0.001 for "4.2 %"), when it rounds.
    rounded_to: float | None = attrs.field(default=None, validator=greater_than_zero)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Count:
    """A count (followers, views, likes), as a total, mean or median over ``window``."""

    value: int = attrs.field(validator=non_negative)
    window: Window
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)
    statistic: Statistic = Statistic.TOTAL
    provider: str | None = attrs.field(default=None, validator=platform_name)
    #: The step the platform rounded ``value`` to (100000 for "1.2M"), when it shows a rounded figure.
    rounded_to: int | None = attrs.field(default=None, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DailyFigures:
    """One calendar day (UTC) of a post's or an account's figures, as the platform's daily series gives it.

    A figure the platform does not give for the day is ``None``; ``follows`` is the follows gained that day.
    """

    day: date
    views: int | None = attrs.field(default=None, validator=non_negative)
    reach: int | None = attrs.field(default=None, validator=non_negative)
    likes: int | None = attrs.field(default=None, validator=non_negative)
    comments: int | None = attrs.field(default=None, validator=non_negative)
    shares: int | None = attrs.field(default=None, validator=non_negative)
    saves: int | None = attrs.field(default=None, validator=non_negative)
    follows: int | None = attrs.field(default=None, validator=non_negative)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PerformanceSlice:
    """The figures of one part of an account's content or of a post's traffic.

    An account's ``sponsored`` slice covers its branded posts (TikTok's last 30 sponsored videos) and its
    ``organic`` slice the rest; a post's ``paid`` slice is what ads on it brought and its ``organic`` slice the
    rest. ``posts`` says how many posts an account's slice covers.
    """

    views: Count | None = None
    reach: Count | None = None
    likes: Count | None = None
    comments: Count | None = None
    shares: Count | None = None
    saves: Count | None = None
    engagement_rate: Rate | None = None
    posts: Count | None = None


def _daily_series(instance: Any, attribute: attrs.Attribute[tuple[DailyFigures, ...]], value: Any) -> None:
    """Days in order, each once, and inside the period the figures were asked for."""
    if value == ():  # the figures of most reads: nothing to order, nothing outside the period
        return
    days = [item.day for item in value]
    if days != sorted(set(days)):
        raise FieldValueError(attribute.name, "days must be in order, each once")
    period: Period | None = instance.period
    if period is not None and days and not set(days) <= set(period.days()):
        raise FieldValueError(attribute.name, "holds days outside the period")


#: An extension figure's name: the platform's plugin name, a dot, and the platform's own name for the figure.
EXTENSION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}\.[A-Za-z0-9_.]+$")


_NUMBERS = (int, float)


def _extension_names(instance: Any, attribute: attrs.Attribute[dict[str, float]], value: dict[str, float]) -> None:
    for name, figure in value.items():
        if not isinstance(name, str) or not EXTENSION_NAME.match(name):
            raise FieldValueError(attribute.name, f"{name!r} is not '<platform>.<figure>'")
        if type(figure) is float and math.isfinite(figure):  # what every plugin sends
            continue
        if isinstance(figure, bool) or not isinstance(figure, _NUMBERS) or not math.isfinite(figure):
            raise FieldValueError(attribute.name, f"{name} must be a finite number, got {figure!r}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CreatorMetrics:
    """Core performance of one platform account, as a talent manager's portal shows it."""

    platform: str = attrs.field(validator=platform_name)
    account_id: str
    as_of: datetime = attrs.field(validator=aware)
    followers: Count | None = None
    average_views: Count | None = None
    median_views: Count | None = None
    six_second_view_rate: Rate | None = None
    completion_rate: Rate | None = None
    engagement_rate: Rate | None = None
    average_likes: Count | None = None
    average_comments: Count | None = None
    average_shares: Count | None = None
    average_saves: Count | None = None
    reach: Count | None = None
    follower_growth_rate: Rate | None = None
    #: The stretch of time the windowed figures were asked for and cover; ``None`` for the platform's own windows.
    period: Period | None = None
    #: Lifetime totals: every view and like the account's posts have had, and how many posts it has.
    total_views: Count | None = None
    total_likes: Count | None = None
    post_count: Count | None = None
    sponsored: PerformanceSlice | None = None
    organic: PerformanceSlice | None = None
    daily: tuple[DailyFigures, ...] = attrs.field(default=(), validator=_daily_series)
    extensions: dict[str, float] = attrs.field(factory=dict, validator=_extension_names)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostMetrics:
    """What one published post did, read at ``as_of``: since it was published, or over ``period`` if asked.

    The totals (``views`` …) include paid distribution where the platform counts it in; ``organic`` and ``paid``
    split them where the platform does.
    """

    platform: str = attrs.field(validator=platform_name)
    platform_post_id: str
    as_of: datetime = attrs.field(validator=aware)
    views: Count | None = None
    reach: Count | None = None
    likes: Count | None = None
    comments: Count | None = None
    shares: Count | None = None
    saves: Count | None = None
    engagement_rate: Rate | None = None
    completion_rate: Rate | None = None
    six_second_view_rate: Rate | None = None
    #: The creator's account on the platform, when the platform names it.
    account_id: str | None = None
    period: Period | None = None
    organic: PerformanceSlice | None = None
    paid: PerformanceSlice | None = None
    daily: tuple[DailyFigures, ...] = attrs.field(default=(), validator=_daily_series)
    extensions: dict[str, float] = attrs.field(factory=dict, validator=_extension_names)
