"""The Display API under a creator's grant: v2/user/info, v2/video/list and v2/video/query."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import TikTokSandbox


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
