"""Creators as brands and managers see them: accounts, rate cards, availability and track record."""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from ..money import Money
from ._audience import AudienceProfile
from ._common import aware, country_code, non_negative, platform_name, positive, typed_fields
from ._metrics import Count, CreatorMetrics

__all__ = [
    "AvailabilityWindow",
    "CreatorCandidate",
    "CreatorProfile",
    "DeliverableType",
    "PastCollaboration",
    "PlatformAccount",
    "PriceTier",
    "RateCard",
]


class DeliverableType(enum.StrEnum):
    SHORT_VIDEO = "short_video"
    LONG_VIDEO = "long_video"
    LIVESTREAM = "livestream"
    STORY = "story"
    IMAGE_POST = "image_post"
    CAROUSEL = "carousel"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformAccount:
    """A creator's account on one platform. Holds no credentials: those stay with the creator's own grant."""

    platform: str = attrs.field(validator=platform_name)
    account_id: str
    handle: str
    display_name: str = ""
    url: str | None = None
    verified: bool = False
    followers: Count | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PriceTier:
    """What a creator charges for one deliverable type, e.g. a 21–60 s video."""

    deliverable: DeliverableType
    price: Money
    label: str = ""
    min_quantity: int = attrs.field(default=1, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class RateCard:
    tiers: tuple[PriceTier, ...] = ()
    negotiable: bool = True
    updated_at: datetime | None = attrs.field(default=None, validator=aware)

    def price_for(self, deliverable: DeliverableType) -> Money | None:
        for tier in self.tiers:
            if tier.deliverable is deliverable:
                return tier.price
        return None


def _ends_after_start(instance: AvailabilityWindow, attribute: attrs.Attribute[date], value: date) -> None:
    if value < instance.starts:
        raise ValueError("ends must not be before starts")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AvailabilityWindow:
    """Days a creator can take work (inclusive)."""

    starts: date
    ends: date = attrs.field(validator=_ends_after_start)
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PastCollaboration:
    brand_name: str
    completed_on: date
    platform: str | None = attrs.field(default=None, validator=platform_name)
    campaign_name: str = ""
    deliverable: DeliverableType | None = None
    post_url: str | None = None
    deal_id: str | None = None
    note: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CreatorProfile:
    """A creator across platforms: who they are, what they cost and when they are free."""

    id: str
    display_name: str
    accounts: tuple[PlatformAccount, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    country: str | None = attrs.field(default=None, validator=country_code)
    languages: tuple[str, ...] = ()
    bio: str = ""
    rate_card: RateCard | None = None
    availability: tuple[AvailabilityWindow, ...] = ()
    past_collaborations: tuple[PastCollaboration, ...] = ()
    signing_key: str | None = None
    email: str | None = None

    def account_on(self, platform: str) -> PlatformAccount | None:
        for account in self.accounts:
            if account.platform == platform:
                return account
        return None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CreatorCandidate:
    """What discovery returns for one creator on one platform: the profile with its latest figures."""

    platform: str = attrs.field(validator=platform_name)
    profile: CreatorProfile
    metrics: CreatorMetrics | None = None
    audience: AudienceProfile | None = None
    rank: int | None = attrs.field(default=None, validator=non_negative)
