"""Campaign briefs (the Kuaishou "task"): what a brand wants, from whom, for how much and by when."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..money import Money
from ._audience import AudienceDimension
from ._common import (
    FieldValueError,
    aware,
    country_code,
    non_negative,
    non_negative_amount,
    platform_name,
    positive,
    positive_amount,
    typed_fields,
    unit_interval,
)
from ._creators import DeliverableType

__all__ = [
    "AudienceTarget",
    "BriefStatus",
    "Budget",
    "CampaignBrief",
    "ContentRules",
    "CreatorRequirements",
    "Deliverable",
    "Kpi",
    "KpiMetric",
    "Product",
    "Timeline",
]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Product:
    name: str
    description: str = ""
    url: str | None = None
    category: str = ""


def _budget_per_creator(instance: Budget, attribute: attrs.Attribute[Money | None], value: Money | None) -> None:
    if value is not None and value.currency != instance.total.currency:
        raise FieldValueError(attribute.name, f"must be in the budget's currency {instance.total.currency}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Budget:
    """The campaign's money. ``includes_fees`` says whether platform commission and agency cut come out of it.

    A zero ``total`` is an unpaid task (product seeding, events), which an unverified brand may publish; a cap on
    what one creator may be paid is more than zero, or there is no cap.
    """

    total: Money = attrs.field(validator=non_negative_amount)
    per_creator_max: Money | None = attrs.field(default=None, validator=[positive_amount, _budget_per_creator])
    includes_fees: bool = True


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceTarget:
    """Wanted audience along one dimension: at least ``min_share`` of it in ``keys`` (e.g. age 18-24, 25-34)."""

    dimension: AudienceDimension
    keys: tuple[str, ...]
    min_share: float = attrs.field(default=0.0, validator=unit_interval)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CreatorRequirements:
    """Which creators fit: platforms, categories/tags, size, place, language and engagement floor."""

    platforms: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    countries: tuple[str, ...] = attrs.field(default=(), validator=country_code)
    languages: tuple[str, ...] = ()
    min_followers: int | None = attrs.field(default=None, validator=non_negative)
    max_followers: int | None = attrs.field(default=None, validator=non_negative)
    min_engagement_rate: float | None = attrs.field(default=None, validator=non_negative)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Deliverable:
    type: DeliverableType
    quantity: int = attrs.field(default=1, validator=positive)
    platform: str | None = attrs.field(default=None, validator=platform_name)
    description: str = ""
    min_duration_seconds: int | None = attrs.field(default=None, validator=non_negative)
    due: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Timeline:
    publish_from: datetime = attrs.field(validator=aware)
    publish_until: datetime = attrs.field(validator=aware)
    apply_by: datetime | None = attrs.field(default=None, validator=aware)
    draft_due: datetime | None = attrs.field(default=None, validator=aware)

    @publish_until.validator
    def _after_start(self, attribute: attrs.Attribute[datetime], value: datetime) -> None:
        if value < self.publish_from:
            raise ValueError("publish_until must not be before publish_from")


class KpiMetric(enum.StrEnum):
    VIEWS = "views"
    REACH = "reach"
    ENGAGEMENTS = "engagements"
    ENGAGEMENT_RATE = "engagement_rate"
    COMPLETION_RATE = "completion_rate"
    CLICKS = "clicks"
    CONVERSIONS = "conversions"
    CPM = "cpm"
    CPE = "cpe"
    CPV = "cpv"


_COUNT_KPIS = {KpiMetric.VIEWS, KpiMetric.REACH, KpiMetric.ENGAGEMENTS, KpiMetric.CLICKS, KpiMetric.CONVERSIONS}
_RATE_KPIS = {KpiMetric.ENGAGEMENT_RATE, KpiMetric.COMPLETION_RATE}
_COST_KPIS = {KpiMetric.CPM, KpiMetric.CPE, KpiMetric.CPV}


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Kpi:
    """A target: a count (``target_count``), a rate (``target_rate``) or a cost per unit (``target_cost``)."""

    metric: KpiMetric
    target_count: int | None = attrs.field(default=None, validator=non_negative)
    target_rate: float | None = attrs.field(default=None, validator=non_negative)
    target_cost: Money | None = None

    def __attrs_post_init__(self) -> None:
        wanted = (
            "target_count"
            if self.metric in _COUNT_KPIS
            else "target_rate"
            if self.metric in _RATE_KPIS
            else "target_cost"
        )
        given = [n for n in ("target_count", "target_rate", "target_cost") if getattr(self, n) is not None]
        if given != [wanted]:
            raise ValueError(f"a {self.metric} KPI takes exactly {wanted}, got {given or 'nothing'}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContentRules:
    """What content must and must not contain; content review checks each rule on every draft."""

    key_selling_points: tuple[str, ...] = ()
    banned_words: tuple[str, ...] = ()
    required_elements: tuple[str, ...] = ()
    disclosure_tags: tuple[str, ...] = ("#ad",)
    required_mentions: tuple[str, ...] = ()


class BriefStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CampaignBrief:
    id: str
    brand_id: str
    name: str
    product: Product
    budget: Budget
    timeline: Timeline
    deliverables: tuple[Deliverable, ...] = ()
    requirements: CreatorRequirements = CreatorRequirements()
    target_audience: tuple[AudienceTarget, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    content_rules: ContentRules = ContentRules()
    status: BriefStatus = BriefStatus.DRAFT
    created_at: datetime | None = attrs.field(default=None, validator=aware)
    published_at: datetime | None = attrs.field(default=None, validator=aware)
