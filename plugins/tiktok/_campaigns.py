"""Invitations and orders as TikTok One campaigns: a deal's deliverables placed once, whatever the retries.

TikTok One has no order: what a brand places is a campaign (``POST tto/tcm/campaign/create/``) holding the
creators' handles, which TikTok notifies (``send_notification``) and which they join by its ``invite_link``. Each
creator's part of it is one :class:`~creatorkit.entities.PlatformOrder`, ``order_id`` ``f"{campaign_id}:{handle}"``;
handles TikTok could not invite come back in ``failed_handle_names``. A creator delivers by linking videos to the
campaign, which are approved (by the creator when the brand asked for the link, by TikTok's review when the
creator linked it): the order is pending until a video is linked, active while one is, delivered once the
linked videos are approved (``GET tto/tcm/campaign/link/status/``).

TikTok has no idempotency key, so the campaign's name carries the request's (``[key]`` at its end) and a retry
(``attempt > 1``) looks the campaign up by it (``GET tto/tcm/campaign/``, every page) before creating one. An
invitation is a campaign of one creator, named by the invitation's id the same way.

Not sent, because a TikTok One campaign has no field for it: the price and the publishing deadline (agree and pay
them outside TikTok One). TikTok One has no messaging API (see ``MISSING``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from creatorkit import CallContext, InvalidRequest, NotFound, NotSupported, hookimpl
from creatorkit import toolkit as tk
from creatorkit.entities import (
    Capability,
    DeliverableType,
    FailedHandle,
    Invitation,
    InvitationStatus,
    OrderPlacement,
    OrderStatus,
    OutreachReceipt,
    PlatformAccount,
    PlatformInvitation,
    PlatformOrder,
    PlatformOrderRequest,
)
from creatorkit.errors import PlatformError

from . import _api as api
from ._base import TikTokBase

__all__ = ["AUTHORIZATION_DAYS", "CampaignHooks"]

#: The Spark Ads days a campaign may ask each video for (0: none); TikTok allows no other length.
AUTHORIZATION_DAYS = (0, 7, 30, 60, 365)
#: What a TikTok One campaign links: posts by id (videos and photo posts); a LIVE or a story cannot be linked.
_LINKABLE = frozenset(
    {DeliverableType.SHORT_VIDEO, DeliverableType.LONG_VIDEO, DeliverableType.CAROUSEL, DeliverableType.IMAGE_POST}
)
#: Page sizes the plugin asks for (TikTok documents no limit for these lists; TCM's were 1-20).
_PAGE_SIZE, _MAX_PAGES = 20, 100
#: The plugin's word (TikTok has none) for a creator with no video linked to the campaign yet.
NO_LINKED_VIDEO = "NO_LINKED_VIDEO"
#: Onboarding statuses (``tto/tcm/creator/status/get/``) of a creator who can still answer: in the marketplace,
#: or invited to it. ``NOT_IN`` (left it) and ``INVALID`` (no such handle) can never answer.
_ONBOARDING: Mapping[str, InvitationStatus] = {
    "IN": InvitationStatus.SENT,
    "INVITED": InvitationStatus.SENT,
    "NOT_IN": InvitationStatus.EXPIRED,
    "INVALID": InvitationStatus.EXPIRED,
}
#: A linked video's status, as the invitation reads it: approved is the creator taking part.
_LINK_ANSWERS: Mapping[str, InvitationStatus] = {
    "APPROVE": InvitationStatus.ACCEPTED,
    "IN_REVIEW": InvitationStatus.SENT,
    "REJECTED": InvitationStatus.DECLINED,
    "REVOKE": InvitationStatus.EXPIRED,
}
MESSAGING_MISSING = (
    "TikTok One has no messaging API: reach the creator through the campaign's invite link (send_invitation "
    "answers it, and TikTok notifies the creator in the app), or by direct message in the TikTok app from the "
    "brand's business account where the campaign's dm_info says DMs are allowed"
)


def _marker(deal_id: str, key: str, videos: int | None = None) -> str:
    """What a campaign's name ends with: the deal, the request's idempotency key and how many videos each creator
    owes (TikTok keeps none of them; the count tells a delivered order from one with videos still to come)."""
    owed = f" videos:{videos}" if videos else ""
    return f"[deal:{deal_id} key:{key}{owed}]"


_MARKED = re.compile(r"\[deal:(?P<deal>.+?) key:(?P<key>.+?)(?: videos:(?P<videos>\d+))?\]$")


def _videos_owed(request: PlatformOrderRequest) -> int:
    return sum(deliverable.count for deliverable in request.deliverables)


def _split_ref(ref: str, kind: str) -> tuple[str, str]:
    """``f"{campaign_id}:{handle}"`` into its parts; anything else names nothing TikTok has."""
    campaign_id, colon, handle = ref.partition(":")
    if not colon or not campaign_id.isdigit() or not handle:
        raise NotFound(kind, ref)
    return campaign_id, handle


class CampaignHooks(TikTokBase):
    """Invitations and orders as TikTok One campaigns (see the module's docstring)."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({Capability.CONTRACTING, Capability.INVITATIONS})
    MISSING: ClassVar[dict[str, str]] = {Capability.MESSAGING: MESSAGING_MISSING}

    # -- contracting ----------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_place_order(self, request: PlatformOrderRequest, context: CallContext | None) -> OrderPlacement:
        days = self._requested_days(request)
        campaign = None
        marker = _marker(request.deal_id, request.idempotency_key, _videos_owed(request))
        if request.attempt > 1:  # an earlier call may have created it: its name says so
            campaign = self._campaign_keyed(request, context)
        if campaign is None:
            brand = self._brand_profile(context, request.brand_name)
            # TikTok documents no length for a campaign's name; 100 characters keep it readable in TikTok One's
            # list, and the marker is never cut.
            name = request.description[: max(0, 100 - len(marker) - 1)].strip()
            body = {
                "tto_tcm_account_id": self._account_id(context),
                "campaign_type": "CAMPAIGN",
                "brand_profile_id": brand.get("brand_profile_id"),
                "brand_name": request.brand_name,
                "campaign_name": f"{name} {marker}".strip(),
                "campaign_description": request.description,
                "handle_names": list(request.creator_handles),
                "advertiser_ids": [self._advertiser_id(context)] if days else None,
                "default_spark_ads_requested_authorization_days": days,
                "send_notification": True,
            }
            campaign = self._post("tto/tcm/campaign/create/", body, context)
        return self._placement(request, campaign)

    def _requested_days(self, request: PlatformOrderRequest) -> int:
        """The Spark Ads days the campaign asks each video for: one length for the whole campaign, as TikTok has."""
        for deliverable in request.deliverables:
            if deliverable.kind not in _LINKABLE:
                raise NotSupported(
                    self.name,
                    f"a TikTok One campaign links posts by id; a {deliverable.kind.value} cannot be linked",
                    feature="deliverables.kind",
                )
        asked = {d.ad_authorization_days or 0 for d in request.deliverables}
        for days in sorted(asked):
            if days not in AUTHORIZATION_DAYS:
                raise NotSupported(
                    self.name,
                    f"ad_authorization_days={days}: TikTok authorises Spark Ads for 7, 30, 60 or 365 days only",
                    feature="ad_authorization_days",
                )
        if len(asked) > 1:
            raise NotSupported(
                self.name,
                f"ad_authorization_days differ between deliverables ({sorted(asked)}): a TikTok One campaign "
                "requests one length for all its videos",
                feature="ad_authorization_days",
            )
        return asked.pop()

    def _placement(self, request: PlatformOrderRequest, campaign: Mapping[str, Any]) -> OrderPlacement:
        campaign_id = self._campaign_id(campaign)
        # TikTok may answer a handle without the "@" it was sent with: the two are one creator.
        placed = {str(h).lstrip("@") for h in campaign.get("handle_names") or ()}
        refused = {str(h).lstrip("@") for h in campaign.get("failed_handle_names") or ()}
        created = api.instant(campaign.get("create_time")) or self._now()
        orders, failed = [], []
        for handle in request.creator_handles:
            if handle.lstrip("@") in refused:
                reason = (
                    "TikTok One could not invite this handle to the campaign (failed_handle_names): not a "
                    "Creator Marketplace creator it can reach"
                )
                failed.append(FailedHandle(handle=handle, reason=reason, code="failed_handle_names"))
                continue
            if handle.lstrip("@") not in placed:
                failed.append(FailedHandle(handle=handle, reason="TikTok One's campaign does not list this handle"))
                continue
            orders.append(
                PlatformOrder(
                    platform=self.name,
                    order_id=f"{campaign_id}:{handle}",
                    deal_id=request.deal_id,
                    creator_handle=handle,
                    status=OrderStatus.PENDING,
                    raw_status=NO_LINKED_VIDEO,
                    created_at=created,
                    campaign_ref=campaign_id,
                    invite_link=campaign.get("invite_link") or None,
                )
            )
        return OrderPlacement(
            platform=self.name,
            idempotency_key=request.idempotency_key,
            deal_id=request.deal_id,
            orders=tuple(orders),
            failed=tuple(failed),
            placed_at=self._now(),
        )

    def _campaign_id(self, campaign: Mapping[str, Any]) -> str:
        """The id of a campaign TikTok answered; an answer without one names no campaign to read back (a retry
        looks the campaign up by its name)."""
        campaign_id = str(campaign.get("campaign_id") or "")
        if not campaign_id:
            raise PlatformError(self.name, "tto/tcm/campaign/create/ answered no campaign_id")
        return campaign_id

    @hookimpl
    def creatorkit_get_order(self, order_id: str, context: CallContext | None) -> PlatformOrder:
        campaign_id, handle = _split_ref(order_id, "order")
        campaign = self._campaign_by_id(campaign_id, context, kind="order", ref=order_id)
        bare = handle.lstrip("@")
        if bare not in {str(h).lstrip("@") for h in campaign.get("handle_names") or ()}:
            raise NotFound("order", order_id, platform=self.name)
        links = self._links(campaign_id, bare, context)
        live = [link for link in links if link.get("status") != "REVOKE"]
        statuses = [str(link.get("status") or "") for link in live]
        owed = self._videos_of(campaign)
        if not live:
            status = OrderStatus.PENDING  # nothing linked (or every link revoked): waiting for the creator
        elif all(s == "APPROVE" for s in statuses) and len(statuses) >= owed:
            status = OrderStatus.DELIVERED
        elif any(s in ("APPROVE", "IN_REVIEW") for s in statuses):
            status = OrderStatus.ACTIVE
        elif all(s == "REJECTED" for s in statuses):
            status = OrderStatus.DECLINED
        else:
            status = OrderStatus.PENDING  # a link status TikTok has not documented: never further than known
        return PlatformOrder(
            platform=self.name,
            order_id=order_id,
            deal_id=self._deal_of(campaign),
            creator_handle=handle,
            status=status,
            raw_status=",".join(str(link.get("status") or "") for link in links) or NO_LINKED_VIDEO,
            created_at=api.instant(campaign.get("create_time")) or self._now(),
            campaign_ref=campaign_id,
            invite_link=campaign.get("invite_link") or None,
            post_ids=tuple(
                str(link["video_id"]) for link in live if link.get("status") == "APPROVE" and link.get("video_id")
            ),
        )

    @staticmethod
    def _videos_of(campaign: Mapping[str, Any]) -> int:
        """How many videos each creator owes, from the campaign's name; 1 for a campaign made elsewhere."""
        marked = _MARKED.search(str(campaign.get("campaign_name") or ""))
        return int(marked.group("videos")) if marked and marked.group("videos") else 1

    @staticmethod
    def _deal_of(campaign: Mapping[str, Any]) -> str:
        """The deal an order is for, from the campaign's name (TikTok keeps no such thing); a campaign made
        elsewhere is its own deal."""
        marked = _MARKED.search(str(campaign.get("campaign_name") or ""))
        return marked.group("deal") if marked else str(campaign.get("campaign_id"))

    # -- invitations ------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_send_invitation(
        self, invitation: Invitation, account: PlatformAccount, context: CallContext | None
    ) -> OutreachReceipt:
        handle = account.handle.lstrip("@")
        brand = self._brand_profile(context, None)
        brand_name = brand.get("brand_name") or (
            context.connection.account_name if context and context.connection else ""
        )
        if not brand_name:
            raise InvalidRequest(
                self.name,
                "a TikTok One campaign names its brand: create a brand profile in TikTok One first",
                field="brand_name",
            )
        body = {
            "tto_tcm_account_id": self._account_id(context),
            "campaign_type": "CAMPAIGN",
            "brand_profile_id": brand.get("brand_profile_id"),
            "brand_name": brand_name,
            "campaign_name": f"{invitation.subject or 'Invitation'} [invitation:{invitation.id}]".strip(),
            "campaign_description": invitation.body,
            "handle_names": [handle],
            "send_notification": True,  # TikTok tells the creator in the app: that is the invitation
        }
        campaign = self._post("tto/tcm/campaign/create/", body, context)
        if handle in (campaign.get("failed_handle_names") or ()) or handle not in (campaign.get("handle_names") or ()):
            raise NotSupported(
                self.name,
                f"TikTok One could not invite @{handle} (failed_handle_names): not a Creator Marketplace creator "
                "it can reach",
                feature="handle_names",
            )
        return OutreachReceipt(
            platform=self.name,
            platform_ref=f"{self._campaign_id(campaign)}:{handle}",
            accepted_at=api.instant(campaign.get("create_time")) or self._now(),
            invite_link=campaign.get("invite_link") or None,
        )

    @hookimpl
    def creatorkit_get_invitation(
        self, platform_ref: str, account: PlatformAccount, context: CallContext | None
    ) -> PlatformInvitation:
        campaign_id, handle = _split_ref(platform_ref, "invitation")
        if handle != account.handle.lstrip("@"):
            raise NotFound("invitation", f"{platform_ref} for @{account.handle}", platform=self.name)
        campaign = self._campaign_by_id(campaign_id, context, kind="invitation", ref=platform_ref)
        if handle not in (campaign.get("handle_names") or ()):
            raise NotFound("invitation", platform_ref, platform=self.name)
        links = [str(link.get("status") or "") for link in self._links(campaign_id, handle, context)]
        if links:  # a linked video is the creator's answer; an approved one is taking part
            answers = [_LINK_ANSWERS.get(s, InvitationStatus.SENT) for s in links]
            order = (InvitationStatus.ACCEPTED, InvitationStatus.SENT, InvitationStatus.DECLINED)
            status = next((s for s in order if s in answers), InvitationStatus.EXPIRED)
            raw = ",".join(links)
        else:
            raw = self._onboarding(handle, context)
            status = _ONBOARDING.get(raw, InvitationStatus.SENT)
        return PlatformInvitation(
            platform=self.name,
            platform_ref=platform_ref,
            status=status,
            raw_status=raw,
            checked_at=self._now(),
            invite_link=campaign.get("invite_link") or None,
        )

    def _onboarding(self, handle: str, context: CallContext | None) -> str:
        found = self._get(
            "tto/tcm/creator/status/get/", context, tto_tcm_account_id=self._account_id(context), handle_names=[handle]
        )
        for row in (found or {}).get("onboarding_status") or ():
            if str(row.get("handle_name") or row.get("handler_name") or "").lstrip("@") == handle:
                return str(row.get("status") or "UNKNOWN")
        return "UNKNOWN"

    # -- reading TikTok One -----------------------------------------------------------------------------------

    def _pages(self, path: str, key: str, context: CallContext | None, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` of a page-numbered TikTok One list."""

        def page(number: Any) -> tk.Page[dict[str, Any]]:
            data = self._get(path, context, **params, page=number or 1, page_size=_PAGE_SIZE) or {}
            info = data.get("page_info")
            items = [dict(item) for item in data.get(key) or () if isinstance(item, Mapping)]
            # TikTok may quote the page count, or leave it out: then a full page means there may be another, as
            # a retry that stopped early would place the deal twice.
            total = api.number(info.get("total_page")) if isinstance(info, Mapping) else None
            return tk.Page.numbered(items, page=number or 1, total_pages=total, has_more=len(items) >= _PAGE_SIZE)

        pages = tk.paginate(page, max_pages=_MAX_PAGES, platform=self.name)
        yield from pages
        if pages.truncated:
            raise PlatformError(self.name, f"{path} has more than {_MAX_PAGES} pages: the plugin stopped reading")

    def _campaign_keyed(self, request: PlatformOrderRequest, context: CallContext | None) -> dict[str, Any] | None:
        """The campaign an earlier call with the request's idempotency key created, if it did; a campaign made
        with that key for another deal is an ``InvalidRequest``: the key was reused."""
        account, key = self._account_id(context), request.idempotency_key
        params = {"tto_tcm_account_id": account, "campaign_type": "CAMPAIGN"}
        for campaign in self._pages("tto/tcm/campaign/", "campaigns", context, **params):
            name = str(campaign.get("campaign_name") or "")
            if name.endswith(_marker(request.deal_id, key, _videos_owed(request))):
                return campaign
            marked = _MARKED.search(name)
            if marked is not None and marked.group("key") == key:
                raise InvalidRequest(
                    self.name,
                    f"idempotency key {key!r} already placed campaign {campaign.get('campaign_id')} for another "
                    f"request (deal {marked.group('deal')!r}, {marked.group('videos') or 'unstated'} videos; this "
                    f"one: deal {request.deal_id!r}, {_videos_owed(request)} videos)",
                    field="idempotency_key",
                )
        return None

    def _campaign_by_id(self, campaign_id: str, context: CallContext | None, *, kind: str, ref: str) -> dict[str, Any]:
        try:
            found = self._get(
                "tto/tcm/campaign/", context, tto_tcm_account_id=self._account_id(context), campaign_ids=[campaign_id]
            )
        except NotFound:
            raise NotFound(kind, ref, platform=self.name) from None
        match = [c for c in (found or {}).get("campaigns") or () if str(c.get("campaign_id")) == campaign_id]
        if not match:
            raise NotFound(kind, ref, platform=self.name)
        return dict(match[0])

    def _links(self, campaign_id: str, handle: str, context: CallContext | None) -> list[dict[str, Any]]:
        account = self._account_id(context)
        params = {"tto_tcm_account_id": account, "campaign_ids": [campaign_id], "handle_names": [handle]}
        found = self._pages("tto/tcm/campaign/link/status/", "video_infos", context, **params)
        return [link for link in found if str(link.get("campaign_id") or campaign_id) == campaign_id]

    def _brand_profile(self, context: CallContext | None, name: str | None) -> Mapping[str, Any]:
        """The brand profile named ``name`` (any case), or the first one when no name is given; ``{}`` if none."""
        profiles: Sequence[dict[str, Any]] = list(
            self._pages("tto/tcm/brand/profile/get/", "brands", context, tto_tcm_account_id=self._account_id(context))
        )
        if name is None:
            return profiles[0] if profiles else {}
        wanted = name.casefold()
        return next((p for p in profiles if str(p.get("brand_name") or "").casefold() == wanted), {})
