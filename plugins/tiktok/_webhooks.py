"""Webhook deliveries: TikTok's signature checked over the raw body, events turned into notices."""

from __future__ import annotations

from typing import ClassVar

from creatorkit.entities import Capability

from ._base import TikTokBase

__all__ = ["WebhookHooks"]


class WebhookHooks(TikTokBase):
    """Webhook deliveries."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}
