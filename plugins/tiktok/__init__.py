"""creatorkit-tiktok: TikTok One's Creator Marketplace, Spark Ads and Login Kit, on the plugin contract v2.

TikTok One (TTO) is what TikTok is replacing its Creator Marketplace (TCM) with; this plugin targets TikTok One's
endpoints (``tto/tcm/...`` for the brand, ``tto/creator/...`` for the creator), the Spark Ads endpoints
(``tt_video/...``) and Login Kit with the Display API for a creator's own grant. ``docs/platforms/tiktok.md``
says what is covered, what is not and why, with the scopes and app review each call needs.

Settings (``[platforms.tiktok]``, see :data:`~creatorkit_tiktok._base.SETTINGS_SCHEMA`): ``app_id``,
``app_secret`` (live), ``redirect_uri``, ``access_level`` (the app's API for Business level: its rate limits),
``requests_per_second``, ``tto_tcm_account_id``, ``webhook_tolerance_seconds``, ``seed`` (sandbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from creatorkit import PluginContext, hookimpl
from creatorkit import entities as ent
from creatorkit.config import Mode

from ._authorization import AuthorizationHooks
from ._base import SETTINGS_SCHEMA
from ._campaigns import CampaignHooks
from ._collaboration import BrandProfile, CollaborationHooks, LinkRequests, VideoLink
from ._marketplace import MarketplaceHooks
from ._rankings import RankedCreator, RankingHooks
from ._usage import UsageRightHooks
from ._webhooks import WebhookHooks

__all__ = ["BrandProfile", "LinkRequests", "RankedCreator", "TikTokPlatform", "VideoLink"]
__version__ = "0.1.0"

_PARTS = (
    MarketplaceHooks,
    CampaignHooks,
    UsageRightHooks,
    WebhookHooks,
    AuthorizationHooks,
    RankingHooks,
    CollaborationHooks,
)


class TikTokPlatform(
    MarketplaceHooks,
    CampaignHooks,
    UsageRightHooks,
    WebhookHooks,
    AuthorizationHooks,
    RankingHooks,
    CollaborationHooks,
):
    """The TikTok plugin: one part per stage (see ``_base``); ``sandbox`` is its sandbox in sandbox mode.

    Beyond the stage hooks, TikTok One's own calls are public methods: :meth:`rankings`, :meth:`brand_profiles`,
    :meth:`create_brand_profile`, :meth:`request_video_link`, :meth:`revoke_video_link` (the brand's connection)
    and :meth:`join_campaign`, :meth:`link_video`, :meth:`link_requests`, :meth:`answer_link_request` (a
    creator's grant only); ``docs/platforms/tiktok.md`` says which TikTok call each makes."""

    def __init__(self, name: str = "tiktok") -> None:
        self.name = name
        self._configure({}, Mode.SANDBOX)

    def __repr__(self) -> str:
        mode = "sandbox" if self.sandbox is not None else "live"
        return f"<TikTokPlatform {self.name!r} ({mode})>"

    @hookimpl
    def creatorkit_plugin_metadata(self) -> ent.PluginMetadata:
        capabilities = frozenset().union(*(part.CAPABILITIES for part in _PARTS))
        missing = {k: v for part in _PARTS for k, v in part.MISSING.items() if k not in capabilities}
        return ent.PluginMetadata(
            name=self.name,
            kind=ent.PluginKind.PLATFORM,
            display_name="TikTok (TikTok One Creator Marketplace)",
            description="Creators, campaigns, Spark Ads usage rights and reports through TikTok One; creators' own "
            "organic data through Login Kit.",
            homepage="https://business-api.tiktok.com/portal/docs",
            capabilities=capabilities,
            missing=missing,
            settings_schema=SETTINGS_SCHEMA,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        self._configure(settings, context.mode)
