"""Reaching creators: templates, invitations, and the message thread of each deal."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import aware, platform_name, positive, typed_fields

__all__ = [
    "Channel",
    "Direction",
    "Invitation",
    "InvitationStatus",
    "Message",
    "MessageTemplate",
    "OutreachReceipt",
    "PlatformInvitation",
    "Thread",
]


class Channel(enum.StrEnum):
    """How a message travels: through the platform's own API, or outside it (recorded, not sent, by the SDK)."""

    PLATFORM = "platform"
    EMAIL = "email"
    DIRECT_MESSAGE = "direct_message"
    OTHER = "other"


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class MessageTemplate:
    """A reusable outreach text; ``{creator.display_name}``-style fields are filled per creator."""

    id: str
    name: str
    body: str
    subject: str = ""
    version: int = attrs.field(default=1, validator=positive)


class InvitationStatus(enum.StrEnum):
    """Where an invitation stands. A platform status a plugin cannot map is ``sent``: still waiting, never more."""

    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Invitation:
    id: str
    deal_id: str
    brief_id: str
    creator_id: str
    sent_by: str
    channel: Channel
    body: str
    sent_at: datetime = attrs.field(validator=aware)
    respond_by: datetime = attrs.field(validator=aware)
    subject: str = ""
    platform: str | None = attrs.field(default=None, validator=platform_name)
    template_id: str | None = None
    status: InvitationStatus = InvitationStatus.SENT
    platform_ref: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Thread:
    """The conversation of one deal."""

    id: str
    deal_id: str
    participants: tuple[str, ...]
    created_at: datetime = attrs.field(validator=aware)
    subject: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Message:
    id: str
    thread_id: str
    sender_id: str
    direction: Direction
    channel: Channel
    body: str
    sent_at: datetime = attrs.field(validator=aware)
    platform_ref: str | None = None
    attachments: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class OutreachReceipt:
    """What a platform answered when it accepted an invitation or message."""

    platform: str = attrs.field(validator=platform_name)
    platform_ref: str
    accepted_at: datetime = attrs.field(validator=aware)
    invite_link: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PlatformInvitation:
    """An invitation's status as the platform reports it, read back by ``platform_ref``."""

    platform: str = attrs.field(validator=platform_name)
    platform_ref: str
    status: InvitationStatus
    #: The platform's own status, exactly as it put it (TikTok's ``INVITED``, a campaign link's status).
    raw_status: str
    checked_at: datetime = attrs.field(validator=aware)
    #: When the creator answered, if the platform says.
    responded_at: datetime | None = attrs.field(default=None, validator=aware)
    invite_link: str | None = None
