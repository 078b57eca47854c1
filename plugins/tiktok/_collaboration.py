"""TikTok One calls no stage hook covers: brand profiles, a campaign's video links, and the creator's side of a
campaign. They are public methods of the plugin (``host.pm.get_plugin("tiktok").join_campaign(...)``), each taking
a call context as the hooks do.

Whose token each carries:

- **the brand's connection** (``self._get``/``self._post``): :meth:`~CollaborationHooks.brand_profiles`
  (``GET tto/tcm/brand/profile/get/``), :meth:`~CollaborationHooks.create_brand_profile`
  (``POST tto/tcm/brand/profile/create/``), :meth:`~CollaborationHooks.request_video_link` and
  :meth:`~CollaborationHooks.revoke_video_link` (``POST tto/tcm/campaign/link/``, ``LINK``/``REVOKE``);
- **the creator's grant only** (its token, never the brand's): :meth:`~CollaborationHooks.join_campaign`
  (``POST tto/creator/campaign/join/``), :meth:`~CollaborationHooks.link_video`
  (``POST tto/creator/campaign/video/link/``), :meth:`~CollaborationHooks.link_requests`
  (``GET tto/creator/link/request/get/``) and :meth:`~CollaborationHooks.answer_link_request`
  (``POST tto/creator/link/request/confirm/``). The ``creator_id`` they send is the grant's
  (``details["creator_id"]``, else its account id), as the authorised insights do. TikTok's Go SDK maps these
  with a creator token; that TikTok refuses a brand's there is inferred, not documented.

A brand profile's rules are TikTok's documented ones, checked before the call: ``brand_name`` at most 60
characters (it cannot be changed later, nor can the industry or logo), ``brand_website`` starting ``https://``,
``tiktok_account_url`` starting ``https://www.tiktok.com/@``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from creatorkit import AuthExpired, CallContext, InvalidRequest
from creatorkit import toolkit as tk
from creatorkit.entities import Capability

from . import _api as api
from ._base import TikTokBase
from ._insights import objects

__all__ = ["BrandProfile", "CollaborationHooks", "LinkRequest", "LinkRequests", "LinkStatus", "VideoLink"]

#: TikTok's rules for a brand profile (``tto/tcm/brand/profile/create/``).
BRAND_NAME_MAX = 60
WEBSITE_PREFIX = "https://"
TIKTOK_ACCOUNT_PREFIX = "https://www.tiktok.com/@"
#: Brand profiles a page (TikTok: 1-100, default 10) and pages read at most.
_PROFILE_PAGE, _MAX_PAGES = 100, 20
_GRANT_ACTION = "ask the creator to grant access: `creatorkit grant tiktok`"


class LinkStatus(enum.StrEnum):
    """A video link's status, from TikTok's (``IN_REVIEW``, ``APPROVE``, ``REJECTED``, ``REVOKE``)."""

    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


_LINK_STATUSES = {
    "IN_REVIEW": LinkStatus.IN_REVIEW,
    "APPROVE": LinkStatus.APPROVED,
    "REJECTED": LinkStatus.REJECTED,
    "REVOKE": LinkStatus.REVOKED,
}


@attrs.frozen
class BrandProfile:
    """A TikTok One brand profile, which a campaign is made under."""

    brand_profile_id: str
    brand_name: str
    industry_id: str | None
    #: The industry's name: TikTok gives it on the list, not on create.
    industry: str | None
    website: str | None
    logo_url: str | None
    tiktok_account_url: str | None

    @classmethod
    def of(cls, profile: Mapping[str, Any]) -> BrandProfile:
        def text(key: str) -> str | None:
            value = profile.get(key)
            return str(value) if value not in (None, "") else None

        return cls(
            brand_profile_id=str(profile.get("brand_profile_id") or ""),
            brand_name=str(profile.get("brand_name") or ""),
            industry_id=text("brand_industry_id"),
            industry=text("brand_industry"),
            website=text("brand_website"),
            logo_url=text("logo_url"),
            tiktok_account_url=text("tiktok_account_url"),
        )


@attrs.frozen
class VideoLink:
    """A video's link to a campaign: ``status`` is the plugin's word, ``raw_status`` TikTok's."""

    video_id: str
    campaign_id: str
    status: LinkStatus
    raw_status: str | None
    link_request_id: str | None
    #: How many times the brand asked for this link, and when it last reminded the creator.
    number_of_requests: int | None = None
    last_reminded_at: datetime | None = None

    @classmethod
    def of(cls, link: Mapping[str, Any], campaign_id: str, video_id: str) -> VideoLink:
        raw = str(link["status"]) if link.get("status") else None
        return cls(
            video_id=str(link.get("video_id") or video_id),
            campaign_id=str(link.get("campaign_id") or campaign_id),
            status=_LINK_STATUSES.get(raw or "", LinkStatus.UNKNOWN),
            raw_status=raw,
            link_request_id=str(link["link_request_id"]) if link.get("link_request_id") else None,
            number_of_requests=api.number(link.get("number_of_requests")),
            last_reminded_at=api.instant(link.get("last_reminded_timestamp")),
        )


