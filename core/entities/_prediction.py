"""What a prediction says: the views and engagements a proposed post can expect, with an interval, the method and
the history it rests on."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import (
    FieldValueError,
    MetricSource,
    Window,
    aware,
    finite,
    greater_than_zero,
    non_negative,
    platform_name,
    positive,
    typed_fields,
    unit_interval,
)
from ._metrics import Count

__all__ = ["PostKind", "PredictedCount", "Prediction", "SponsoredAdjustment"]


class PostKind(enum.StrEnum):
    """What the proposed post is: a brand's deal (sponsored) or the creator's own content (organic)."""

    SPONSORED = "sponsored"
    ORGANIC = "organic"


def _level(instance: PredictedCount, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value < 1:
        raise FieldValueError(attribute.name, f"must be between 0 and 1 (exclusive), got {value}")


def _estimate(instance: PredictedCount, attribute: attrs.Attribute[Count], value: Count) -> None:
    if value.source is not MetricSource.ESTIMATED:
        raise FieldValueError(attribute.name, f"a prediction is an estimate, not a {value.source} figure")


def _bounds(instance: PredictedCount, attribute: attrs.Attribute[int], value: int) -> None:
    if not instance.low <= instance.expected.value <= value:
        raise FieldValueError(
            "low", f"low <= expected <= high must hold, got {instance.low}, {instance.expected.value}, {value}"
        )


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PredictedCount:
    """A predicted count: ``expected`` (a typical post: the median, ``source`` estimated) and the interval that
    holds the post's figure with probability ``level`` (0.8: one post in ten falls below ``low``, one in ten above
    ``high``)."""

    expected: Count = attrs.field(validator=_estimate)
    low: int = attrs.field(validator=non_negative)
    high: int = attrs.field(validator=[non_negative, _bounds])
    level: float = attrs.field(default=0.8, validator=_level)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class SponsoredAdjustment:
    """How much a sponsored post of this creator does relative to an organic one, for ``metric``.

    ``observed_ratio`` is what the history shows (sponsored ÷ organic, typical post against typical post);
    ``ratio`` is what the prediction applies: the observed one shrunk toward 1 by how little history it rests on
    (``weight`` 0 = ignored, 1 = taken as seen).
    """

    metric: str
    ratio: float = attrs.field(validator=[finite, greater_than_zero])
    observed_ratio: float = attrs.field(validator=[finite, greater_than_zero])
    weight: float = attrs.field(validator=[finite, unit_interval])
    sponsored_posts: int = attrs.field(validator=positive)
    organic_posts: int = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Prediction:
    """What a proposed ``kind`` of post by the account ``key`` can expect, predicted at ``as_of`` from the
    ``posts`` most recent settled posts of its history (``window``), by ``method``.

    ``adjustments`` is the sponsored-versus-organic ratio per metric where the history has posts of both kinds;
    ``notes`` says what was left out and why (posts too young to have settled, posts without a figure).
    """

    key: str
    kind: PostKind
    as_of: datetime = attrs.field(validator=aware)
    method: str
    posts: int = attrs.field(validator=positive)
    window: Window
    views: PredictedCount
    engagements: PredictedCount | None = None
    platform: str | None = attrs.field(default=None, validator=platform_name)
    adjustments: tuple[SponsoredAdjustment, ...] = ()
    notes: tuple[str, ...] = ()

    def adjustment(self, metric: str) -> SponsoredAdjustment | None:
        return next((a for a in self.adjustments if a.metric == metric), None)
