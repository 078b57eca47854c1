"""The token endpoints: the advertiser's oauth2/access_token and revoke_token, the creator's tt_user/oauth2 token,
refresh, revoke and token info, and Login Kit's v2/oauth/token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import TikTokSandbox


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
