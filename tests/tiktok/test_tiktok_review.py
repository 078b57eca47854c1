"""Adversarial checks of the TikTok plugin: odd, hostile or malformed input always ends in a typed error (or a
None), never a stray exception; retries never place twice; a passed deadline spends nothing; tokens stay with
the party they belong to."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import httpx
import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok import _api as api
from creatorkit_tiktok._webhooks import SIGNATURE_HEADER, sign_delivery
from creatorkit_tiktok.sandbox import TikTokSandbox

from creatorkit import AuthExpired, CallContext, InvalidRequest
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.errors import PlatformError, SignatureError, Transient

from .conftest import sandbox_of as _sandbox

RECEIVED_AT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
EVENT = b'{"event":"video.publish.completed","create_time":1935817689,"content":"{\\"video_id\\":\\"1\\"}"}'


def _override(sandbox: TikTokSandbox, method: str, path: str, handler: Any) -> None:
    """Answer ``method path`` with ``handler`` ahead of the sandbox's own route (the first match answers)."""
    sandbox.route(method, "/open_api/v1.3/" + path, handler)
    sandbox._routes.insert(0, sandbox._routes.pop())


def _delivery(platform: TikTokPlatform, body: bytes, header: bytes | None = None) -> ent.WebhookRequest:
    headers = sign_delivery(body, platform.app_secret, int(RECEIVED_AT.timestamp()))
    raw = [(k.encode(), v.encode()) for k, v in headers.items() if k != SIGNATURE_HEADER]
    raw.append((SIGNATURE_HEADER.encode(), header if header is not None else headers[SIGNATURE_HEADER].encode()))
    # Raw bytes, as a server hands them over: a header value need not be text.
    return ent.WebhookRequest(method="POST", headers=httpx.Headers(raw), body=body, received_at=RECEIVED_AT)


# -- webhooks --------------------------------------------------------------------------------------------------


def test_a_signature_with_non_ascii_bytes_is_a_signature_error(tiktok: TikTokPlatform) -> None:
    header = f"t={int(RECEIVED_AT.timestamp())},s=\xe9\xe9".encode("latin-1")
    with pytest.raises(SignatureError):
        tiktok.creatorkit_receive_webhook(_delivery(tiktok, EVENT, header), None)


@pytest.mark.parametrize("stamp", ["999999999999", "253402300800"])
def test_a_timestamp_past_any_date_is_a_signature_error(tiktok: TikTokPlatform, stamp: str) -> None:
    header = f"t={stamp},s={'0' * 64}".encode()
    with pytest.raises(SignatureError):
        tiktok.creatorkit_receive_webhook(_delivery(tiktok, EVENT, header), None)


@pytest.mark.parametrize("value", ["1700000000000000", 1e20, float("nan"), float("inf"), "99999999999999999999"])
def test_a_time_past_any_date_reads_as_none(value: object) -> None:
    assert api.instant(value) is None


def test_a_delivery_with_an_event_time_past_any_date_is_read_without_it(tiktok: TikTokPlatform) -> None:
    body = b'{"object":10,"entry":[{"campaign_id":"1","video_id":"2","event_time":1e30}]}'
    [notice] = tiktok.creatorkit_receive_webhook(_delivery(tiktok, body), None).notices
    assert notice.occurred_at is None


# -- deadlines ---------------------------------------------------------------------------------------------------


def test_a_call_whose_deadline_has_passed_spends_no_rate_budget(tiktok: TikTokPlatform) -> None:
    wall = tiktok.timing[2]
    assert wall is not None
    context = CallContext(deadline=wall() - timedelta(seconds=1))
    with pytest.raises(Transient) as caught:
        tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), context)
    assert caught.value.details.get("sent") is False
    assert all(counter.total == 0 for counter in tiktok.limiter._counters.values()), "budget spent on no call"


# -- discovery cursors -------------------------------------------------------------------------------------------


def _cursor(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "other", [ent.DiscoveryQuery(categories=("gaming",)), ent.DiscoveryQuery(keywords="mira", categories=("food",))]
)
def test_a_cursor_from_another_query_is_refused_naming_the_cursor(
    tiktok: TikTokPlatform, other: ent.DiscoveryQuery
) -> None:
    page = tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(categories=("food",)), None)
    assert page.next_cursor is not None
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_discover_creators(attrs.evolve(other, cursor=page.next_cursor), None)
    assert caught.value.field == "cursor"
    again = attrs.evolve(ent.DiscoveryQuery(categories=("food",)), cursor=page.next_cursor, limit=7)
    assert tiktok.creatorkit_discover_creators(again, None).candidates, "the same query pages on, whatever its limit"


