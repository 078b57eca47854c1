"""The tamper-evident audit trail and disputes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ._common import aware, positive, typed_fields

__all__ = ["AuditEvent", "Dispute", "DisputeStatus", "Event"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AuditEvent:
    """One appended event. ``hash`` = SHA-256 over its fields and ``prev_hash``, chaining it to the one before."""

    sequence: int = attrs.field(validator=positive)
    actor_id: str
    action: str
    entity_kind: str
    entity_id: str
    payload_hash: str
    occurred_at: datetime = attrs.field(validator=aware)
    prev_hash: str
    hash: str
    on_behalf_of: str | None = None
    workspace_id: str | None = None


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED_FOR_BRAND = "resolved_for_brand"
    RESOLVED_FOR_CREATOR = "resolved_for_creator"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Dispute:
    id: str
    deal_id: str
    opened_by: str
    reason: str
    opened_at: datetime = attrs.field(validator=aware)
    status: DisputeStatus = DisputeStatus.OPEN
    resolution: str = ""
    resolved_at: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Event:
    """A notification to plugins and the embedding app: ``name`` such as ``deal.state_changed``."""

    name: str
    entity_kind: str
    entity_id: str
    occurred_at: datetime = attrs.field(validator=aware)
    actor_id: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)
