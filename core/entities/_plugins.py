"""What plugins say about themselves, and the records of platform orders and provider operations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ..money import Money
from ._common import aware, platform_name, positive, typed_fields

__all__ = [
    "Capability",
    "Event",
    "OperationKind",
    "OperationStatus",
    "PlatformOrder",
    "PlatformOrderRequest",
    "PluginKind",
    "PluginMetadata",
    "ProviderOperation",
    "ProviderRequest",
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
    #: OAuth: build the authorize URL, exchange the code, refresh and revoke the tokens of connections and grants.
    AUTHORIZATION = "authorization"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PluginMetadata:
    """Returned by ``creatorkit_plugin_metadata``. ``missing`` explains stages the platform has no API for."""

    name: str = attrs.field(validator=platform_name)
    kind: PluginKind
    display_name: str
    capabilities: frozenset[Capability] = frozenset()
    description: str = ""
    homepage: str | None = None
    missing: dict[str, str] = attrs.field(factory=dict)
    settings_schema: dict[str, Any] | None = None


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


class OperationKind(enum.StrEnum):
    FUND = "fund"
    RELEASE = "release"
    REVERSE = "reverse"
    REFUND = "refund"
    PAYOUT = "payout"


class OperationStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ProviderRequest:
    """One money movement asked of a payment provider. ``operation_id`` is also its idempotency key."""

    operation_id: str
    kind: OperationKind
    amount: Money
    deal_id: str
    payee_id: str | None = None
    provider_ref: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ProviderOperation:
    """The provider's record of a money movement."""

    provider: str = attrs.field(validator=platform_name)
    operation_id: str
    kind: OperationKind
    status: OperationStatus
    amount: Money
    provider_ref: str
    updated_at: datetime = attrs.field(validator=aware)
    failure_reason: str | None = None


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
