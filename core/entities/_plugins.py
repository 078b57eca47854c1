"""What plugins say about themselves, platform orders, webhook notices and events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ..money import Money
from ._common import aware, platform_name, positive, typed_fields
from ._providers import PaymentCapabilities

__all__ = [
    "Capability",
    "Event",
    "PlatformOrder",
    "PlatformOrderRequest",
    "PluginKind",
    "PluginMetadata",
    "WebhookNotice",
]


class PluginKind(enum.StrEnum):
    PLATFORM = "platform"
    PAYMENT = "payment"


class Capability(enum.StrEnum):
    """A stage a plugin offers. Declaring one means implementing its hooks; the conformance kit checks both ways."""

    DISCOVERY = "discovery"
    CREATOR_LOOKUP = "creator_lookup"
    OUTREACH = "outreach"
    CONTRACTING = "contracting"
    METRICS = "metrics"
    AUDIENCE = "audience"
    POST_METRICS = "post_metrics"
    PAYMENTS = "payments"
    WEBHOOKS = "webhooks"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PluginMetadata:
    """Returned by ``creatorkit_plugin_metadata``. ``missing`` explains stages the platform has no API for.

    ``payments`` is what a plugin offering the ``payments`` stage can do; the host checks every request against it.
    """

    name: str = attrs.field(validator=platform_name)
    kind: PluginKind
    display_name: str
    capabilities: frozenset[Capability] = frozenset()
    description: str = ""
    homepage: str | None = None
    missing: dict[str, str] = attrs.field(factory=dict)
    settings_schema: dict[str, Any] | None = None
    payments: PaymentCapabilities | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformOrderRequest:
    """An agreed collaboration to place on the platform's marketplace as an order or campaign."""

    deal_id: str
    brand_name: str
    description: str
    creator_handles: tuple[str, ...]
    deliverable_count: int = attrs.field(default=1, validator=positive)
    price: Money | None = None
    publish_by: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformOrder:
    platform: str = attrs.field(validator=platform_name)
    order_id: str
    deal_id: str
    status: str
    created_at: datetime = attrs.field(validator=aware)
    invite_link: str | None = None
    post_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class WebhookNotice:
    """A verified webhook, reduced to a hint: which object changed. The core re-fetches its state."""

    source: str = attrs.field(validator=platform_name)
    event_id: str
    event_type: str
    object_ref: str
    received_at: datetime = attrs.field(validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Event:
    """A notification to plugins and the embedding app: ``name`` such as ``deal.state_changed``."""

    name: str
    entity_kind: str
    entity_id: str
    occurred_at: datetime = attrs.field(validator=aware)
    actor_id: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)
