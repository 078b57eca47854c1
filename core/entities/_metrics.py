"""Figures about creators and posts. Every figure says what it was computed over, where it came from and when."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import MetricSource, Window, aware, finite, non_negative, platform_name, typed_fields

__all__ = ["Count", "CreatorMetrics", "Denominator", "PostMetrics", "Rate", "Statistic"]


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
    denominator_value: int | None = attrs.field(default=None, validator=non_negative)
    provider: str | None = attrs.field(default=None, validator=platform_name)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Count:
    """A count (followers, views, likes), as a total, mean or median over ``window``."""

    value: int = attrs.field(validator=non_negative)
    window: Window
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)
    statistic: Statistic = Statistic.TOTAL
    provider: str | None = attrs.field(default=None, validator=platform_name)


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


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostMetrics:
    """What one published post did, read at ``as_of``."""

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
