"""A creator's fit for a brief, as a score made of named, explained components."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._common import aware, non_negative, platform_name, typed_fields, unit_interval

__all__ = ["Match", "ScoreComponent"]


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
