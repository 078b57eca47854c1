"""The conformance suite of the TikTok plugin, with what its sandbox knows (seed 0).

Registered in the ``creatorkit.conformance`` entry-point group, so that ``creatorkit plugins check tiktok`` runs
it; the plugin's own tests run it too. The known creator and post are the sandbox population's first TikTok
account and its newest video; the owner approving an authorize URL is the sandbox's
:func:`~creatorkit_tiktok.sandbox._oauth.approve`; webhook deliveries are TikTok One campaign video events
(``TCM_VIDEOS``: ``{"request_id", "object": 10, "time", "entry": [...]}``) signed by the plugin's own signer with
the sandbox app's secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx
import pytest

from creatorkit.entities import AuthorizationKind, DiscoveryQuery, PlatformAccount, PublishedPost, WebhookRequest
from creatorkit.errors import AuthExpired
from creatorkit.host import PlatformClient
from creatorkit.testing import PlatformPluginContract
from creatorkit.tokens import TokenPair

from ._webhooks import sign_delivery
from .sandbox import SANDBOX_ACCOUNT, TikTokSandbox
from .sandbox._oauth import approve

__all__ = ["TikTokConformance"]

_SANDBOX = TikTokSandbox()
_CREATOR = next(_SANDBOX.population.on("tiktok"))
_POST = next(_SANDBOX.population.posts(_CREATOR))
#: When the delivered events happened: fixed, so that a delivery signed again later holds the same events.
HAPPENED = datetime.fromisoformat("2031-05-06T07:00:00+00:00")
CAMPAIGN_ID = "7442100000000000101"


def campaign_events(handle: str, video_id: str, at: datetime) -> bytes:
    """A ``TCM_VIDEOS`` delivery of two events about one video: uploaded to a campaign, then published."""
    entries = [
        {
            "event_type": "tto_campaign_webhook",
            "tto_campaign_event_type": event,
            "video_id": video_id,
            "campaign_id": CAMPAIGN_ID,
            "tto_tcm_account_id": SANDBOX_ACCOUNT,
            "handle_name": handle,
            "event_time": at.isoformat().replace("+00:00", "Z"),
            "log_id": f"{at:%Y%m%d%H%M%S}{number:02d}SANDBOXLOG",
        }
        for number, event in enumerate(("tto_video_uploaded", "tto_video_published"))
    ]
    body = {"request_id": f"sbx-webhook-{video_id}", "object": 10, "time": int(at.timestamp()), "entry": entries}
    return json.dumps(body, separators=(",", ":")).encode()


class TikTokConformance(PlatformPluginContract):
    plugin_name = "tiktok"
    kinds = (AuthorizationKind.CONNECTION, AuthorizationKind.GRANT)
    known_handle = _CREATOR.handle
    discovery_query = DiscoveryQuery(limit=5)
    known_post_id = _POST.post_id
    # A creator's public video list has no reach and no completion rate: None, never 0.
    post_missing_figures: ClassVar[Mapping[str, tuple[str, ...]]] = {_POST.post_id: ("reach", "completion_rate")}
    # Every creator of one country, 50 a page: a walk to the end in a few dozen pages (the kit's default, two a
    # page over every TikTok creator the sandbox has, would pass its 500-page cap).
    paging_query = DiscoveryQuery(countries=("GB",), limit=50)
    # A small QPS, so that the kit's budget check (the sandbox throttling at it) takes a handful of calls.
    settings: ClassVar[Mapping[str, Any]] = {"requests_per_second": 5}
    webhook_batches = True

    def approve(self, url: str, kind: AuthorizationKind) -> str:
        return approve(url, handle=self.known_handle if kind is AuthorizationKind.GRANT else None)

    def published_post(self, post_id: str) -> PublishedPost:
        """A post of the known creator as the workflow records it: TikTok reads a post outside a campaign by its
        creator's handle (the public video list), so the account goes with it."""
        account = PlatformAccount(platform="tiktok", account_id=_CREATOR.account_id, handle=_CREATOR.handle)
        return PublishedPost(
            id=f"post_{post_id}",
            deal_id="deal_conformance",
            submission_id="sub_conformance",
            platform="tiktok",
            platform_post_id=post_id,
            url=f"https://www.tiktok.com/@{_CREATOR.handle}/video/{post_id}",
            published_at=_POST.published_at,
            account=account,
        )

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        assert self.known_handle is not None
        body = campaign_events(self.known_handle, self.known_post_id or "", HAPPENED)
        headers = sign_delivery(body, _SANDBOX.app_secret, int(received_at.timestamp()))
        headers.setdefault("Content-Type", "application/json")
        return WebhookRequest(
            method="POST", path="/webhooks/tiktok", headers=httpx.Headers(headers), body=body, received_at=received_at
        )

    # TikTok's advertiser tokens have no refresh: the kit's refresh check holds for a grant; a connection's
    # refresh is refused as AuthExpired, naming what to do.
    def test_a_refresh_answers_with_a_new_access_token(
        self, authorizing: PlatformClient, kind: AuthorizationKind
    ) -> None:
        if kind is AuthorizationKind.GRANT:
            super().test_a_refresh_answers_with_a_new_access_token(authorizing, kind)
            return
        issued, authorization = self._issued(authorizing, kind)
        pair = TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token)
        assert issued.expires_in is None and issued.refresh_token is None, "an advertiser token states no expiry"
        with pytest.raises(AuthExpired) as refused:
            authorizing.refresh_tokens(authorization=authorization, tokens=pair, context=self._context())
        assert refused.value.action and "connect" in refused.value.action
