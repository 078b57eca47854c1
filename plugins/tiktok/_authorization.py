"""Authorization: the brand's advertiser connection and the creator's Login Kit grant."""

from __future__ import annotations

from typing import ClassVar

from creatorkit.entities import Capability

from ._base import TikTokBase

__all__ = ["AuthorizationHooks"]


class AuthorizationHooks(TikTokBase):
    """Authorization."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}
