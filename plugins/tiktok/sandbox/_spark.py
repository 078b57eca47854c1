"""Spark Ads: binding a creator's authorisation code to the ad account (tt_video/authorize), reading it (info, list)
and unbinding it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import TikTokSandbox


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
