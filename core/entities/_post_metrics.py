"""Post metrics in batches: many posts in one call, and for each post its metrics or its own typed error.

Platforms read post figures in batches (TikTok's report takes up to 200 order ids, Instagram's insights are read
media by media with one token), so the hook takes a :class:`PostMetricsRequest` of many posts and answers with a
:class:`PostMetricsBatch` holding exactly one :class:`PostMetricsResult` per post asked about.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._common import FieldValueError, Period, platform_name, typed_fields
from ._content import PublishedPost
from ._item_errors import ItemError
from ._metrics import PostMetrics

__all__ = ["PostMetricsBatch", "PostMetricsRequest", "PostMetricsResult"]


def _distinct_posts(instance: Any, attribute: attrs.Attribute[Any], value: tuple[PublishedPost, ...]) -> None:
    if not value:
        raise FieldValueError(attribute.name, "ask for at least one post")
    ids = [post.platform_post_id for post in value]
    if len(set(ids)) != len(ids):
        raise FieldValueError(attribute.name, "lists a post twice")
    if len({post.platform for post in value}) > 1:
        raise FieldValueError(attribute.name, "holds posts of several platforms; ask each platform for its own")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostMetricsRequest:
    """Which posts' metrics to read: over ``period`` (since publication when ``None``), with ``daily`` series."""

    posts: tuple[PublishedPost, ...] = attrs.field(validator=_distinct_posts)
    period: Period | None = None
    daily: bool = False

    @property
    def post_ids(self) -> tuple[str, ...]:
        return tuple(post.platform_post_id for post in self.posts)


def _result_or_error(instance: PostMetricsResult, attribute: attrs.Attribute[Any], value: ItemError | None) -> None:
    if (instance.metrics is None) == (value is None):
        raise FieldValueError(attribute.name, "a result holds either metrics or an error")
    if instance.metrics is not None and instance.metrics.platform_post_id != instance.platform_post_id:
        raise FieldValueError("metrics", f"are for post {instance.metrics.platform_post_id!r}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostMetricsResult:
    """One post's answer in a batch: its metrics, or the typed error the platform gave for it."""

    platform_post_id: str
    metrics: PostMetrics | None = None
    error: ItemError | None = attrs.field(default=None, validator=_result_or_error)


def _one_result_per_post(instance: Any, attribute: attrs.Attribute[Any], value: tuple[PostMetricsResult, ...]) -> None:
    ids = [result.platform_post_id for result in value]
    if len(set(ids)) != len(ids):
        raise FieldValueError(attribute.name, "answers for a post twice")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostMetricsBatch:
    """A platform's answer to a :class:`PostMetricsRequest`: one result per post asked about."""

    platform: str = attrs.field(validator=platform_name)
    results: tuple[PostMetricsResult, ...] = attrs.field(default=(), validator=_one_result_per_post)

    def result_for(self, platform_post_id: str) -> PostMetricsResult | None:
        return next((result for result in self.results if result.platform_post_id == platform_post_id), None)

    @property
    def metrics(self) -> dict[str, PostMetrics]:
        """The posts that have metrics, by platform post id."""
        return {r.platform_post_id: r.metrics for r in self.results if r.metrics is not None}

    @property
    def errors(self) -> dict[str, ItemError]:
        """The posts that have none, with the error each got."""
        return {r.platform_post_id: r.error for r in self.results if r.error is not None}