@pytest.mark.parametrize(
    "forged",
    [
        _cursor({"p": 2, "s": 20, "l": {"1": 5}}),
        _cursor({"p": 2, "s": 20, "l": {"1": [[1]]}}),
        _cursor({"p": 2, "s": 10**6}),
        base64.urlsafe_b64encode(b"[" * 100_000).decode(),
    ],
)
def test_a_forged_cursor_is_refused_naming_the_cursor(tiktok: TikTokPlatform, forged: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(cursor=forged), None)
    assert caught.value.field == "cursor"


# -- TikTok's answers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[], "x", 5])
def test_data_that_is_not_an_object_is_a_platform_error(tiktok: TikTokPlatform, data: object) -> None:
    body = {"code": 0, "message": "OK", "request_id": "sbx-1", "data": data}
    _override(_sandbox(tiktok), "GET", "tto/tcm/creator/discover/", lambda request: httpx.Response(200, json=body))
    with pytest.raises(PlatformError):
        tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), None)


def test_a_success_without_data_is_an_empty_page(tiktok: TikTokPlatform) -> None:
    body = {"code": 0, "message": "OK", "request_id": "sbx-1"}
    _override(_sandbox(tiktok), "GET", "tto/tcm/creator/discover/", lambda request: httpx.Response(200, json=body))
    page = tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), None)
    assert page.candidates == () and page.next_cursor is None and page.total is None


# -- placing a deal once -----------------------------------------------------------------------------------------

CREATE = "POST /open_api/v1.3/tto/tcm/campaign/create/"


def _handles(platform: TikTokPlatform, count: int) -> list[str]:
    found = (a.handle for a in _sandbox(platform).population.on("tiktok") if a.post_count > 1)
    return list(itertools.islice(found, count))


def _order(handles: tuple[str, ...], key: str = "order_1", deal: str = "deal_1", **extra: Any) -> Any:
    deliverable = ent.OrderDeliverable(kind=ent.DeliverableType.SHORT_VIDEO, ad_authorization_days=30)
    return ent.PlatformOrderRequest(
        idempotency_key=key,
        deal_id=deal,
        brand_name="Sandbox Outdoor",
        description="Winter kit: one video",
        creator_handles=handles,
        deliverables=(deliverable,),
        **extra,
    )


def test_a_key_reused_for_another_deal_is_refused_not_answered_with_the_other_deals_campaign(
    tiktok: TikTokPlatform,
) -> None:
    first, second = _handles(tiktok, 2)
    tiktok.creatorkit_place_order(_order((first,)), None)
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_place_order(_order((second,), deal="deal_2", attempt=2), None)
    assert caught.value.field == "idempotency_key"


def _listing_rewritten(sandbox: TikTokSandbox, rewrite: Any) -> None:
    """The campaign list answered as the sandbox answers it, with its ``page_info`` rewritten."""
    [own] = [r for r in sandbox._routes if r.method == "GET" and r.pattern.match("/open_api/v1.3/tto/tcm/campaign/")]

    def listing(request: Any) -> Any:
        data = own.handler(request)
        data["page_info"] = rewrite(data.get("page_info") or {})
        return data

    _override(sandbox, "GET", "tto/tcm/campaign/", listing)


@pytest.mark.parametrize(
    "rewrite",
    [lambda info: {**info, "total_page": str(info["total_page"])}, lambda info: {}],
    ids=["quoted-total", "no-page-info"],
)
def test_a_retry_finds_its_campaign_on_a_later_page_however_the_paging_is_written(
    tiktok: TikTokPlatform, rewrite: Any
) -> None:
    [handle] = _handles(tiktok, 1)
    sandbox = _sandbox(tiktok)
    for number in range(25):  # more campaigns than one page holds, the wanted one last
        tiktok.creatorkit_place_order(_order((handle,), f"other_{number}"), None)
    first = tiktok.creatorkit_place_order(_order((handle,)), None)
    creates = sandbox.calls.count(CREATE)
    _listing_rewritten(sandbox, rewrite)
    again = tiktok.creatorkit_place_order(_order((handle,), attempt=2), None)
    assert sandbox.calls.count(CREATE) == creates, "a retry must not create a second campaign"
    assert [o.order_id for o in again.orders] == [o.order_id for o in first.orders]


# -- whose token -------------------------------------------------------------------------------------------------


def _grant(platform: TikTokPlatform, account_id: str, handle: str) -> CallContext:
    grant = ent.Grant(
        id="grant-1",
        platform="tiktok",
        creator_id="creator-1",
        workspace_id="ws-1",
        account_id=account_id,
        handle=handle,
        granted_at=RECEIVED_AT,
    )
    issued = _sandbox(platform).issuer.issue(f"creator:{account_id}", lifetime=2**30)
    return CallContext(grant=grant, tokens=tk.StaticToken(issued.access_token, platform="tiktok"))


