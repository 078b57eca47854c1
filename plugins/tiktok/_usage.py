"""Usage rights: Spark Ads authorisations bound to the brand's ad account, read back and unbound.

A creator makes a code in the TikTok app for one post and a number of days; the brand binds it to its ad account
(``POST tt_video/authorize/``), and the post can run as a Spark Ad until the authorisation's end. The right's
``platform_ref`` is that code. ``tt_video/info/`` answers for a code whether or not it is bound (the post and
its ``auth_info``: ``ad_auth_status``, ``auth_start_time``, ``auth_end_time``); what the ad account holds is
``tt_video/list/``, so a right is read from both: a code TikTok knows but no longer lists for the ad account is
revoked (unbound).

Unverified, and chosen here: TikTok does not document the ``ad_auth_status`` values beyond ``AUTHORIZED``, nor
what binding a bound code again answers. Whatever it answers, a refused bind is checked against the ad
account's list before it is reported, and an authorisation whose ``auth_end_time`` has passed is ``expired``
whatever its status says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from creatorkit import CallContext, InvalidRequest, NotFound, hookimpl
from creatorkit import toolkit as tk
from creatorkit.entities import Capability, UsageAuthorizationRequest, UsageRight, UsageRightStatus

from . import _api as api
from ._base import TikTokBase

__all__ = ["UsageRightHooks"]

#: ``ad_auth_status`` values by what they mean (only ``AUTHORIZED`` is seen in TikTok's examples).
_STATUSES: Mapping[str, UsageRightStatus] = {
    "AUTHORIZED": UsageRightStatus.ACTIVE,
    "EXPIRED": UsageRightStatus.EXPIRED,
    "UNAUTHORIZED": UsageRightStatus.REVOKED,
    "CANCELLED": UsageRightStatus.REVOKED,
    "CANCELED": UsageRightStatus.REVOKED,
    "REVOKED": UsageRightStatus.REVOKED,
    "DELETED": UsageRightStatus.REVOKED,
}
#: Post statuses (``item_info.status``) of a post that is gone: it cannot run as an ad whatever the code says.
_DELETED_POSTS = frozenset({"USER_DELETE", "AUDIT_DELETE"})
#: The plugin's word (not TikTok's) for a code TikTok knows but does not list for the ad account.
NOT_BOUND = "NOT_BOUND"


class UsageRightHooks(TikTokBase):
    """Usage rights as Spark Ads authorisations (see the module's docstring)."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({Capability.USAGE_RIGHTS})
    MISSING: ClassVar[dict[str, str]] = {}

    @hookimpl
    def creatorkit_authorize_usage(self, request: UsageAuthorizationRequest, context: CallContext | None) -> UsageRight:
        code, advertiser = request.authorization_code.strip(), self._advertiser_id(context)
        item = self._spark_item(code, context)  # the code's post, read before binding it
        post_id = str(item.get("item_info", {}).get("item_id") or "")
        if request.post_id is not None and post_id != request.post_id:  # a code naming no post is unchecked
            raise InvalidRequest(
                self.name,
                f"the code is for post {post_id or '(TikTok names none)'}, not {request.post_id}",
                field="authorization_code",
            )
        try:
            self._post(
                "tt_video/authorize/", {"advertiser_id": advertiser, "auth_code": code}, context, idempotent=True
            )
        except InvalidRequest:
            # Already bound to this ad account answers the right that exists; any other refusal stands.
            if self._bound(code, post_id, context) is None:
                raise
        return self._right(code, item, context, bound=True)

    @hookimpl
    def creatorkit_get_usage_right(self, platform_ref: str, context: CallContext | None) -> UsageRight:
        item = self._spark_item(platform_ref, context)
        post_id = str(item.get("item_info", {}).get("item_id") or "")
        listed = self._bound(platform_ref, post_id, context)
        return self._right(platform_ref, listed or item, context, bound=listed is not None)

    @hookimpl
    def creatorkit_revoke_usage_right(self, platform_ref: str, context: CallContext | None) -> UsageRight:
        item = self._spark_item(platform_ref, context)
        post_id = str(item.get("item_info", {}).get("item_id") or "")
        listed = self._bound(platform_ref, post_id, context)
        right = self._right(platform_ref, listed or item, context, bound=listed is not None)
        if right.status in (UsageRightStatus.REVOKED, UsageRightStatus.EXPIRED):
            return right  # already unbound, withdrawn or ended: answered as it stands
        body = {"advertiser_id": self._advertiser_id(context), "item_id": post_id}
        self._post("tt_video/unbind/", body, context, idempotent=True)
        return self._right(platform_ref, item, context, bound=False)

    # -- reading TikTok ---------------------------------------------------------------------------------------

    def _spark_item(self, code: str, context: CallContext | None) -> dict[str, Any]:
        """``tt_video/info/`` for ``code``: the post and its authorisation (NotFound for a code TikTok lacks)."""
        if not code.strip():
            raise NotFound("Spark Ads authorisation", code, platform=self.name)
        item = self._get("tt_video/info/", context, advertiser_id=self._advertiser_id(context), auth_code=code)
        if not isinstance(item, dict) or not item.get("item_info"):
            raise NotFound("Spark Ads authorisation", code, platform=self.name)
        return item

    def _bound(self, code: str, post_id: str, context: CallContext | None) -> dict[str, Any] | None:
        """The ad account's listing of ``code`` (``tt_video/list/``), or None when it is not bound."""
        advertiser = self._advertiser_id(context)

        def page(number: Any) -> tk.Page[dict[str, Any]]:
            params: dict[str, Any] = {
                "advertiser_id": advertiser,
                "keyword": post_id or None,
                "page": number or 1,
                "page_size": 50,
            }
            data = self._get("tt_video/list/", context, **params)
            info = data.get("page_info")
            items = [dict(item) for item in data.get("list") or () if isinstance(item, Mapping)]
            total = api.number(info.get("total_page")) if isinstance(info, Mapping) else None
            return tk.Page.numbered(items, page=number or 1, total_pages=total, has_more=len(items) >= 50)

        for listed in tk.paginate(page, max_pages=20, platform=self.name):
            listed_code = listed.get("item_info", {}).get("auth_code")
            if listed_code == code or (not listed_code and listed.get("item_info", {}).get("item_id") == post_id):
                return dict(listed)
        return None

    def _right(self, code: str, item: Mapping[str, Any], context: CallContext | None, *, bound: bool) -> UsageRight:
        info = item.get("item_info") or {}
        auth = item.get("auth_info") or info.get("auth_info") or {}
        raw = str(auth.get("ad_auth_status") or "")
        starts, ends = api.instant(auth.get("auth_start_time")), api.instant(auth.get("auth_end_time"))
        now = self._now()
        status = _STATUSES.get(raw.upper(), UsageRightStatus.PENDING)
        if str(info.get("status") or "") in _DELETED_POSTS:
            status, raw = UsageRightStatus.REVOKED, str(info["status"])
        elif not bound and status is not UsageRightStatus.EXPIRED:
            status, raw = UsageRightStatus.REVOKED, NOT_BOUND
        if status in (UsageRightStatus.ACTIVE, UsageRightStatus.PENDING) and ends is not None and ends <= now:
            status = UsageRightStatus.EXPIRED  # the days ran out, whatever the status still says
        return UsageRight(
            platform=self.name,
            platform_ref=code,
            post_id=str(info.get("item_id") or ""),
            status=status,
            raw_status=raw or "UNKNOWN",
            checked_at=now,
            creator_handle=None,  # tt_video/info/ names the creator (user_info.tiktok_name), not their handle
            ad_account_id=self._advertiser_id(context),
            starts_at=starts,
            ends_at=ends,
        )
