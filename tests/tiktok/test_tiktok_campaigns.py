"""TikTok One campaigns as orders and invitations: one campaign per request whatever the retries, TikTok's only
Spark Ads lengths, failed handles, and statuses read from the campaign's video links."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok._campaigns import NO_LINKED_VIDEO
from creatorkit_tiktok.sandbox import TikTokSandbox, _campaigns

from creatorkit import InvalidRequest, NotFound, NotSupported
from creatorkit import entities as ent
from creatorkit.errors import PlatformError
from creatorkit.testing import assert_valid_entity

from .conftest import FIXTURES
from .conftest import sandbox_of as _sandbox

BUSINESS_API = "https://business-api.tiktok.com/open_api/v1.3/"
CREATE = "POST /open_api/v1.3/tto/tcm/campaign/create/"
LIST = "GET /open_api/v1.3/tto/tcm/campaign/"


def _creators(platform: TikTokPlatform, count: int = 2) -> list[Any]:
    found = (a for a in _sandbox(platform).population.on("tiktok") if a.post_count > 1)
    return list(itertools.islice(found, count))


def _request(handles: tuple[str, ...], key: str = "order_1", *, days: int | None = 30, **extra: Any) -> Any:
    deliverable = ent.OrderDeliverable(kind=ent.DeliverableType.SHORT_VIDEO, ad_authorization_days=days)
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "deal_id": "deal_1",
        "brand_name": "Sandbox Outdoor",
        "description": "Winter kit: one video",
        "creator_handles": handles,
        "deliverables": (deliverable,),
    }
    return ent.PlatformOrderRequest(**(fields | extra))


def _creator_call(sandbox: TikTokSandbox, method: str, path: str, **payload: Any) -> Any:
    """A call on the creator's side of TikTok One, with a creator's token."""
    token = sandbox.issuer.issue("creator:test").access_token
    with httpx.Client(transport=sandbox, base_url=BUSINESS_API, headers={"Access-Token": token}) as client:
        if method == "GET":
            answer = client.get(path, params={k: str(v) for k, v in payload.items()})
        else:
            answer = client.post(path, json=payload)
    body = answer.json()
    assert body["code"] == 0, body
    return body["data"]


def _link_video(sandbox: TikTokSandbox, campaign_id: str, account: Any, number: int = 0) -> str:
    video_id = list(sandbox.population.posts(account, limit=number + 1))[number].post_id
    link = sandbox.campaigns[campaign_id]["invite_link"]
    body = {"creator_id": account.account_id, "tto_invite_link": link, "video_id": video_id}
    _creator_call(sandbox, "POST", "tto/creator/campaign/video/link/", **body)
    return video_id


# -- placing ---------------------------------------------------------------------------------------------------


def test_an_order_is_one_campaign_with_the_agreed_deliverables(tiktok: TikTokPlatform) -> None:
    creators = _creators(tiktok)
    handles = tuple(a.handle for a in creators)
    placement = tiktok.creatorkit_place_order(_request(handles), None)
    assert_valid_entity(placement)
    sandbox = _sandbox(tiktok)
    assert sandbox.calls.count(CREATE) == 1
    [campaign] = sandbox.campaigns.values()
    assert campaign["campaign_type"] == "CAMPAIGN" and campaign["handle_names"] == list(handles)
    assert campaign["brand_name"] == "Sandbox Outdoor" and campaign["campaign_description"] == "Winter kit: one video"
    assert campaign["spark_ads_requested_authorization_days"] == 30 and campaign["send_notification"]
    assert "key:order_1 videos:1]" in campaign["campaign_name"]
    assert campaign["brand_profile_id"] == "7442000000000000001", "the brand's profile of the same name"
    assert [o.order_id for o in placement.orders] == [f"{campaign['campaign_id']}:{h}" for h in handles]
    for order in placement.orders:
        assert order.campaign_ref == campaign["campaign_id"] and order.invite_link == campaign["invite_link"]
        assert (order.status, order.raw_status) == (ent.OrderStatus.PENDING, NO_LINKED_VIDEO)
    assert placement.failed == ()


def test_a_handle_tiktok_cannot_invite_is_a_failed_handle_with_its_reason(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    placement = tiktok.creatorkit_place_order(_request((creator.handle, "no.such.handle.zz")), None)
    assert [o.creator_handle for o in placement.orders] == [creator.handle]
    [failed] = placement.failed
    assert failed.handle == "no.such.handle.zz" and "failed_handle_names" in failed.reason


def test_a_retry_answers_the_campaign_already_made_and_creates_none(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    for number in range(25):  # more campaigns than one page holds, the wanted one last
        tiktok.creatorkit_place_order(_request((creator.handle,), f"other_{number}"), None)
    first = tiktok.creatorkit_place_order(_request((creator.handle, "no.such.handle.zz")), None)
    creates, lists = sandbox.calls.count(CREATE), sandbox.calls.count(LIST)
    again = tiktok.creatorkit_place_order(_request((creator.handle, "no.such.handle.zz"), attempt=2), None)
    assert sandbox.calls.count(CREATE) == creates, "a retry must not create a second campaign"
    assert sandbox.calls.count(LIST) == lists + 2, "it read both pages of campaigns"
    assert [o.order_id for o in again.orders] == [o.order_id for o in first.orders]
    assert again.failed == first.failed and again.idempotency_key == first.idempotency_key


def test_a_retry_whose_first_call_never_arrived_creates_the_campaign(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    placement = tiktok.creatorkit_place_order(_request((creator.handle,), attempt=3), None)
    assert len(placement.orders) == 1 and _sandbox(tiktok).calls.count(CREATE) == 1


def test_a_first_attempt_does_not_look_up(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    tiktok.creatorkit_place_order(_request((creator.handle,)), None)
    assert LIST not in _sandbox(tiktok).calls


@pytest.mark.parametrize("days", [1, 14, 90, 366])
def test_ad_days_tiktok_does_not_offer_are_not_supported_never_rounded(tiktok: TikTokPlatform, days: int) -> None:
    [creator] = _creators(tiktok, 1)
    with pytest.raises(NotSupported, match="ad_authorization_days") as caught:
        tiktok.creatorkit_place_order(_request((creator.handle,), days=days), None)
    assert caught.value.feature == "ad_authorization_days"
    assert CREATE not in _sandbox(tiktok).calls


def test_deliverables_asking_different_ad_days_are_not_supported(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    kind = ent.DeliverableType.SHORT_VIDEO
    deliverables = tuple(ent.OrderDeliverable(kind=kind, ad_authorization_days=days) for days in (7, 30))
    with pytest.raises(NotSupported, match="ad_authorization_days"):
        tiktok.creatorkit_place_order(_request((creator.handle,), deliverables=deliverables), None)


def test_a_live_cannot_be_linked_to_a_campaign(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    live = (ent.OrderDeliverable(kind=ent.DeliverableType.LIVESTREAM),)
    with pytest.raises(NotSupported) as caught:
        tiktok.creatorkit_place_order(_request((creator.handle,), deliverables=live), None)
    assert caught.value.feature == "deliverables.kind"


def test_no_paid_use_asks_for_no_spark_ads_days(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    tiktok.creatorkit_place_order(_request((creator.handle,), days=None), None)
    [campaign] = _sandbox(tiktok).campaigns.values()
    assert campaign["spark_ads_requested_authorization_days"] == 0 and campaign["advertiser_ids"] == []


# -- reading orders back ---------------------------------------------------------------------------------------


def test_an_order_is_pending_then_active_then_delivered_as_its_video_is_linked_and_passed(
    tiktok: TikTokPlatform,
) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    [order] = tiktok.creatorkit_place_order(_request((creator.handle,)), None).orders
    pending = tiktok.creatorkit_get_order(order.order_id, None)
    assert (pending.status, pending.raw_status, pending.deal_id) == (ent.OrderStatus.PENDING, NO_LINKED_VIDEO, "deal_1")
    video_id = _link_video(sandbox, order.campaign_ref or "", creator)
    active = tiktok.creatorkit_get_order(order.order_id, None)
    assert (active.status, active.raw_status, active.post_ids) == (ent.OrderStatus.ACTIVE, "IN_REVIEW", ())
    _campaigns.review(sandbox, order.campaign_ref or "", video_id)
    delivered = tiktok.creatorkit_get_order(order.order_id, None)
    assert (delivered.status, delivered.raw_status) == (ent.OrderStatus.DELIVERED, "APPROVE")
    assert delivered.post_ids == (video_id,) and delivered.creator_handle == creator.handle
    assert_valid_entity(delivered)
    assert sandbox.campaigns[order.campaign_ref or ""]["video_ids"] == [video_id]


def test_an_order_owing_two_videos_is_delivered_only_when_both_are_passed(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    two = (ent.OrderDeliverable(kind=ent.DeliverableType.SHORT_VIDEO, count=2, ad_authorization_days=30),)
    [order] = tiktok.creatorkit_place_order(_request((creator.handle,), deliverables=two), None).orders
    first = _link_video(sandbox, order.campaign_ref or "", creator)
    _campaigns.review(sandbox, order.campaign_ref or "", first)
    one_in = tiktok.creatorkit_get_order(order.order_id, None)
    assert (one_in.status, one_in.post_ids) == (ent.OrderStatus.ACTIVE, (first,)), "one of two videos is not all"
    second = _link_video(sandbox, order.campaign_ref or "", creator, number=1)
    _campaigns.review(sandbox, order.campaign_ref or "", second)
    both_in = tiktok.creatorkit_get_order(order.order_id, None)
    assert (both_in.status, set(both_in.post_ids)) == (ent.OrderStatus.DELIVERED, {first, second})


def test_a_link_the_creator_rejects_is_a_declined_order(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    [order] = tiktok.creatorkit_place_order(_request((creator.handle,)), None).orders
    video_id = next(sandbox.population.posts(creator, limit=1)).post_id
    body = {"tto_tcm_account_id": tiktok._account_id(None), "campaign_id": order.campaign_ref, "video_id": video_id}
    linked = tiktok._post("tto/tcm/campaign/link/", body | {"action": "LINK"}, None)
    assert linked["status"] == "IN_REVIEW"
    invite = {"creator_id": creator.account_id, "tto_invite_link": order.invite_link}
    requests = _creator_call(sandbox, "GET", "tto/creator/link/request/get/", **invite)
    [asked] = requests["link_requests"]
    assert asked["video_id"] == video_id and requests["spark_authorization_days"] == 30
    confirm = {"creator_id": creator.account_id, "link_request_id": asked["link_request_id"], "action": "REJECT"}
    _creator_call(sandbox, "POST", "tto/creator/link/request/confirm/", **confirm)
    declined = tiktok.creatorkit_get_order(order.order_id, None)
    assert (declined.status, declined.raw_status) == (ent.OrderStatus.DECLINED, "REJECTED")


def test_an_approved_link_request_delivers_and_authorises_the_requested_days(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    [order] = tiktok.creatorkit_place_order(_request((creator.handle,)), None).orders
    video_id = next(sandbox.population.posts(creator, limit=1)).post_id
    body = {"tto_tcm_account_id": tiktok._account_id(None), "campaign_id": order.campaign_ref, "video_id": video_id}
    linked = tiktok._post("tto/tcm/campaign/link/", body | {"action": "LINK"}, None)
    confirm = {"creator_id": creator.account_id, "link_request_id": linked["link_request_id"], "action": "APPROVE"}
    _creator_call(sandbox, "POST", "tto/creator/link/request/confirm/", **confirm)
    assert tiktok.creatorkit_get_order(order.order_id, None).status is ent.OrderStatus.DELIVERED
    [link] = sandbox.campaigns[order.campaign_ref or ""]["links"]
    assert link["authorization_code"] in sandbox.spark_codes, "a Spark Ads code for the campaign's 30 days"
    assert sandbox.campaign_events[-1]["tto_campaign_event_type"] == "tto_video_published"


@pytest.mark.parametrize("order_id", ["no_such_order_zz9", "7442100000000999999:nobody", "x:y", "123:"])
def test_an_order_tiktok_does_not_have_is_not_found(tiktok: TikTokPlatform, order_id: str) -> None:
    with pytest.raises(NotFound):
        tiktok.creatorkit_get_order(order_id, None)


def test_a_handle_that_failed_has_no_order_to_read(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    placement = tiktok.creatorkit_place_order(_request((creator.handle, "no.such.handle.zz")), None)
    with pytest.raises(NotFound):
        tiktok.creatorkit_get_order(f"{placement.orders[0].campaign_ref}:no.such.handle.zz", None)


# -- invitations and messaging -----------------------------------------------------------------------------------


def _invitation() -> ent.Invitation:
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    return ent.Invitation(
        id="inv_1",
        deal_id="deal_1",
        brief_id="brief_1",
        creator_id="creator_1",
        sent_by="brand_1",
        channel=ent.Channel.PLATFORM,
        body="We would like to work with you on our winter kit.",
        sent_at=moment,
        respond_by=moment,
        subject="Winter kit",
    )


def _account(creator: Any) -> ent.PlatformAccount:
    return ent.PlatformAccount(platform="tiktok", account_id=creator.account_id, handle=creator.handle)


def test_an_invitation_is_a_campaign_tiktok_notifies_the_creator_of(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    receipt = tiktok.creatorkit_send_invitation(_invitation(), _account(creator), None)
    assert_valid_entity(receipt)
    [campaign] = _sandbox(tiktok).campaigns.values()
    assert campaign["handle_names"] == [creator.handle] and campaign["send_notification"]
    assert campaign["campaign_description"] == _invitation().body and campaign["brand_name"] == "Sandbox Outdoor"
    assert receipt.platform_ref == f"{campaign['campaign_id']}:{creator.handle}"
    assert receipt.invite_link == campaign["invite_link"]
    status = tiktok.creatorkit_get_invitation(receipt.platform_ref, _account(creator), None)
    assert (status.status, status.raw_status) == (ent.InvitationStatus.SENT, "IN")
    assert status.invite_link == campaign["invite_link"]


def test_an_invitation_is_accepted_once_the_creators_video_is_approved(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    sandbox = _sandbox(tiktok)
    receipt = tiktok.creatorkit_send_invitation(_invitation(), _account(creator), None)
    campaign_id = receipt.platform_ref.split(":")[0]
    video_id = _link_video(sandbox, campaign_id, creator)
    waiting = tiktok.creatorkit_get_invitation(receipt.platform_ref, _account(creator), None)
    assert (waiting.status, waiting.raw_status) == (ent.InvitationStatus.SENT, "IN_REVIEW")
    _campaigns.review(sandbox, campaign_id, video_id)
    accepted = tiktok.creatorkit_get_invitation(receipt.platform_ref, _account(creator), None)
    assert (accepted.status, accepted.raw_status) == (ent.InvitationStatus.ACCEPTED, "APPROVE")


def test_an_invitation_to_a_handle_tiktok_refuses_is_not_supported(tiktok: TikTokPlatform) -> None:
    nobody = ent.PlatformAccount(platform="tiktok", account_id="0", handle="no.such.handle.zz")
    with pytest.raises(NotSupported, match="failed_handle_names"):
        tiktok.creatorkit_send_invitation(_invitation(), nobody, None)


def test_an_invitation_read_for_another_creator_or_unknown_is_not_found(tiktok: TikTokPlatform) -> None:
    first, second = _creators(tiktok, 2)
    receipt = tiktok.creatorkit_send_invitation(_invitation(), _account(first), None)
    for ref, account in (
        (receipt.platform_ref, second),
        ("no_such_invitation_zz9", first),
        ("1:" + first.handle, first),
    ):
        with pytest.raises(NotFound):
            tiktok.creatorkit_get_invitation(ref, _account(account), None)


def test_messaging_is_missing_with_the_honest_alternative(tiktok: TikTokPlatform) -> None:
    meta = tiktok.creatorkit_plugin_metadata()
    assert ent.Capability.MESSAGING not in meta.capabilities
    assert (
        "invite link" in meta.missing[ent.Capability.MESSAGING] and "dm_info" in meta.missing[ent.Capability.MESSAGING]
    )
    assert {ent.Capability.CONTRACTING, ent.Capability.INVITATIONS} <= meta.capabilities


def test_listing_more_pages_than_the_plugin_reads_is_an_error_not_a_second_campaign(
    tiktok: TikTokPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    [creator] = _creators(tiktok, 1)
    endless = {"campaigns": [{"campaign_id": "1", "campaign_name": "x"}], "page_info": {"total_page": 10**6}}
    monkeypatch.setattr(tiktok, "_get", lambda path, context, **params: endless)
    with pytest.raises(PlatformError, match="pages"):
        tiktok.creatorkit_place_order(_request((creator.handle,), attempt=2), None)


# -- TikTok's recorded answers ---------------------------------------------------------------------------------


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["data"]


def _answer_with_fixtures(platform: TikTokPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    by_path = {
        "tto/tcm/campaign/create/": "tto_tcm_campaign_create",
        "tto/tcm/campaign/": "tto_tcm_campaign_get",
        "tto/tcm/campaign/link/status/": "tto_tcm_campaign_link_status",
        "tto/tcm/brand/profile/get/": "tto_tcm_brand_profile_get",
        "tto/tcm/creator/status/get/": "tto_tcm_creator_status_get",
    }
    monkeypatch.setattr(platform, "_get", lambda path, context, **params: _fixture(by_path[path]))
    monkeypatch.setattr(platform, "_post", lambda path, body, context, **kw: _fixture(by_path[path]))


def test_tiktoks_recorded_campaign_answers_are_read(tiktok: TikTokPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    _answer_with_fixtures(tiktok, monkeypatch)
    request = _request(("trailmix.tova", "summit.sam.demo", "no.such.handle.zz"), brand_name="Northwind Outdoor")
    placement = tiktok.creatorkit_place_order(request, None)
    assert [o.order_id for o in placement.orders] == [
        "7442100000000000101:trailmix.tova",
        "7442100000000000101:summit.sam.demo",
    ]
    assert placement.orders[0].invite_link == "https://vm.tiktok.example/tto/inv/ZMh3k9QpA/"
    assert placement.orders[0].created_at.isoformat() == "2026-11-18T09:30:17+00:00"
    assert [f.handle for f in placement.failed] == ["no.such.handle.zz"]
    order = tiktok.creatorkit_get_order("7442100000000000101:trailmix.tova", None)
    # The recorded link status lists one approved and one video in review: under way, one post approved.
    assert (order.status, order.raw_status) == (ent.OrderStatus.ACTIVE, "APPROVE,IN_REVIEW")
    assert order.post_ids == ("7438291046573829104",) and order.deal_id == "7442100000000000101"
    assert_valid_entity(attrs.evolve(order))


def test_tiktoks_recorded_statuses_read_as_invitations(tiktok: TikTokPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    _answer_with_fixtures(tiktok, monkeypatch)
    receipt = tiktok.creatorkit_send_invitation(
        _invitation(), ent.PlatformAccount(platform="tiktok", account_id="1", handle="trailmix.tova"), None
    )
    assert receipt.platform_ref == "7442100000000000101:trailmix.tova"
    empty = {"video_infos": [], "page_info": {"page": 1, "total_page": 1}}
    for handle, raw, status in (
        ("summit.sam.demo", "INVITED", ent.InvitationStatus.SENT),
        ("trailmix.tova", "IN", ent.InvitationStatus.SENT),
    ):
        fixtures = {
            "tto/tcm/campaign/": _fixture("tto_tcm_campaign_get"),
            "tto/tcm/campaign/link/status/": empty,
            "tto/tcm/creator/status/get/": {"onboarding_status": [{"handle_name": handle, "status": raw}]},
        }
        monkeypatch.setattr(tiktok, "_get", lambda path, context, f=fixtures, **params: f[path])
        account = ent.PlatformAccount(platform="tiktok", account_id="1", handle=handle)
        read = tiktok.creatorkit_get_invitation(f"7442100000000000101:{handle}", account, None)
        assert (read.status, read.raw_status) == (status, raw)


def test_every_recorded_campaign_answer_the_sandbox_gives_has_the_fixtures_keys(tiktok: TikTokPlatform) -> None:
    [creator] = _creators(tiktok, 1)
    [order] = tiktok.creatorkit_place_order(_request((creator.handle,)), None).orders
    sandbox = _sandbox(tiktok)
    _link_video(sandbox, order.campaign_ref or "", creator)
    account = tiktok._account_id(None)
    answers = {
        "tto_tcm_campaign_get": tiktok._get("tto/tcm/campaign/", None, tto_tcm_account_id=account),
        "tto_tcm_campaign_link_status": tiktok._get(
            "tto/tcm/campaign/link/status/", None, tto_tcm_account_id=account, campaign_ids=[order.campaign_ref]
        ),
        "tto_tcm_brand_profile_get": tiktok._get("tto/tcm/brand/profile/get/", None, tto_tcm_account_id=account),
    }
    for name, answer in answers.items():
        recorded = _fixture(name)
        assert set(answer) == set(recorded), name
        inner = next(k for k in recorded if isinstance(recorded[k], list))
        assert set(answer[inner][0]) <= set(recorded[inner][0]) | {"anchor_id"}, name


def test_the_sandboxs_writes_answer_in_the_recorded_shapes(tiktok: TikTokPlatform) -> None:
    first, second = _creators(tiktok, 2)
    account = tiktok._account_id(None)
    created = tiktok._post(
        "tto/tcm/campaign/create/",
        {"tto_tcm_account_id": account, "campaign_type": "BRAND_LINK", "campaign_name": "Open link"},
        None,
    )
    body = {"tto_tcm_account_id": account, "campaign_id": created["campaign_id"]}
    updated = tiktok._post("tto/tcm/campaign/update/", body | {"handle_names": [first.handle, "no.such.zz"]}, None)
    assert updated["handle_names"] == [first.handle] and updated["failed_handle_names"] == ["no.such.zz"]
    video_id = next(_sandbox(tiktok).population.posts(first, limit=1)).post_id
    linked = tiktok._post("tto/tcm/campaign/link/", body | {"video_id": video_id, "action": "LINK"}, None)
    brand = {
        "tto_tcm_account_id": account,
        "brand_name": "Northwind Outdoor",
        "brand_industry_id": "290102",
        "brand_website": "https://northwind-outdoor.example.com",
        "logo_url": "https://p16-sign-va.tiktokcdn.example/obj/brand-logo/northwind.png",
        "tiktok_account_url": "https://www.tiktok.com/@northwind.outdoor.demo",
    }
    profile = tiktok._post("tto/tcm/brand/profile/create/", brand, None)
    for name, answer in (
        ("tto_tcm_campaign_create", created),
        ("tto_tcm_campaign_update", updated),
        ("tto_tcm_campaign_link", linked),
        ("tto_tcm_brand_profile_create", profile),
    ):
        assert set(answer) <= set(_fixture(name)) | {"anchor_id"}, name
        assert set(_fixture(name)) - set(answer) <= {"anchor_id"}, name
    # A brand link is open: a creator who joins it by its link is in it.
    invite = {"creator_id": second.account_id, "tto_invite_link": created["invite_link"]}
    assert _creator_call(_sandbox(tiktok), "POST", "tto/creator/campaign/join/", **invite) == {}
    assert second.handle in _sandbox(tiktok).campaigns[created["campaign_id"]]["handle_names"]
    with pytest.raises(InvalidRequest, match="brand_website"):
        tiktok._post("tto/tcm/brand/profile/create/", brand | {"brand_website": "http://x.example"}, None)