@attrs.frozen
class LinkRequest:
    """One of the brand's requests to link a creator's video to a campaign."""

    video_id: str
    link_request_id: str


@attrs.frozen
class LinkRequests:
    """The brand's pending link requests to a creator for one campaign, with the Spark Ads days it asks for."""

    campaign_id: str | None
    spark_authorization_days: int | None
    requests: tuple[LinkRequest, ...]


def _text(platform: str, field: str, value: Any) -> str:
    """A required text argument, stripped; an ``InvalidRequest`` naming ``field`` when it is empty or not text."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(platform, f"{field} is required", field=field)
    return value.strip()


class CollaborationHooks(TikTokBase):
    """Brand profiles, video links and the creator's side of a campaign (see the module's docstring); no stage
    hook, so no capability."""

    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}

    # -- brand profiles ---------------------------------------------------------------------------------------

    def brand_profiles(self, context: CallContext | None) -> list[BrandProfile]:
        """Every brand profile of the brand's TikTok One account (``GET tto/tcm/brand/profile/get/``, paged)."""
        account = self._account_id(context)

        def page(number: Any) -> tk.Page[Mapping[str, Any]]:
            path, size = "tto/tcm/brand/profile/get/", _PROFILE_PAGE
            data = self._get(path, context, tto_tcm_account_id=account, page=number or 1, page_size=size)
            info = data.get("page_info") if isinstance(data.get("page_info"), Mapping) else {}
            items = objects(data.get("brands"))
            total = api.number(info.get("total_page"))
            return tk.Page.numbered(items, page=number or 1, total_pages=total, has_more=len(items) >= _PROFILE_PAGE)

        return [BrandProfile.of(p) for p in tk.paginate(page, max_pages=_MAX_PAGES, platform=self.name)]

    def create_brand_profile(
        self,
        context: CallContext | None,
        *,
        brand_name: str,
        industry_id: str | int,
        website: str,
        logo_url: str,
        tiktok_account_url: str,
    ) -> BrandProfile:
        """A new brand profile (``POST tto/tcm/brand/profile/create/``), after TikTok's documented rules; its name,
        industry and logo cannot be changed afterwards."""
        name = _text(self.name, "brand_name", brand_name)
        if len(name) > BRAND_NAME_MAX:
            raise InvalidRequest(
                self.name, f"brand_name is {len(name)} characters; TikTok allows {BRAND_NAME_MAX}", field="brand_name"
            )
        industry = _text(self.name, "industry_id", str(industry_id) if isinstance(industry_id, int) else industry_id)
        site = _text(self.name, "website", website)
        if not site.startswith(WEBSITE_PREFIX) or len(site) == len(WEBSITE_PREFIX):
            raise InvalidRequest(self.name, f"website must start with {WEBSITE_PREFIX}", field="website")
        logo = _text(self.name, "logo_url", logo_url)
        account_url = _text(self.name, "tiktok_account_url", tiktok_account_url)
        if not account_url.startswith(TIKTOK_ACCOUNT_PREFIX) or len(account_url) == len(TIKTOK_ACCOUNT_PREFIX):
            raise InvalidRequest(
                self.name, f"tiktok_account_url must start with {TIKTOK_ACCOUNT_PREFIX}", field="tiktok_account_url"
            )
        body = {
            "tto_tcm_account_id": self._account_id(context),
            "brand_name": name,
            "brand_industry_id": industry,
            "brand_website": site,
            "logo_url": logo,
            "tiktok_account_url": account_url,
        }
        created = self._post("tto/tcm/brand/profile/create/", body, context)
        return BrandProfile.of({**body, **created})

    # -- video links, the brand's side ------------------------------------------------------------------------

    def request_video_link(self, context: CallContext | None, campaign_id: str, video_id: str) -> VideoLink:
        """Ask the creator to link ``video_id`` to the campaign (``POST tto/tcm/campaign/link/``, ``LINK``): the
        creator sees it as a link request; asking again reminds them."""
        return self._link(context, campaign_id, video_id, "LINK")

    def revoke_video_link(self, context: CallContext | None, campaign_id: str, video_id: str) -> VideoLink:
        """Take ``video_id`` out of the campaign (``POST tto/tcm/campaign/link/``, ``REVOKE``)."""
        return self._link(context, campaign_id, video_id, "REVOKE")

    def _link(self, context: CallContext | None, campaign_id: str, video_id: str, action: str) -> VideoLink:
        campaign = _text(self.name, "campaign_id", campaign_id)
        video = _text(self.name, "video_id", video_id)
        body = {"tto_tcm_account_id": self._account_id(context), "campaign_id": campaign, "video_id": video}
        # Idempotent: linking a linked video reminds the creator, revoking a revoked one changes nothing.
        answer = self._post("tto/tcm/campaign/link/", {**body, "action": action}, context, idempotent=True)
        return VideoLink.of(answer, campaign, video)

    # -- the creator's side -----------------------------------------------------------------------------------

    def join_campaign(self, context: CallContext | None, invite_link: str) -> None:
        """The creator joins the campaign of ``invite_link`` (``POST tto/creator/campaign/join/``)."""
        link = _text(self.name, "invite_link", invite_link)
        self._creator_post("tto/creator/campaign/join/", {"tto_invite_link": link}, context)

    def link_video(self, context: CallContext | None, invite_link: str, video_id: str) -> None:
        """The creator links their own ``video_id`` to the campaign (``POST tto/creator/campaign/video/link/``);
        TikTok's review then passes or rejects it."""
        body = {
            "tto_invite_link": _text(self.name, "invite_link", invite_link),
            "video_id": _text(self.name, "video_id", video_id),
        }
        self._creator_post("tto/creator/campaign/video/link/", body, context)

    def link_requests(self, context: CallContext | None, invite_link: str) -> LinkRequests:
        """The brand's pending requests to link the creator's videos to the campaign of ``invite_link``
        (``GET tto/creator/link/request/get/``)."""
        link = _text(self.name, "invite_link", invite_link)
        creator_id = self._grant_creator(context)
        data = self._get(
            "tto/creator/link/request/get/", context, as_creator=True, creator_id=creator_id, tto_invite_link=link
        )
        requests = tuple(
            LinkRequest(video_id=str(row["video_id"]), link_request_id=str(row["link_request_id"]))
            for row in objects(data.get("link_requests"))
            if row.get("video_id") and row.get("link_request_id")
        )
        return LinkRequests(
            campaign_id=str(data["campaign_id"]) if data.get("campaign_id") else None,
            spark_authorization_days=api.number(data.get("spark_authorization_days")),
            requests=requests,
        )

    def answer_link_request(self, context: CallContext | None, link_request_id: str, approve: bool) -> None:
        """The creator approves or rejects one of the brand's link requests (``POST
        tto/creator/link/request/confirm/``, ``APPROVE``/``REJECT``)."""
        request_id = _text(self.name, "link_request_id", link_request_id)
        if not isinstance(approve, bool):
            raise InvalidRequest(self.name, f"approve must be True or False, not {approve!r}", field="approve")
        body = {"link_request_id": request_id, "action": "APPROVE" if approve else "REJECT"}
        self._creator_post("tto/creator/link/request/confirm/", body, context)

    def _grant_creator(self, context: CallContext | None) -> str:
        """The ``creator_id`` of the context's grant; ``AuthExpired`` without a grant (no brand token instead)."""
        grant = context.grant if context is not None else None
        if grant is None:
            raise AuthExpired(
                self.name, "TikTok One's creator calls act as the creator, with their own grant", action=_GRANT_ACTION
            )
        self._grant_tokens(context)  # a grant without its token is refused here, before any call
        return str(grant.details.get("creator_id") or grant.account_id)

    def _creator_post(self, path: str, body: Mapping[str, Any], context: CallContext | None) -> Any:
        """POST ``body`` with the grant's ``creator_id``, carrying the grant's token only (``_base._grant_tokens``);
        not retried on a lost answer, as TikTok's creator calls have no idempotency key."""
        creator_id = self._grant_creator(context)
        client = self._client_for(self._grant_tokens(context))
        deadline = context.deadline if context is not None else None
        answer = client.post(
            path, json={"creator_id": creator_id, **body}, extensions=tk.call_options(deadline=deadline)
        )
        return self._data(path, answer)
