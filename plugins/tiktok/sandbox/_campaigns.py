"""TikTok One campaigns: brand profiles, campaign create/update/read, video links and their status, and the creator
side (join, link requests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import TikTokSandbox


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
