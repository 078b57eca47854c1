"""What plugins say about themselves, and the events they hear.

Provider operations are in ``_providers``, platform orders in ``_orders``, what a webhook delivery becomes (notices
and a reply) in ``_webhooks``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ._common import aware, platform_name, typed_fields
from ._providers import PaymentCapabilities

__all__ = [
    "Capability",
    "Event",
    "PluginKind",
    "PluginMetadata",
]


class PluginKind(enum.StrEnum):
    PLATFORM = "platform"
    PAYMENT = "payment"


class Capability(enum.StrEnum):
    """A stage a plugin offers. Declaring one means implementing its hooks; the conformance kit checks both ways."""

    DISCOVERY = "discovery"
    CREATOR_LOOKUP = "creator_lookup"
    #: Send a collaboration invitation and read its status back (contract v2; was half of ``outreach``).
    INVITATIONS = "invitations"
    #: Send a message in a deal's thread (contract v2; was the other half of ``outreach``).
    MESSAGING = "messaging"
    CONTRACTING = "contracting"
    METRICS = "metrics"
    AUDIENCE = "audience"
    POST_METRICS = "post_metrics"
    PAYMENTS = "payments"
    #: List the movements a payment provider holds, so that reconciliation finds what the core never asked for.
    PAYMENT_LISTING = "payment_listing"
    WEBHOOKS = "webhooks"
    #: Read a partner export (CSV, JSON) where the platform has no API for the data.
    IMPORT = "import"
    #: OAuth: build the authorize URL, exchange the code, refresh and revoke the tokens of connections and grants.
    AUTHORIZATION = "authorization"
    #: Paid-ads use of a creator's post (TikTok Spark Ads, Instagram partnership ads): bind, read back, revoke.
    USAGE_RIGHTS = "usage_rights"


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
    #: A payment provider's flags (currencies, holds, splits), checked before any request reaches it.
    payments: PaymentCapabilities | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Event:
    """A notification to plugins and the embedding app: ``name`` such as ``deal.state_changed``."""

    name: str
    entity_kind: str
    entity_id: str
    occurred_at: datetime = attrs.field(validator=aware)
    actor_id: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)
