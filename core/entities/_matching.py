"""A creator's fit for a brief, as a score made of named, explained components."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._common import aware, country_code, non_negative, platform_name, positive, typed_fields, unit_interval
from ._creators import CreatorCandidate

__all__ = ["DiscoveryPage", "DiscoveryQuery", "Match", "ScoreComponent"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ScoreComponent:
    """One reason in a score: ``name`` (audience_fit.age, engagement, price, ...), its 0–1 score and weight.

    A ``veto`` (brand safety, a failed quality gate) zeroes the match whatever the other components say.
    """

    name: str
    score: float = attrs.field(validator=unit_interval)
    weight: float = attrs.field(validator=non_negative)
    explanation: str
    veto: bool = False


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Match:
    brief_id: str
    creator_id: str
    platform: str = attrs.field(validator=platform_name)
    score: float = attrs.field(validator=unit_interval)
    components: tuple[ScoreComponent, ...]
    as_of: datetime = attrs.field(validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DiscoveryQuery:
    """Filters a platform's creator search understands; a plugin ignores what its platform cannot filter on."""

    keywords: str = ""
    categories: tuple[str, ...] = ()
    countries: tuple[str, ...] = attrs.field(default=(), validator=country_code)
    languages: tuple[str, ...] = ()
    min_followers: int | None = attrs.field(default=None, validator=non_negative)
    max_followers: int | None = attrs.field(default=None, validator=non_negative)
    min_engagement_rate: float | None = attrs.field(default=None, validator=non_negative)
    audience_countries: tuple[str, ...] = attrs.field(default=(), validator=country_code)
    audience_genders: tuple[str, ...] = ()
    audience_ages: tuple[str, ...] = ()
    limit: int = attrs.field(default=50, validator=positive)
    cursor: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DiscoveryPage:
    """One page of discovery results from one platform; ``next_cursor`` fetches the next."""

    platform: str = attrs.field(validator=platform_name)
    candidates: tuple[CreatorCandidate, ...] = ()
    next_cursor: str | None = None
    total: int | None = attrs.field(default=None, validator=non_negative)
