"""The Display API under a creator's grant: their profile and counts, their videos by page and by id, as
normalised values and entities whose missing figures are None; its errors typed, its tokens refreshed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok import _api as api
from creatorkit_tiktok import _display as display
from creatorkit_tiktok.sandbox import TikTokSandbox
from creatorkit_tiktok.sandbox._oauth import grant_token

from creatorkit import AuthExpired, CallContext, InvalidRequest
from creatorkit import toolkit as tk
from creatorkit.entities import Grant, MetricSource, WindowUnit
from creatorkit.errors import PlatformPermissionDenied, RateLimited, Transient
from creatorkit.testing import assert_valid_entity, network_disabled

FIXTURES = Path(display.__file__).parent / "fixtures"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def plugin() -> Iterator[TikTokPlatform]:
    with network_disabled():
        yield TikTokPlatform()


def _sandbox(plugin: TikTokPlatform) -> TikTokSandbox:
    assert plugin.sandbox is not None
    return plugin.sandbox


def _creator(plugin: TikTokPlatform) -> tk.Account:
    return next(_sandbox(plugin).population.on("tiktok"))


def _tokens(plugin: TikTokPlatform, scopes: tuple[str, ...] | None = None) -> tk.StaticToken:
    issued = grant_token(_sandbox(plugin), _creator(plugin).account_id, *(() if scopes is None else (scopes,)))
    return tk.StaticToken(issued.access_token, platform="tiktok")


def _grant_context(tokens: tk.TokenSource, scopes: tuple[str, ...] = ()) -> CallContext:
    grant = Grant(
        id="grant_1",
        platform="tiktok",
        creator_id="creator_1",
        workspace_id="brand_1",
        account_id="sbx-open",
        scopes=scopes,
        granted_at=NOW,
    )
    return CallContext(grant=grant, tokens=tokens)


# -- user info ----------------------------------------------------------------------------------------------------


def test_user_info_is_the_creators_profile_and_counts(plugin: TikTokPlatform) -> None:
    creator = _creator(plugin)
    user = display.user_info(plugin, _tokens(plugin))
    assert user.open_id == f"sbx-open-{creator.account_id}" and user.username == creator.handle
    assert user.followers == creator.followers and user.following == creator.following
    assert user.videos == creator.post_count and user.likes is not None and user.likes > 0
    metrics = display.creator_metrics(plugin, user)
    assert_valid_entity(metrics)
    assert metrics.followers is not None and metrics.followers.value == creator.followers
    assert metrics.followers.source is MetricSource.PLATFORM and metrics.followers.window.unit is WindowUnit.LIFETIME
    assert metrics.post_count is not None and metrics.total_likes is not None
    assert metrics.engagement_rate is None and metrics.average_views is None, "user info has no such figures"


def test_user_info_asks_only_for_the_fields_the_grant_allows(plugin: TikTokPlatform) -> None:
    scopes = ("user.info.basic", "user.info.profile")
    tokens = _tokens(plugin, scopes)
    user = display.user_info(plugin, tokens, context=_grant_context(tokens, scopes))
    assert user.username == _creator(plugin).handle
    assert user.followers is None and user.videos is None, "without user.info.stats the counts are unknown"
    metrics = display.creator_metrics(plugin, user)
    assert metrics.followers is None and metrics.post_count is None, "unknown is None, never 0"


def test_asking_for_a_field_outside_the_grant_is_refused_as_tiktok_does(plugin: TikTokPlatform) -> None:
    tokens = _tokens(plugin, ("user.info.basic",))
    with pytest.raises(PlatformPermissionDenied) as refused:
        display.user_info(plugin, tokens, scopes=("user.info.basic", "user.info.stats"))
    assert refused.value.code == "scope_permission_missed" and refused.value.request_id


def test_the_recorded_user_info_reads_as_tiktok_wrote_it() -> None:
    recorded = json.loads((FIXTURES / "display_v2_user_info.json").read_text())
    user = display.read_user(api.DISPLAY.data_of(recorded)["user"])
    assert user.username == "summit.sam.demo" and user.followers == 127_950 and user.likes == 2_033_100
    assert user.is_verified is False and user.videos == 198
    assert display.read_user({"open_id": "x"}).followers is None


# -- videos -------------------------------------------------------------------------------------------------------


def test_the_video_list_pages_to_the_end_newest_first_without_repeats(plugin: TikTokPlatform) -> None:
    creator, tokens = _creator(plugin), _tokens(plugin)
    newest = list(_sandbox(plugin).population.posts(creator, limit=45))
    seen = list(display.video_pages(plugin, tokens, most=45))
    assert [video.id for video in seen] == [post.post_id for post in newest]
    created = [video.created_at for video in seen]
    assert None not in created and created == sorted(created, reverse=True)  # type: ignore[type-var]
    first = display.videos(plugin, tokens, max_count=20)
    assert len(first.videos) == 20 and first.next_cursor is not None
    second = display.videos(plugin, tokens, cursor=first.next_cursor, max_count=20)
    assert {v.id for v in first.videos}.isdisjoint({v.id for v in second.videos})


def test_a_page_holds_at_most_twenty(plugin: TikTokPlatform) -> None:
    with pytest.raises(InvalidRequest) as refused:
        display.videos(plugin, _tokens(plugin), max_count=21)
    assert refused.value.field == "max_count"


def test_the_last_page_says_there_is_no_next(plugin: TikTokPlatform) -> None:
    creator, tokens = _creator(plugin), _tokens(plugin)
    posts = list(_sandbox(plugin).population.posts(creator))
    cursor = int(posts[-3].published_at.timestamp() * 1000)  # two videos are older than this one
    last = display.videos(plugin, tokens, cursor=cursor, max_count=20)
    assert [video.id for video in last.videos] == [post.post_id for post in posts[-2:]]
    assert last.next_cursor is None


def test_a_video_query_answers_the_creators_own_videos_twenty_ids_a_call(plugin: TikTokPlatform) -> None:
    sandbox, creator = _sandbox(plugin), _creator(plugin)
    mine = [post.post_id for post in sandbox.population.posts(creator, limit=25)]
    someone_else = next(sandbox.population.on("tiktok", start=1))
    theirs = next(sandbox.population.posts(someone_else)).post_id
    before = len(sandbox.calls)
    found = display.query_videos(plugin, _tokens(plugin), [*mine, theirs, "7000000000000000000"])
    assert sorted(found) == sorted(mine), "another creator's video and an unknown id are left out"
    assert sum("/v2/video/query/" in call for call in sandbox.calls[before:]) == 2, "27 ids: two calls of ≤ 20"


def test_a_videos_metrics_are_what_tiktok_reported_and_none_where_it_did_not(plugin: TikTokPlatform) -> None:
    sandbox, creator = _sandbox(plugin), _creator(plugin)
    post = next(sandbox.population.posts(creator))
    video = display.query_videos(plugin, _tokens(plugin), [post.post_id])[post.post_id]
    metrics = display.post_metrics(plugin, video, account_id=creator.account_id)
    assert_valid_entity(metrics)
    figures = post.metrics_at(sandbox.population.as_of)
    assert metrics.views is not None and metrics.views.value == figures.views
    assert metrics.likes is not None and metrics.likes.value == figures.likes
    assert metrics.shares is not None and metrics.shares.value == figures.shares
    assert metrics.saves is None and metrics.reach is None, "the Display API reports no saves or reach"
    bare = display.post_metrics(plugin, display.read_video({"id": post.post_id, "view_count": 12}))
    assert bare.views is not None and bare.views.value == 12
    assert bare.likes is None and bare.comments is None and bare.shares is None


def test_the_recorded_video_list_reads_as_tiktok_wrote_it() -> None:
    recorded = json.loads((FIXTURES / "display_v2_video_list.json").read_text())
    (video,) = (display.read_video(raw) for raw in api.DISPLAY.data_of(recorded)["videos"])
    assert video.id == "7440123987654321098" and video.views == 40_120 and video.comments == 88
    assert video.created_at == datetime.fromtimestamp(1762938900, UTC)


def test_videos_need_the_video_list_scope(plugin: TikTokPlatform) -> None:
    with pytest.raises(PlatformPermissionDenied) as refused:
        display.videos(plugin, _tokens(plugin, ("user.info.basic",)))
    assert refused.value.code == "scope_not_authorized"


# -- the grant's token, errors and budgets ----------------------------------------------------------------------


def test_the_display_api_takes_only_a_creators_grant(plugin: TikTokPlatform) -> None:
    brand = CallContext(tokens=_sandbox(plugin).brand_token)
    with pytest.raises(AuthExpired) as refused:
        display.grant_tokens(plugin, brand)
    assert refused.value.action is not None and "grant" in refused.value.action
    tokens = _tokens(plugin)
    assert display.grant_tokens(plugin, _grant_context(tokens)) is tokens


def test_an_expired_grant_token_is_refreshed_once_and_a_revoked_one_is_refused(plugin: TikTokPlatform) -> None:
    sandbox, creator = _sandbox(plugin), _creator(plugin)
    first = grant_token(sandbox, creator.account_id)
    second = grant_token(sandbox, creator.account_id)
    tokens = tk.RefreshingToken(first.access_token, renew=lambda: second.access_token)
    sandbox.fail(tk.Fault.EXPIRED_TOKEN, times=1, path="/v2/")
    assert display.user_info(plugin, tokens).open_id
    assert tokens.refreshes == 1
    sandbox.issuer.revoke(second.access_token)
    with pytest.raises(AuthExpired):
        display.user_info(plugin, tokens)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [(tk.Fault.SERVER_ERROR, Transient), (tk.Fault.TIMEOUT, Transient), (tk.Fault.THROTTLED, RateLimited)],
)
def test_display_faults_are_typed_errors(plugin: TikTokPlatform, fault: tk.Fault, expected: type[Exception]) -> None:
    sandbox = _sandbox(plugin)
    tokens = _tokens(plugin)
    sandbox.fail(fault, times=50, path="/v2/")
    before = sandbox.stats["requests"]
    with pytest.raises(expected) as caught:
        display.user_info(plugin, tokens)
    assert sandbox.stats["requests"] - before > 1, "a temporary failure is retried first"
    if isinstance(caught.value, RateLimited):
        assert caught.value.wait is not None and caught.value.wait > 0


def test_each_endpoint_has_its_own_display_budget(plugin: TikTokPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    limiter, named = plugin.display_limiter, []
    acquire = limiter.acquire

    def counting(keys: dict[str, str], **options: object) -> object:
        named.append(keys.get("endpoint"))
        return acquire(keys, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(limiter, "acquire", counting)
    tokens = _tokens(plugin)
    display.user_info(plugin, tokens)
    display.videos(plugin, tokens, max_count=1)
    display.query_videos(plugin, tokens, [next(_sandbox(plugin).population.posts(_creator(plugin))).post_id])
    assert named == ["user_info", "video_list", "video_query"]
    assert {budget.key for budget in limiter.budgets} == {("endpoint",)}
