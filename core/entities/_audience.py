"""Who watches a creator: shares of the audience per dimension, each with its source, sample size and date."""

from __future__ import annotations

import enum
import math
from datetime import datetime

import attrs

from ._common import MetricSource, aware, non_negative, platform_name, typed_fields, unit_interval

__all__ = ["AudienceBreakdown", "AudienceDimension", "AudienceProfile", "AudienceShare"]


class AudienceDimension(enum.StrEnum):
    AGE = "age"
    GENDER = "gender"
    COUNTRY = "country"
    CITY = "city"
    INTEREST = "interest"
    DEVICE = "device"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceShare:
    """One bucket of a dimension (``"18-24"``, ``"female"``, ``"US"``) and its share of the audience (0–1)."""

    key: str
    share: float = attrs.field(validator=unit_interval)


def _shares_consistent(
    instance: AudienceBreakdown, attribute: attrs.Attribute[tuple[AudienceShare, ...]], value: tuple[AudienceShare, ...]
) -> None:
    keys = [s.key for s in value]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{instance.dimension} lists a bucket twice")
    total = math.fsum(s.share for s in value)
    # Platforms report top-N buckets, so shares may sum below 1; above 1 is a broken response.
    if total > 1.0 + 1e-6:
        raise ValueError(f"{instance.dimension} shares sum to {total:.4f}, more than 1")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceBreakdown:
    """The audience split along one dimension. Shares may cover only the top buckets the platform reports."""

    dimension: AudienceDimension
    shares: tuple[AudienceShare, ...] = attrs.field(validator=_shares_consistent)
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)
    sample_size: int | None = attrs.field(default=None, validator=non_negative)
    provider: str | None = attrs.field(default=None, validator=platform_name)

    def share_of(self, key: str) -> float:
        for bucket in self.shares:
            if bucket.key == key:
                return bucket.share
        return 0.0


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceProfile:
    """All known breakdowns of one platform account's audience."""

    platform: str = attrs.field(validator=platform_name)
    account_id: str
    breakdowns: tuple[AudienceBreakdown, ...] = ()

    def breakdown(self, dimension: AudienceDimension) -> AudienceBreakdown | None:
        for item in self.breakdowns:
            if item.dimension is dimension:
                return item
        return None
