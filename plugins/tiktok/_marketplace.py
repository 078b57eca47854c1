"""Discovery, lookup, creator metrics, audiences and batched post metrics through TikTok One's Creator Marketplace."""

from __future__ import annotations

from typing import ClassVar

from creatorkit.entities import Capability

from ._base import TikTokBase

__all__ = ["MarketplaceHooks"]


class MarketplaceHooks(TikTokBase):
    """Discovery, lookup, creator metrics, audiences and batched post metrics."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}