def test_a_creators_grant_token_is_never_sent_on_a_brand_call(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    account = next(iter(sandbox.population.on("tiktok")))
    context = _grant(tiktok, account.account_id, account.handle)
    assert context.tokens is not None
    sent: list[str | None] = []
    [own] = [r for r in sandbox._routes if r.pattern.match("/open_api/v1.3/tto/tcm/creator/discover/")]

    def discover(request: Any) -> Any:
        sent.append(request.request.headers.get("Access-Token"))
        return own.handler(request)

    _override(sandbox, "GET", "tto/tcm/creator/discover/", discover)
    with contextlib.suppress(AuthExpired):  # refusing is right too; sending the creator's token is not
        tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), context)
    assert context.tokens.access_token() not in sent


def test_a_grant_for_another_creator_reads_no_figures_for_this_one(tiktok: TikTokPlatform) -> None:
    granted, other = itertools.islice(_sandbox(tiktok).population.on("tiktok"), 2)
    context = _grant(tiktok, granted.account_id, granted.handle)
    asked = ent.PlatformAccount(platform="tiktok", account_id=other.account_id, handle=other.handle)
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_fetch_creator_metrics(asked, context, None)
    assert caught.value.field == "grant"


# -- odd figures -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("price", ["1e30", "1E+999999"])
def test_a_price_too_large_for_any_money_is_no_price_not_a_crashed_page(tiktok: TikTokPlatform, price: str) -> None:
    creator = {"creator_id": "1", "handle_name": "a", "creator_price": price, "currency": "USD"}
    _override(_sandbox(tiktok), "GET", "tto/tcm/creator/discover/", lambda request: {"creators": [creator]})
    [candidate] = tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), None).candidates
    assert candidate.profile.rate_card is None


def test_a_created_campaign_without_its_id_is_a_platform_error(tiktok: TikTokPlatform) -> None:
    [handle] = _handles(tiktok, 1)
    _override(_sandbox(tiktok), "POST", "tto/tcm/campaign/create/", lambda request: {"handle_names": [handle]})
    with pytest.raises(PlatformError):
        tiktok.creatorkit_place_order(_order((handle,)), None)


def test_an_approved_link_without_its_video_is_read_without_it(tiktok: TikTokPlatform) -> None:
    [handle] = _handles(tiktok, 1)
    [order] = tiktok.creatorkit_place_order(_order((handle,)), None).orders
    links = {"video_infos": [{"status": "APPROVE"}], "page_info": {"total_page": 1}}
    _override(_sandbox(tiktok), "GET", "tto/tcm/campaign/link/status/", lambda request: links)
    read = tiktok.creatorkit_get_order(order.order_id, None)
    assert read.status is ent.OrderStatus.DELIVERED and read.post_ids == ()


# -- usage rights ------------------------------------------------------------------------------------------------


def test_a_code_whose_post_tiktok_does_not_name_is_not_bound_for_an_expected_post(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    account = next(a for a in sandbox.population.on("tiktok") if a.post_count > 0)
    post_id = next(sandbox.population.posts(account, limit=1)).post_id
    code = sandbox.spark_code(post_id, 30)
    [own] = [r for r in sandbox._routes if r.pattern.match("/open_api/v1.3/tt_video/info/")]

    def info(request: Any) -> Any:
        item = own.handler(request)
        item["item_info"].pop("item_id", None)
        return item

    _override(sandbox, "GET", "tt_video/info/", info)
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_authorize_usage(
            ent.UsageAuthorizationRequest(deal_id="d", authorization_code=code, post_id=post_id), None
        )
    assert caught.value.field == "authorization_code"
    assert "POST /open_api/v1.3/tt_video/authorize/" not in sandbox.calls


# -- signed but hostile bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"event":"x","create_time":1,"content":"' + b"[" * 100_000 + b'"}'],
    ids=["body", "content"],
)
def test_a_signed_body_nested_past_any_json_reader_is_a_signature_error(tiktok: TikTokPlatform, body: bytes) -> None:
    with pytest.raises(SignatureError):
        tiktok.creatorkit_receive_webhook(_delivery(tiktok, body), None)


@pytest.mark.parametrize("odd", [5, "x", [5], ["food"]])
def test_a_creator_whose_lists_hold_no_objects_is_read_without_them(tiktok: TikTokPlatform, odd: object) -> None:
    creator = {"creator_id": "1", "handle_name": "a", "content_labels": odd, "industry_labels": odd}
    creator |= {"audience_countries": odd, "audience_genders": odd, "audience_ages": odd}
    answer = {"creators": [creator], "page_info": odd}
    _override(_sandbox(tiktok), "GET", "tto/tcm/creator/discover/", lambda request: answer)
    [candidate] = tiktok.creatorkit_discover_creators(ent.DiscoveryQuery(), None).candidates
    assert candidate.audience is not None
    assert candidate.profile.tags == () and candidate.audience.breakdowns == ()
