"""The recorded responses of the marketplace's endpoints parse into valid entities, and the sandbox answers in
exactly their shapes (no key the recorded answer does not have)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok._insights import Normaliser, category_map
from creatorkit_tiktok._reports import report_metrics, video_metrics

from creatorkit import entities as ent
from creatorkit.testing import assert_canonical_audience, assert_valid_entity, network_disabled

from .conftest import FIXTURES

AS_OF = datetime(2026, 11, 18, tzinfo=UTC)
CREATOR_FIXTURES = ("tto_tcm_creator_public", "tto_creator_authorized")
VIDEO_LIST_FIXTURES = ("tto_tcm_creator_public_video_list", "tto_creator_authorized_video_list")


def _data(name: str) -> Any:
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert body["code"] == 0
    return body["data"]


def _post(video_id: str) -> ent.PublishedPost:
    return ent.PublishedPost(
        id=f"post-{video_id}",
        deal_id="deal-1",
        submission_id="submission-1",
        platform="tiktok",
        platform_post_id=video_id,
        url=f"https://www.tiktok.com/video/{video_id}",
        published_at=datetime(2026, 11, 10, tzinfo=UTC),
        platform_order_id=f"7442100000000000101:{video_id}",
    )


@pytest.fixture(scope="module")
def plugin() -> Iterator[TikTokPlatform]:
    with network_disabled():
        yield TikTokPlatform()


@pytest.mark.parametrize("name", ["tto_tcm_creator_discover", "tto_tcm_rank"])
def test_each_listed_creator_is_a_valid_candidate(name: str) -> None:
    creators = _data(name)["creators"]
    for creator in creators:
        candidate = Normaliser("tiktok", AS_OF).candidate(creator)
        assert_valid_entity(candidate)
        assert candidate.audience is not None
        assert_canonical_audience(candidate.audience)
        assert candidate.profile.rate_card is not None and candidate.profile.rate_card.tiers[0].price.currency == "USD"


@pytest.mark.parametrize("name", CREATOR_FIXTURES)
def test_one_creator_is_a_valid_candidate_with_its_figures(name: str) -> None:
    creator = _data(name)
    candidate = Normaliser("tiktok", AS_OF).candidate(creator)
    assert_valid_entity(candidate)
    metrics = candidate.metrics
    assert metrics is not None and metrics.followers is not None
    assert metrics.followers.value == creator["followers_count"]
    assert metrics.engagement_rate is not None and metrics.engagement_rate.value == creator["engagement_rate"]
    assert candidate.profile.rate_card is not None
    assert candidate.profile.rate_card.tiers[0].price.amount == creator["creator_price"] * 100
    assert candidate.profile.categories  # its labels name core categories
    assert candidate.audience is not None
    countries = candidate.audience.breakdown(ent.AudienceDimension.COUNTRY)
    assert countries is not None and countries.truncated and countries.top_n == 3


@pytest.mark.parametrize("name", VIDEO_LIST_FIXTURES)
def test_each_listed_video_is_valid_post_metrics(name: str) -> None:
    for video in _data(name)["posts"]:
        metrics = video_metrics(Normaliser("tiktok", AS_OF), video, _post(video["video_id"]))
        assert_valid_entity(metrics)
        assert metrics.views is not None and metrics.views.value == video["video_views"]
        assert metrics.saves is not None and metrics.saves.value == video["favorites"]


@pytest.mark.parametrize("name", VIDEO_LIST_FIXTURES)
def test_a_creator_with_its_videos_is_valid_metrics(name: str) -> None:
    videos = _data(name)["posts"]
    metrics = Normaliser("tiktok", AS_OF).metrics(_data("tto_creator_authorized"), "c-1", videos)
    assert_valid_entity(metrics)
    assert metrics.average_views is not None and metrics.average_views.window == ent.Window.posts(len(videos))
    assert metrics.sponsored is not None  # the fixtures mark a video COLLABORATED


def test_each_report_video_is_valid_post_metrics() -> None:
    data = _data("tto_tcm_report")
    period = ent.Period(start=datetime(2026, 11, 10, tzinfo=UTC), end=datetime(2026, 11, 13, tzinfo=UTC))
    for video in data["videos"]:
        metrics = report_metrics(Normaliser("tiktok", AS_OF), video, _post(video["video_id"]), period)
        assert_valid_entity(metrics)
        assert metrics.engagement_rate is not None and metrics.engagement_rate.denominator_value == video["video_views"]
        assert metrics.completion_rate is not None and metrics.completion_rate.value == video["video_completion_rate"]
        assert metrics.six_second_view_rate is not None
        assert metrics.six_second_view_rate.value == video["six_seconds_views"]
        assert metrics.extensions["tiktok.two_second_view_rate"] == video["two_seconds_views"]
        assert metrics.paid is not None and metrics.paid.views is not None
        assert metrics.paid.views.value == video["video_views_paid"]
        assert [day.views for day in metrics.daily] == [day["views"] for day in video.get("daily_stats", ())]


def test_the_labels_map_onto_core_categories() -> None:
    labels = category_map("tiktok", _data("tto_tcm_category_label")["content_labels"])
    assert labels.to_platform([ent.Category.FOOD]) == ("2000023",)
    assert labels.to_platform([ent.Category.OUTDOORS]) == ("2000011",)
    assert labels.unmapped([ent.Category.GAMING]) == (ent.Category.GAMING,)


# -- the sandbox answers in the recorded shapes -----------------------------------------------------------------


def _extra_keys(answer: Any, recorded: Any, where: str = "data") -> list[str]:
    """The keys of ``answer`` that ``recorded`` has not, at every depth (list items against the recorded ones)."""
    if isinstance(answer, Mapping) and isinstance(recorded, Mapping):
        extra = [f"{where}.{key}" for key in answer if key not in recorded]
        for key in answer:
            if key in recorded:
                extra += _extra_keys(answer[key], recorded[key], f"{where}.{key}")
        return extra
    if isinstance(answer, list) and isinstance(recorded, list) and recorded:
        merged: dict[str, Any] = {}
        for item in recorded:
            if isinstance(item, Mapping):
                merged.update(item)
        sample = merged or recorded[0]
        return [key for item in answer for key in _extra_keys(item, sample, f"{where}[]")]
    return []


def _sandbox_answers(plugin: TikTokPlatform) -> dict[str, Any]:
    assert plugin.sandbox is not None
    population = plugin.sandbox.population
    account = next(a for a in population.on("tiktok") if a.post_count >= 5)
    posts = list(population.posts(account, limit=4))
    plugin.sandbox.__dict__.setdefault("campaigns", {})["shapes"] = {
        "campaign_id": "shapes",
        "handle_names": [account.handle],
        "video_ids": [post.post_id for post in posts],
    }
    brand: dict[str, Any] = {"tto_tcm_account_id": "7300000000000000001"}
    get = plugin._get
    return {
        "tto_tcm_category_label": get("tto/tcm/category/label/", None, **brand, label_type="SEARCH"),
        "tto_tcm_creator_discover": get("tto/tcm/creator/discover/", None, **brand, page_size=5),
        "tto_tcm_creator_public": get("tto/tcm/creator/public/", None, **brand, handle_name=account.handle),
        "tto_tcm_creator_status_get": get(
            "tto/tcm/creator/status/get/", None, **brand, handle_names=[account.handle, "nobody_here_zz"]
        ),
        "tto_tcm_creator_public_video_list": get(
            "tto/tcm/creator/public/video/list/", None, **brand, handle_name=account.handle, limit=3
        ),
        "tto_tcm_report": get(
            "tto/tcm/report/", None, **brand, campaign_id="shapes", start_date="2026-10-01", end_date="2026-10-31"
        ),
    }


def test_the_sandbox_answers_in_the_recorded_shapes(plugin: TikTokPlatform) -> None:
    for name, answer in _sandbox_answers(plugin).items():
        recorded = _data(name)
        assert set(answer) == set(recorded), name
        assert not _extra_keys(answer, recorded), (name, _extra_keys(answer, recorded))
