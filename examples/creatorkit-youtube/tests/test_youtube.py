"""What the YouTube example does with YouTube's own quirks: string statistics, hidden counts, 50 ids a call,
reasons inside Google's error envelope, the creator's grant for the audience."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from creatorkit_youtube import YouTubePlatform

from creatorkit import AuthExpired, NotFound, RateLimited
from creatorkit.config import Mode
from creatorkit.entities import AudienceDimension, DiscoveryQuery, PlatformAccount, PostMetricsRequest, PublishedPost
from creatorkit.testing import network_disabled


@pytest.fixture
def youtube() -> YouTubePlatform:
    return YouTubePlatform()


def _account(channel_id: str) -> PlatformAccount:
    return PlatformAccount(platform="youtube", account_id=channel_id, handle="h")


def test_the_plugin_is_at_most_300_lines() -> None:
    source = Path(__file__).resolve().parents[1] / "creatorkit_youtube" / "__init__.py"
    assert len(source.read_text(encoding="utf-8").splitlines()) <= 300


def test_hidden_subscribers_are_none_never_zero(youtube: YouTubePlatform) -> None:
    assert youtube.sandbox is not None
    hidden = next(
        a
        for a in youtube.sandbox.population.on("youtube")
        if youtube.sandbox._channel(a)["statistics"]["hiddenSubscriberCount"]
    )
    with network_disabled():
        candidate = youtube.creatorkit_lookup_creator(hidden.handle, None)
        metrics = youtube.creatorkit_fetch_creator_metrics(_account(f"UC{hidden.account_id}"), None, None)
    assert candidate.profile.accounts[0].followers is None and metrics.followers is None
    assert metrics.total_views is not None and metrics.post_count is not None


def test_an_unknown_handle_is_not_found(youtube: YouTubePlatform) -> None:
    with network_disabled(), pytest.raises(NotFound):
        youtube.creatorkit_lookup_creator("nobody-here", None)


def test_post_metrics_go_fifty_ids_a_call(youtube: YouTubePlatform) -> None:
    assert youtube.sandbox is not None
    account = next(youtube.sandbox.population.on("youtube"))
    ids = [post.post_id for post in youtube.sandbox.population.posts(account, limit=60)]
    posts = tuple(_post(post_id) for post_id in [*ids, "999"])
    with network_disabled():
        batch = youtube.creatorkit_fetch_post_metrics_batch(PostMetricsRequest(posts=posts), None)
    assert youtube.sandbox.calls.count("GET /youtube/v3/videos") == 2
    missing = batch.result_for("999")
    assert missing is not None and missing.error is not None
    hidden_likes = batch.metrics[ids[0]]  # every fifth video hides its likes
    assert hidden_likes.likes is None and hidden_likes.views is not None
    assert batch.metrics[ids[1]].likes is not None and batch.metrics[ids[1]].shares is None


def _post(post_id: str) -> PublishedPost:
    return PublishedPost(
        id=f"post_{post_id}",
        deal_id="deal_1",
        submission_id="sub_1",
        platform="youtube",
        platform_post_id=post_id,
        url=f"https://www.youtube.com/watch?v={post_id}",
        published_at=datetime(2026, 10, 1, tzinfo=UTC),
    )


def test_quota_exceeded_is_rate_limited(youtube: YouTubePlatform) -> None:
    assert youtube.sandbox is not None
    quota = {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}
    youtube.sandbox.route("GET", "/youtube/v3/search", lambda request: httpx.Response(403, json={"error": quota}))
    youtube.sandbox._routes.insert(0, youtube.sandbox._routes.pop())  # answered before the real search
    with network_disabled(), pytest.raises(RateLimited) as caught:
        youtube.creatorkit_discover_creators(DiscoveryQuery(limit=2), None)
    assert caught.value.scope == "quota_day" and caught.value.code == "quotaExceeded"


def test_search_filters_are_reported_honestly(youtube: YouTubePlatform) -> None:
    query = DiscoveryQuery(keywords="a", countries=("US",), languages=("en",), limit=2)
    with network_disabled():
        page = youtube.creatorkit_discover_creators(query, None)
    outcomes = {outcome.filter: outcome.status.value for outcome in page.filters}
    assert outcomes == {"keywords": "applied", "countries": "approximated", "languages": "approximated"}
    assert all(c.profile.country == "US" for c in page.candidates)


def test_the_audience_is_the_viewers_in_canonical_buckets(youtube: YouTubePlatform) -> None:
    with network_disabled():
        audience = youtube.creatorkit_fetch_audience(_account("UC4000000000000"), None)
    ages = audience.breakdown(AudienceDimension.AGE)
    assert ages is not None and {share.key for share in ages.shares} >= {"13-17", "65+"}


def test_live_audience_without_a_grant_says_what_is_needed() -> None:
    live = YouTubePlatform()
    live._configure({"api_key": "not-a-real-key"}, Mode.LIVE)
    with network_disabled(), pytest.raises(AuthExpired) as caught:
        live.creatorkit_fetch_audience(_account("UC1"), None)
    assert "yt-analytics.readonly" in (caught.value.action or "")
