"""Brand profiles, a campaign's video links and the creator's side of a campaign, as the plugin's public methods:
the sandbox's answers in TikTok's shape, the recorded responses, each refusal typed, and a creator's call carrying
the creator's token only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
from creatorkit_tiktok import BrandProfile, TikTokPlatform, VideoLink
from creatorkit_tiktok._collaboration import LinkRequest, LinkStatus
from creatorkit_tiktok.sandbox import SANDBOX_ACCOUNT, _campaigns
from creatorkit_tiktok.sandbox._oauth import grant_token

from creatorkit import AuthExpired, CallContext, InvalidRequest, NotFound
from creatorkit import entities as ent
from creatorkit import toolkit as tk

from .conftest import FIXTURES
from .conftest import sandbox_of as _sandbox

PROFILE = {
    "brand_name": "Northwind Outdoor",
    "industry_id": "290102",
    "website": "https://northwind-outdoor.example.com",
    "logo_url": "https://p16-sign-va.tiktokcdn.example/obj/brand-logo/northwind.png",
    "tiktok_account_url": "https://www.tiktok.com/@northwind.outdoor.demo",
}


@attrs.define
class Seen:
    """The requests the sandbox answered: path and the token each carried."""

    sent: list[tuple[str, str | None, dict[str, Any]]] = attrs.field(factory=list)

    def tokens(self, fragment: str) -> set[str | None]:
        return {token for path, token, _ in self.sent if fragment in path}


@pytest.fixture
def seen(tiktok: TikTokPlatform) -> Seen:
    log, answer = Seen(), _sandbox(tiktok).handle_request

    def logged(request: httpx.Request) -> httpx.Response:
        content = request.read()
        body = json.loads(content) if content else dict(request.url.params)
        log.sent.append((request.url.path, request.headers.get("Access-Token"), body))
        return answer(request)

    _sandbox(tiktok).handle_request = logged  # type: ignore[method-assign]
    return log


def _creator(platform: TikTokPlatform, nth: int = 0) -> tk.Account:
    accounts = (a for a in _sandbox(platform).population.on("tiktok") if a.post_count > 1)
    return [a for _, a in zip(range(nth + 1), accounts, strict=False)][-1]


def _grant(platform: TikTokPlatform, account: tk.Account, **details: str) -> tuple[CallContext, str]:
    issued = grant_token(_sandbox(platform), account.account_id)
    grant = ent.Grant(
        id="grant-1",
        platform="tiktok",
        creator_id="creator-1",
        workspace_id="ws-1",
        account_id=account.account_id,
        handle=account.handle,
        granted_at=datetime(2026, 11, 1, tzinfo=UTC),
        details=details,
    )
    token = issued.access_token
    return CallContext(grant=grant, tokens=tk.StaticToken(token, platform="tiktok")), token


def _campaign(platform: TikTokPlatform, account: tk.Account) -> dict[str, Any]:
    return _campaigns._create_directly(_sandbox(platform), SANDBOX_ACCOUNT, [account.handle])


def _video(platform: TikTokPlatform, account: tk.Account, nth: int = 0) -> str:
    return list(_sandbox(platform).population.posts(account, limit=nth + 1))[nth].post_id


def _recorded(platform: TikTokPlatform, name: str) -> None:
    recorded = json.loads((FIXTURES / name).read_text())
    _sandbox(platform).handle_request = lambda request: httpx.Response(200, json=recorded)  # type: ignore[method-assign]


# -- brand profiles -----------------------------------------------------------------------------------------------


def test_brand_profiles_lists_the_accounts_profiles(tiktok: TikTokPlatform, seen: Seen) -> None:
    [sandbox_brand] = tiktok.brand_profiles(None)
    assert sandbox_brand.brand_name == "Sandbox Outdoor" and sandbox_brand.industry == "Sports & Outdoors"
    created = tiktok.create_brand_profile(None, **PROFILE)
    assert isinstance(created, BrandProfile) and created.brand_profile_id
    assert (created.brand_name, created.industry_id, created.website) == (
        "Northwind Outdoor",
        "290102",
        PROFILE["website"],
    )
    assert created.tiktok_account_url == PROFILE["tiktok_account_url"] and created.industry is None
    assert [p.brand_profile_id for p in tiktok.brand_profiles(None)] == [
        sandbox_brand.brand_profile_id,
        created.brand_profile_id,
    ]
    brand = _sandbox(tiktok).brand_token.access_token()
    assert seen.tokens("brand/profile/") == {brand}
    [(_, _, body)] = [s for s in seen.sent if s[0].endswith("brand/profile/create/")]
    assert body["brand_industry_id"] == "290102" and body["brand_website"] == PROFILE["website"]
    assert body["tto_tcm_account_id"] == SANDBOX_ACCOUNT


def test_brand_profiles_reads_every_page(tiktok: TikTokPlatform) -> None:
    for n in range(120):
        _sandbox(tiktok).brand_profiles[str(n)] = {"brand_profile_id": str(n), "brand_name": f"Brand {n}"}
    assert len(tiktok.brand_profiles(None)) == 121


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"brand_name": "x" * 61}, "brand_name"),
        ({"brand_name": "  "}, "brand_name"),
        ({"industry_id": ""}, "industry_id"),
        ({"website": "http://northwind.example.com"}, "website"),
        ({"logo_url": ""}, "logo_url"),
        ({"tiktok_account_url": "https://tiktok.com/@northwind"}, "tiktok_account_url"),
        ({"tiktok_account_url": "https://www.tiktok.com/@"}, "tiktok_account_url"),
    ],
)
def test_a_profile_breaking_tiktoks_rules_is_refused_before_the_call(
    tiktok: TikTokPlatform, change: dict[str, str], field: str
) -> None:
    before = len(_sandbox(tiktok).calls)
    with pytest.raises(InvalidRequest) as refused:
        tiktok.create_brand_profile(None, **{**PROFILE, **change})
    assert refused.value.field == field
    assert len(_sandbox(tiktok).calls) == before


def test_a_sixty_character_name_is_allowed(tiktok: TikTokPlatform) -> None:
    assert tiktok.create_brand_profile(None, **{**PROFILE, "brand_name": "n" * 60}).brand_name == "n" * 60


def test_the_recorded_brand_profiles_parse(tiktok: TikTokPlatform) -> None:
    _recorded(tiktok, "tto_tcm_brand_profile_get.json")
    first, second = tiktok.brand_profiles(None)
    assert first == BrandProfile(
        brand_profile_id="7442000000000000042",
        brand_name="Northwind Outdoor",
        industry_id="290102",
        industry="Sports & Outdoors",
        website="https://northwind-outdoor.example.com",
        logo_url="https://p16-sign-va.tiktokcdn.example/obj/brand-logo/northwind.png",
        tiktok_account_url="https://www.tiktok.com/@northwind.outdoor.demo",
    )
    assert second.industry == "Apparel & Accessories"
    _recorded(tiktok, "tto_tcm_brand_profile_create.json")
    created = tiktok.create_brand_profile(None, **PROFILE)
    assert created.brand_profile_id == "7442000000000000042" and created.industry is None


# -- links, both sides --------------------------------------------------------------------------------------------


def test_a_brands_link_request_is_seen_and_approved_by_the_creator(tiktok: TikTokPlatform, seen: Seen) -> None:
    account = _creator(tiktok)
    campaign, (context, creator_token) = _campaign(tiktok, account), _grant(tiktok, account)
    invite, video = campaign["invite_link"], _video(tiktok, account)
    tiktok.join_campaign(context, invite)
    asked = tiktok.request_video_link(None, campaign["campaign_id"], video)
    assert isinstance(asked, VideoLink)
    assert (asked.video_id, asked.campaign_id, asked.status, asked.raw_status) == (
        video,
        campaign["campaign_id"],
        LinkStatus.IN_REVIEW,
        "IN_REVIEW",
    )
    assert asked.link_request_id and asked.number_of_requests == 1 and asked.last_reminded_at is not None
    pending = tiktok.link_requests(context, invite)
    assert pending.campaign_id == campaign["campaign_id"] and pending.spark_authorization_days == 30
    assert pending.requests == (LinkRequest(video_id=video, link_request_id=asked.link_request_id),)
    tiktok.answer_link_request(context, asked.link_request_id, approve=True)
    assert tiktok.link_requests(context, invite).requests == ()
    [link] = _sandbox(tiktok).campaigns[campaign["campaign_id"]]["links"]
    assert link["status"] == "APPROVE"
    revoked = tiktok.revoke_video_link(None, campaign["campaign_id"], video)
    assert revoked.status is LinkStatus.REVOKED and revoked.raw_status == "REVOKE"
    brand = _sandbox(tiktok).brand_token.access_token()
    for fragment in ("campaign/join/", "link/request/get/", "link/request/confirm/"):
        assert seen.tokens("tto/creator/" + fragment) == {creator_token}  # the creator's, never the brand's
    assert seen.tokens("tto/tcm/campaign/link/") == {brand}
    assert all(body["creator_id"] == account.account_id for path, _, body in seen.sent if "tto/creator/" in path)


def test_a_creator_links_their_own_video_and_rejects_a_request(tiktok: TikTokPlatform, seen: Seen) -> None:
    account = _creator(tiktok, 1)
    campaign, (context, creator_token) = _campaign(tiktok, account), _grant(tiktok, account)
    own, asked_for = _video(tiktok, account), _video(tiktok, account, 1)
    tiktok.link_video(context, campaign["invite_link"], own)
    links = _sandbox(tiktok).campaigns[campaign["campaign_id"]]["links"]
    assert [(k["video_id"], k["initiated_by"], k["status"]) for k in links] == [(own, "creator", "IN_REVIEW")]
    asked = tiktok.request_video_link(None, campaign["campaign_id"], asked_for)
    [request] = tiktok.link_requests(context, campaign["invite_link"]).requests  # the creator's own is no request
    assert request.video_id == asked_for
    assert asked.link_request_id is not None
    tiktok.answer_link_request(context, asked.link_request_id, approve=False)
    assert _sandbox(tiktok).campaigns[campaign["campaign_id"]]["links"][-1]["status"] == "REJECTED"
    with pytest.raises(InvalidRequest):  # answered already: TikTok's 40002
        tiktok.answer_link_request(context, asked.link_request_id, approve=True)
    assert seen.tokens("tto/creator/") == {creator_token}


def test_the_grants_creator_id_detail_is_sent_when_it_has_one(tiktok: TikTokPlatform, seen: Seen) -> None:
    account = _creator(tiktok, 2)
    campaign = _campaign(tiktok, account)
    context, _ = _grant(tiktok, account, creator_id=account.handle)  # the sandbox takes a handle as well
    tiktok.join_campaign(context, campaign["invite_link"])
    [(_, _, body)] = [s for s in seen.sent if s[0].endswith("campaign/join/")]
    assert body == {"creator_id": account.handle, "tto_invite_link": campaign["invite_link"]}


@pytest.mark.parametrize(
    "call",
    [
        lambda p, c: p.join_campaign(c, "https://vm.tiktok.example/tto/inv/x/"),
        lambda p, c: p.link_video(c, "https://vm.tiktok.example/tto/inv/x/", "7440123987654321098"),
        lambda p, c: p.link_requests(c, "https://vm.tiktok.example/tto/inv/x/"),
        lambda p, c: p.answer_link_request(c, "7442300000000000555", True),
    ],
)
def test_a_creator_call_without_the_creators_grant_never_uses_the_brands_token(
    tiktok: TikTokPlatform, call: Any
) -> None:
    before = len(_sandbox(tiktok).calls)
    brand = CallContext(tokens=_sandbox(tiktok).brand_token)
    for context in (None, CallContext(), brand):
        with pytest.raises(AuthExpired) as refused:
            call(tiktok, context)
        assert refused.value.action is not None and "creatorkit grant tiktok" in refused.value.action
    tokenless = attrs.evolve(_grant(tiktok, _creator(tiktok))[0], tokens=None)
    with pytest.raises(AuthExpired):  # a grant without its token: the brand's is not sent in its place
        call(tiktok, tokenless)
    assert len(_sandbox(tiktok).calls) == before


def test_tiktoks_refusals_are_typed(tiktok: TikTokPlatform) -> None:
    account, other = _creator(tiktok, 3), _creator(tiktok, 4)
    campaign, (context, _) = _campaign(tiktok, account), _grant(tiktok, account)
    with pytest.raises(NotFound):  # 40007: no campaign has this invite link
        tiktok.join_campaign(context, "https://vm.tiktok.example/tto/inv/none/")
    with pytest.raises(InvalidRequest):  # 40053: not the creator's video
        tiktok.link_video(context, campaign["invite_link"], _video(tiktok, other))
    with pytest.raises(NotFound):  # 40007: nothing linked to revoke
        tiktok.revoke_video_link(None, campaign["campaign_id"], _video(tiktok, account))
    with pytest.raises(InvalidRequest):  # 40002: the video's creator is not in the campaign
        tiktok.request_video_link(None, campaign["campaign_id"], _video(tiktok, other))
    with pytest.raises(NotFound):  # 40007: no such request
        tiktok.answer_link_request(context, "1", approve=True)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda p, c: p.join_campaign(c, " "), "invite_link"),
        (lambda p, c: p.link_video(c, "https://vm.tiktok.example/tto/inv/x/", ""), "video_id"),
        (lambda p, c: p.link_requests(c, ""), "invite_link"),
        (lambda p, c: p.answer_link_request(c, "", True), "link_request_id"),
        (lambda p, c: p.answer_link_request(c, "7442300000000000555", "yes"), "approve"),
        (lambda p, c: p.request_video_link(None, "", "7440123987654321098"), "campaign_id"),
        (lambda p, c: p.revoke_video_link(None, "7442100000000000101", ""), "video_id"),
    ],
)
def test_missing_arguments_are_refused_before_any_call(tiktok: TikTokPlatform, call: Any, field: str) -> None:
    context, _ = _grant(tiktok, _creator(tiktok))
    before = len(_sandbox(tiktok).calls)
    with pytest.raises(InvalidRequest) as refused:
        call(tiktok, context)
    assert refused.value.field == field
    assert len(_sandbox(tiktok).calls) == before


def test_the_recorded_link_responses_parse(tiktok: TikTokPlatform) -> None:
    context, _ = _grant(tiktok, _creator(tiktok))
    invite = "https://vm.tiktok.example/tto/inv/x/"
    _recorded(tiktok, "tto_tcm_campaign_link.json")
    link = tiktok.request_video_link(None, "7442100000000000101", "7440123987654321098")
    assert link == VideoLink(
        video_id="7440123987654321098",
        campaign_id="7442100000000000101",
        status=LinkStatus.IN_REVIEW,
        raw_status="IN_REVIEW",
        link_request_id="7442300000000000555",
        number_of_requests=1,
        last_reminded_at=datetime.fromtimestamp(1763550000, UTC),
    )
    _recorded(tiktok, "tto_creator_link_request_get.json")
    pending = tiktok.link_requests(context, invite)
    assert pending.campaign_id == "7442100000000000101" and pending.spark_authorization_days == 30
    assert pending.requests == (LinkRequest("7440123987654321098", "7442300000000000555"),)
    for name, call in (
        ("tto_creator_campaign_join.json", lambda: tiktok.join_campaign(context, invite)),
        ("tto_creator_campaign_video_link.json", lambda: tiktok.link_video(context, invite, "7440123987654321098")),
        ("tto_creator_link_request_confirm.json", lambda: tiktok.answer_link_request(context, "1", True)),
    ):
        _recorded(tiktok, name)
        assert call() is None


def test_an_unknown_link_status_is_kept_raw(tiktok: TikTokPlatform) -> None:
    recorded = json.loads((FIXTURES / "tto_tcm_campaign_link.json").read_text())
    recorded["data"] = {"status": "PENDING_SOMETHING"}
    _sandbox(tiktok).handle_request = lambda request: httpx.Response(200, json=recorded)  # type: ignore[method-assign]
    link = tiktok.request_video_link(None, "7442100000000000101", "7440123987654321098")
    assert link.status is LinkStatus.UNKNOWN and link.raw_status == "PENDING_SOMETHING"
    assert link.video_id == "7440123987654321098" and link.link_request_id is None and link.number_of_requests is None


def test_these_methods_declare_no_capability(tiktok: TikTokPlatform) -> None:
    metadata = tiktok.creatorkit_plugin_metadata()
    assert metadata.capabilities == TikTokPlatform().creatorkit_plugin_metadata().capabilities
    assert ent.Capability.MESSAGING in metadata.missing
