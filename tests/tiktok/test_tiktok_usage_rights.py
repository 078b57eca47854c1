"""Spark Ads usage rights: a creator's code bound to the brand's ad account, read back, unbound; a code bound twice
is one right, one whose days ran out is expired, and TikTok's refusals are typed."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok._usage import NOT_BOUND
from creatorkit_tiktok.sandbox import SANDBOX_ADVERTISER, _spark

from creatorkit import CallContext, InvalidRequest, NotFound
from creatorkit import entities as ent
from creatorkit.errors import PlatformPermissionDenied
from creatorkit.testing import assert_valid_entity

from .conftest import FIXTURES
from .conftest import sandbox_of as _sandbox

AUTHORIZE, UNBIND = "POST /open_api/v1.3/tt_video/authorize/", "POST /open_api/v1.3/tt_video/unbind/"


def _post_id(platform: TikTokPlatform) -> str:
    population = _sandbox(platform).population
    account = next(itertools.islice((a for a in population.on("tiktok") if a.post_count > 0), 1))
    return next(population.posts(account, limit=1)).post_id


def _request(code: str, **extra: Any) -> ent.UsageAuthorizationRequest:
    return ent.UsageAuthorizationRequest(deal_id="deal_1", authorization_code=code, **extra)


def test_a_right_is_bound_read_back_revoked_and_read_back_revoked(tiktok: TikTokPlatform) -> None:
    post_id = _post_id(tiktok)
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(post_id, 30)
    right = tiktok.creatorkit_authorize_usage(_request(code, post_id=post_id, allowed_days=30), None)
    assert_valid_entity(right)
    assert (right.status, right.raw_status, right.platform_ref, right.post_id) == (
        ent.UsageRightStatus.ACTIVE,
        "AUTHORIZED",
        code,
        post_id,
    )
    assert right.ad_account_id == SANDBOX_ADVERTISER and SANDBOX_ADVERTISER in sandbox.spark_codes[code]["bound"]
    assert right.starts_at == datetime(2026, 11, 1, tzinfo=UTC) and right.ends_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert tiktok.creatorkit_get_usage_right(code, None) == right
    revoked = tiktok.creatorkit_revoke_usage_right(code, None)
    assert (revoked.status, revoked.raw_status) == (ent.UsageRightStatus.REVOKED, NOT_BOUND)
    assert not sandbox.spark_codes[code]["bound"] and sandbox.calls.count(UNBIND) == 1
    again = tiktok.creatorkit_get_usage_right(code, None)
    assert again.status is ent.UsageRightStatus.REVOKED
    assert tiktok.creatorkit_revoke_usage_right(code, None).status is ent.UsageRightStatus.REVOKED
    assert sandbox.calls.count(UNBIND) == 1, "revoking a revoked right answers it as it stands"


def test_binding_a_bound_code_answers_the_right_that_exists(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 60)
    first = tiktok.creatorkit_authorize_usage(_request(code), None)
    again = tiktok.creatorkit_authorize_usage(_request(code), None)
    assert again == first and sandbox.calls.count(AUTHORIZE) == 2
    assert sandbox.stats["served"] > 0 and sandbox.spark_codes[code]["bound"] == {SANDBOX_ADVERTISER}


def test_a_right_whose_days_ran_out_is_expired_and_stays_so_when_revoked(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 7)
    tiktok.creatorkit_authorize_usage(_request(code), None)
    _spark.expire(sandbox, code)
    ended = tiktok.creatorkit_get_usage_right(code, None)
    # TikTok still says AUTHORIZED in the sandbox: the end date is what tells it ended.
    assert (ended.status, ended.raw_status) == (ent.UsageRightStatus.EXPIRED, "AUTHORIZED")
    assert ended.ends_at is not None and ended.ends_at < ended.checked_at
    assert tiktok.creatorkit_revoke_usage_right(code, None).status is ent.UsageRightStatus.EXPIRED
    assert UNBIND not in sandbox.calls


def test_a_code_already_ended_is_refused(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 30, started_days_ago=45)
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_authorize_usage(_request(code), None)
    assert caught.value.code == 40002 and not sandbox.spark_codes[code]["bound"]


def test_a_code_tiktok_does_not_know_is_not_found_and_a_malformed_one_invalid(tiktok: TikTokPlatform) -> None:
    for call in (
        lambda: tiktok.creatorkit_authorize_usage(_request("#NoSuchCode=="), None),
        lambda: tiktok.creatorkit_get_usage_right("#NoSuchCode==", None),
        lambda: tiktok.creatorkit_revoke_usage_right("#NoSuchCode==", None),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(InvalidRequest) as caught:
        tiktok.creatorkit_authorize_usage(_request("not-a-code"), None)
    assert caught.value.code == 40002


def test_a_code_for_another_post_is_refused_before_it_is_bound(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 30)
    with pytest.raises(InvalidRequest, match="not 1000000000099000000"):
        tiktok.creatorkit_authorize_usage(_request(code, post_id="1000000000099000000"), None)
    assert AUTHORIZE not in sandbox.calls


def test_the_connections_ad_account_is_the_one_bound_to(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 30)
    connection = ent.Connection(
        id="conn_1",
        platform="tiktok",
        workspace_id="ws_1",
        account_id="7100000000000000099",  # an ad account the brand's token does not reach
        connected_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    context = CallContext(plugin="tiktok", connection=connection, tokens=sandbox.brand_token)
    with pytest.raises(PlatformPermissionDenied):
        tiktok.creatorkit_authorize_usage(_request(code), context)


def test_the_capability_is_declared(tiktok: TikTokPlatform) -> None:
    assert ent.Capability.USAGE_RIGHTS in tiktok.creatorkit_plugin_metadata().capabilities


# -- TikTok's recorded answers ---------------------------------------------------------------------------------


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["data"]


def test_tiktoks_recorded_spark_ads_answers_are_read(tiktok: TikTokPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    gets = {"tt_video/info/": _fixture("tt_video_info"), "tt_video/list/": _fixture("tt_video_list")}
    posts = {"tt_video/authorize/": _fixture("tt_video_authorize"), "tt_video/unbind/": _fixture("tt_video_unbind")}
    sent: list[str] = []

    def post(path: str, body: Any, context: Any, **options: Any) -> Any:
        sent.append(path)
        return posts[path]

    monkeypatch.setattr(tiktok, "_get", lambda path, context, **params: gets[path])
    monkeypatch.setattr(tiktok, "_post", post)
    monkeypatch.setattr(tiktok, "_now", lambda: datetime(2026, 11, 20, tzinfo=UTC))
    code = "#AbCdEfGh1234IjKlMnOp5678QrStUvWx=="
    right = tiktok.creatorkit_authorize_usage(_request(code, post_id="7438291046573829104"), None)
    assert (right.status, right.raw_status, right.post_id) == (
        ent.UsageRightStatus.ACTIVE,
        "AUTHORIZED",
        "7438291046573829104",
    )
    assert right.starts_at == datetime(2026, 11, 12, tzinfo=UTC) and right.ends_at == datetime(2026, 12, 12, tzinfo=UTC)
    assert tiktok.creatorkit_get_usage_right(code, None) == right
    assert tiktok.creatorkit_revoke_usage_right(code, None).status is ent.UsageRightStatus.REVOKED
    assert sent == ["tt_video/authorize/", "tt_video/unbind/"]
    # The recorded list's second post (a carousel, 365 days) is bound too; once its end passes it is expired.
    monkeypatch.setattr(tiktok, "_now", lambda: datetime(2027, 11, 1, tzinfo=UTC))
    other = tiktok.creatorkit_get_usage_right("#ZyXwVuTs9876RqPoNmLk5432JiHgFeDc==", None)
    assert other.status is ent.UsageRightStatus.EXPIRED


def test_the_sandbox_answers_in_the_recorded_shapes(tiktok: TikTokPlatform) -> None:
    sandbox = _sandbox(tiktok)
    code = sandbox.spark_code(_post_id(tiktok), 30)
    tiktok.creatorkit_authorize_usage(_request(code), None)
    info = tiktok._get("tt_video/info/", None, advertiser_id=SANDBOX_ADVERTISER, auth_code=code)
    listed = tiktok._get("tt_video/list/", None, advertiser_id=SANDBOX_ADVERTISER)
    recorded, recorded_list = _fixture("tt_video_info"), _fixture("tt_video_list")
    assert set(info) == set(recorded) and set(info["auth_info"]) == set(recorded["auth_info"])
    assert set(info["item_info"]) <= set(recorded["item_info"])
    assert set(listed) == set(recorded_list) and listed["list"][0]["item_info"]["auth_code"] == code
