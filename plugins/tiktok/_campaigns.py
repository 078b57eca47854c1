"""Invitations and orders as TikTok One campaigns: a deal's deliverables placed once, whatever the retries."""

from __future__ import annotations

from typing import ClassVar

from creatorkit.entities import Capability

from ._base import TikTokBase

__all__ = ["CampaignHooks"]


class CampaignHooks(TikTokBase):
    """Invitations and orders as TikTok One campaigns."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}
