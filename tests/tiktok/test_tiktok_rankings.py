"""TikTok One's creator ranking (``tto/tcm/rank/``) as the plugin's ``rankings``: the sandbox's ranking in
TikTok's shape, the recorded response, and arguments refused before any call."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from creatorkit_tiktok import RankedCreator, TikTokPlatform

from creatorkit import InvalidRequest, Money
from creatorkit import entities as ent
from creatorkit.testing import assert_valid_entity

from .conftest import FIXTURES
from .conftest import sandbox_of as _sandbox

RANK = "GET /open_api/v1.3/tto/tcm/rank/"


def test_a_ranking_page_is_ranked_creators_best_first(tiktok: TikTokPlatform) -> None:
    ranked = tiktok.rankings(None, page_size=5)
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5]
    scores = [r.score for r in ranked]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    for creator in ranked:
        assert isinstance(creator, RankedCreator)
        assert_valid_entity(creator.candidate)
        assert creator.ranking_type == "BRANDED_CONTENT"
        assert creator.starting_price is not None and isinstance(creator.starting_price.amount, int)
        rate, views = creator.branded_content_engagement_rate, creator.branded_content_views
        assert rate is not None and views is not None
        assert rate.denominator is ent.Denominator.VIEWS and rate.denominator_value == views.value
        assert views.window == ent.Window.days(7)
        assert creator.ranking_change and creator.updated_at is not None


def test_the_next_page_goes_on_where_the_first_stopped(tiktok: TikTokPlatform) -> None:
    first = tiktok.rankings(None, page_size=4)
    second = tiktok.rankings(None, page=2, page_size=4)
    both = tiktok.rankings(None, page_size=8)
    assert [r.rank for r in second] == [5, 6, 7, 8]
    handles = [r.candidate.profile.accounts[0].handle for r in both]
    assert [r.candidate.profile.accounts[0].handle for r in first + second] == handles


def test_the_ranking_repeats_and_each_choice_is_sent(tiktok: TikTokPlatform) -> None:
    sent: list[httpx.QueryParams] = []
    answer = _sandbox(tiktok).handle_request

    def logged(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.params)
        return answer(request)

    _sandbox(tiktok).handle_request = logged  # type: ignore[method-assign]
    weekly = tiktok.rankings(None, ranking_type="ORGANIC_CONTENT", period="MONTH", lookback="THREE", page_size=3)
    again = tiktok.rankings(None, ranking_type="ORGANIC_CONTENT", period="MONTH", lookback="THREE", page_size=3)
    assert weekly == again
    assert sent[-1]["ranking_type"] == "ORGANIC_CONTENT"
    assert sent[-1]["time_period"] == "MONTH" and sent[-1]["time_period_lookback"] == "THREE"
    assert sent[-1]["tto_tcm_account_id"] and "label_id" not in sent[-1]
    assert weekly[0].branded_content_views is not None
    assert weekly[0].branded_content_views.window == ent.Window.days(30)


def test_label_and_country_narrow_the_ranking(tiktok: TikTokPlatform) -> None:
    everyone = tiktok.rankings(None, page_size=100)
    beauty = tiktok.rankings(None, label_id=2000101, country="us", page_size=100)  # the sandbox's Beauty label
    assert beauty and len(beauty) < len(everyone)
    for creator in beauty:
        assert creator.country == "US" and creator.candidate.profile.country == "US"
        assert "beauty" in creator.candidate.profile.categories


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"ranking_type": "BRANDED"}, "ranking_type"),
        ({"period": "DAY"}, "period"),
        ({"lookback": "FOUR"}, "lookback"),
        ({"country": "USA"}, "country"),
        ({"label_id": "beauty"}, "label_id"),
        ({"page": 0}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_a_bad_argument_is_refused_before_any_call(
    tiktok: TikTokPlatform, arguments: dict[str, Any], field: str
) -> None:
    before = len(_sandbox(tiktok).calls)
    with pytest.raises(InvalidRequest) as refused:
        tiktok.rankings(None, **arguments)
    assert refused.value.field == field
    assert len(_sandbox(tiktok).calls) == before


def test_the_sandbox_refuses_what_tiktok_refuses(tiktok: TikTokPlatform) -> None:
    params = {"tto_tcm_account_id": "1", "ranking_type": "X", "time_period": "WEEK", "time_period_lookback": "ONE"}
    with tiktok._business_client(_sandbox(tiktok).brand_token) as client, pytest.raises(InvalidRequest) as refused:
        client.get("tto/tcm/rank/", params=params)
    assert refused.value.code == 40002 and "ranking_type" in str(refused.value)
    assert RANK in _sandbox(tiktok).calls


def test_the_recorded_ranking_parses(tiktok: TikTokPlatform) -> None:
    recorded = json.loads((FIXTURES / "tto_tcm_rank.json").read_text())

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=recorded)

    _sandbox(tiktok).handle_request = answer  # type: ignore[method-assign]
    first, second = tiktok.rankings(None, page_size=2)
    assert_valid_entity(first.candidate)
    assert first.candidate.profile.accounts[0].handle == "campfire.kitchen.ix"
    assert first.score == 92.4 and first.ranking_change == "UP_3" and first.country == "US"
    assert first.followers == 1093400 and first.follower_growth == 38200
    assert first.starting_price == Money(240000, "USD")
    assert first.branded_content_views is not None and first.branded_content_views.value == 3820400
    assert first.total_video_views is not None and first.total_video_views.value == 96400100
    rate = first.branded_content_engagement_rate
    assert rate is not None and rate.value == 0.0613 and rate.denominator_value == 3820400
    assert first.updated_at == datetime(2026, 11, 16, tzinfo=UTC)
    assert second.rank == 2 and second.ranking_change == "NEW"


def test_absent_rank_figures_are_none_not_zero(tiktok: TikTokPlatform) -> None:
    recorded = json.loads((FIXTURES / "tto_tcm_rank.json").read_text())
    row = recorded["data"]["creators"][0]
    for key in ("score", "branded_content_video_views", "branded_content_engagement_rate", "starting_price"):
        row.pop(key)
    row.pop("follower_growth")
    recorded["data"]["creators"] = [row]
    _sandbox(tiktok).handle_request = lambda request: httpx.Response(200, json=recorded)  # type: ignore[method-assign]
    [only] = tiktok.rankings(None)
    assert only.score is None and only.follower_growth is None and only.starting_price is None
    assert only.branded_content_views is None and only.branded_content_engagement_rate is None
