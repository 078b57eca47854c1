"""TikTok One's Creator Marketplace for brands: labels, discovery, public and authorised insights, video lists,
rankings, status by handle and the campaign report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import TikTokSandbox


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
