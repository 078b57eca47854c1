"""Usage rights: Spark Ads authorisations bound to the brand's ad account, read back and unbound."""

from __future__ import annotations

from typing import ClassVar

from creatorkit.entities import Capability

from ._base import TikTokBase

__all__ = ["UsageRightHooks"]


class UsageRightHooks(TikTokBase):
    """Usage rights."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}
