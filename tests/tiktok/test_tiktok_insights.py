"""A TikTok One creator in the SDK's entities: figures with their windows and denominators, None where TikTok
has none, TikTok's loosely typed numbers, money in minor units, audiences in canonical buckets; and creator
metrics and audiences through the public endpoints or, with a creator's grant, the authorised ones."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from creatorkit_tiktok import TikTokPlatform, _insights
from creatorkit_tiktok._insights import Normaliser, category_map, label_categories
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorkit import AuthExpired, CallContext, Money
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.errors import PlatformPermissionDenied
from creatorkit.testing import assert_canonical_audience, assert_valid_entity, network_disabled

AS_OF = datetime(2026, 11, 18, tzinfo=UTC)
A = ent.AudienceDimension


@pytest.fixture(scope="module")
def plugin() -> Iterator[TikTokPlatform]:
    with network_disabled():
        yield TikTokPlatform()


def _normaliser() -> Normaliser:
    return Normaliser("tiktok", AS_OF)


def _creator(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"creator_id": "c-1", "handle_name": "someone", "display_name": "Some One"}
    return {**base, **fields}


def _account(plugin: TikTokPlatform, index: int = 3) -> tuple[tk.Account, ent.PlatformAccount]:
    assert plugin.sandbox is not None
    account = list(plugin.sandbox.population.on("tiktok", 0, 400))[index]
    return account, ent.PlatformAccount(platform="tiktok", account_id=account.account_id, handle=account.handle)


# -- reading TikTok's values ------------------------------------------------------------------------------------


def test_lenient_numbers_are_read_as_tiktok_sends_them() -> None:
    candidate = _normaliser().candidate(
        _creator(followers_count="48200", median_views=6120.0, engagement_rate="5.2%", likes_count="n/a")
    )
    metrics = candidate.metrics
    assert metrics is not None and metrics.followers is not None and metrics.median_views is not None
    assert metrics.followers.value == 48_200 and metrics.median_views.value == 6_120
    assert metrics.engagement_rate is not None and metrics.engagement_rate.value == pytest.approx(0.052)
    assert metrics.total_likes is None  # unreadable is missing, never 0


def test_a_figure_tiktok_does_not_give_is_none_never_zero() -> None:
    candidate = _normaliser().candidate(_creator(followers_count=1200, creator_price=0, currency="USD"))
    metrics = candidate.metrics
    assert metrics is not None
    for name in ("median_views", "engagement_rate", "average_views", "six_second_view_rate", "completion_rate"):
        assert getattr(metrics, name) is None, name
    assert metrics.reach is None and metrics.total_views is None and metrics.sponsored is None
    assert candidate.profile.rate_card is None  # a price of 0 is TikTok's "none set"
    assert candidate.audience is not None and candidate.audience.breakdowns == ()
    assert_valid_entity(candidate)


def test_figures_state_their_window_source_and_denominator() -> None:
    metrics = _normaliser().metrics(_creator(followers_count=10, median_views=5, engagement_rate=0.07), "c-1")
    assert metrics.median_views is not None and metrics.median_views.statistic is ent.Statistic.MEDIAN
    assert metrics.followers is not None and metrics.followers.window == ent.Window.lifetime()
    rate = metrics.engagement_rate
    assert rate is not None and rate.denominator is ent.Denominator.VIEWS and rate.window == ent.Window.posts(30)
    assert rate.source is ent.MetricSource.PLATFORM and rate.as_of == AS_OF


@pytest.mark.parametrize(
    ("price", "currency", "money"),
    [(850, "USD", Money(85_000, "USD")), ("19.99", "EUR", Money(1_999, "EUR")), (1500.4, "JPY", Money(1_500, "JPY"))],
)
def test_the_price_is_money_in_minor_units(price: object, currency: str, money: Money) -> None:
    card = _normaliser().candidate(_creator(creator_price=price, currency=currency)).profile.rate_card
    assert card is not None and card.tiers[0].price == money
    assert card.tiers[0].deliverable is ent.DeliverableType.SHORT_VIDEO


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1e16, max_value=1e16).map(round).map(float),  # whole numbers, as TikTok sends
        st.integers(min_value=-(10**17), max_value=10**17),
    ),
    st.sampled_from(["USD", "JPY", "KWD", "usd"]),
)
def test_a_whole_number_price_reads_as_the_decimal_reading_would(price: float, currency: str) -> None:
    # _money scales whole numbers in integers: it must agree with the decimal reading every other price takes.
    decimal = _insights._decimal_minor(price, currency.upper())
    assert _insights._money(price, currency) == (Money(decimal, currency.upper()) if decimal > 0 else None)


def test_the_price_falls_back_to_the_creator_rate() -> None:
    card = _normaliser().candidate(_creator(creator_rate={"rate": 320, "currency": "usd"})).profile.rate_card
    assert card is not None and card.tiers[0].price == Money(32_000, "USD")


def _split(dimension: A, rows: list[Any], key: str) -> list[tuple[str, float]]:
    split = _normaliser().split(dimension, rows, key)
    return [] if split is None else [(share.key, share.share) for share in split.shares]


def test_shares_read_fractions_percent_strings_and_percentages() -> None:
    assert _split(A.GENDER, [{"gender": "FEMALE", "percentage": "58%"}], "gender") == [("female", 0.58)]
    countries = [{"country": "US", "percentage": 71}, {"country": "CA", "percentage": 9}]
    assert _split(A.COUNTRY, countries, "country") == [("US", 0.71), ("CA", 0.09)]
    assert _split(A.AGE, [{"age": "18-24"}, {"age": "25-34", "percentage": 0.4}], "age") == [("25-34", 0.4)]
    assert _split(A.GENDER, [{"gender": "NONE", "percentage": 0}], "gender") == [("unknown", 0.0)]  # 0 is a share


def test_an_unreadable_or_endless_share_leaves_its_row_out() -> None:
    rows = [
        {"gender": "FEMALE", "percentage": 0.5},
        {"gender": "MALE", "percentage": "inf"},
        {"gender": "NONE", "percentage": "nan"},
        {"gender": "UNKNOWN", "percentage": -0.1},
        "not a row",
    ]
    split = _normaliser().split(A.GENDER, rows, "gender")
    assert split is not None and [(s.key, s.share) for s in split.shares] == [("female", 0.5)] and split.truncated


def test_two_labels_of_one_bucket_are_added_up_in_percentages_too() -> None:
    rows = [
        {"gender": "FEMALE", "percentage": 60},
        {"gender": "NONE", "percentage": 25},
        {"gender": "UNKNOWN", "percentage": 15},
    ]
    split = _normaliser().split(A.GENDER, rows, "gender")
    assert split is not None and dict((s.key, s.share) for s in split.shares) == {"female": 0.6, "unknown": 0.4}
    assert not split.truncated


def test_a_row_without_a_readable_share_makes_the_split_partial() -> None:
    rows = [{"gender": "FEMALE", "percentage": 0.6}, {"gender": "MALE", "percentage": 0.4}, {"gender": "NONE"}]
    genders = _normaliser().audience(_creator(audience_genders=rows), "c-1").breakdown(A.GENDER)
    assert genders is not None and genders.truncated and genders.share_of("unknown") is None


# -- audiences ----------------------------------------------------------------------------------------------


def test_audiences_are_in_canonical_buckets() -> None:
    creator = _creator(
        followers_count=1000,
        audience_countries=[{"country": "US", "percentage": 0.71}, {"country": "CA", "percentage": 0.09}],
        audience_genders=[
            {"gender": "FEMALE", "percentage": 0.58},
            {"gender": "MALE", "percentage": 0.4},
            {"gender": "NONE", "percentage": 0.02},
        ],
        audience_ages=[{"age": age, "percentage": 0.2} for age in ("18-24", "25-34", "35-44", "45-54", "55+")],
    )
    audience = _normaliser().audience(creator, "c-1")
    assert_canonical_audience(audience)
    countries = audience.breakdown(A.COUNTRY)
    assert countries is not None and countries.truncated and countries.top_n == 3
    assert countries.share_of("GB") is None  # not in TikTok's top three: unknown, not 0
    genders = audience.breakdown(A.GENDER)
    assert genders is not None and genders.share_of("unknown") == 0.02 and not genders.truncated
    ages = audience.breakdown(A.AGE)
    assert ages is not None and [share.key for share in ages.shares][-1] == "55+"
    assert ages.sample_size == 1000 and ages.kind is ent.AudienceKind.FOLLOWERS


def test_a_bucket_the_core_cannot_place_is_left_out_and_said_so() -> None:
    creator = _creator(audience_ages=[{"age": "18-24", "percentage": 0.6}, {"age": "30-40", "percentage": 0.4}])
    ages = _normaliser().audience(creator, "c-1").breakdown(A.AGE)
    assert ages is not None and [share.key for share in ages.shares] == ["18-24"] and ages.truncated


def test_rounded_shares_summing_past_one_are_scaled_back() -> None:
    creator = _creator(
        audience_genders=[{"gender": "FEMALE", "percentage": 0.6}, {"gender": "MALE", "percentage": 0.41}]
    )
    genders = _normaliser().audience(creator, "c-1").breakdown(A.GENDER)
    assert genders is not None and sum(share.share for share in genders.shares) == pytest.approx(1.0)


# -- labels -------------------------------------------------------------------------------------------------


def test_labels_map_onto_core_categories_by_name() -> None:
    assert label_categories("Sports & Outdoors") == (ent.Category.SPORTS, ent.Category.OUTDOORS)
    assert label_categories("Beauty & Personal Care") == (ent.Category.BEAUTY,)
    assert label_categories("Hiking & Camping") == (ent.Category.OUTDOORS,)
    assert label_categories("Pottery") == ()
    labels = category_map(
        "tiktok", [{"label_id": 7, "label_name": "Cooking"}, {"label_id": 8, "label_name": "Skincare"}]
    )
    assert labels.to_platform([ent.Category.FOOD, ent.Category.BEAUTY]) == ("7", "8")


def test_a_profiles_categories_are_its_labels_in_the_core_order_remembered_or_not() -> None:
    creator = _creator(
        content_labels=[{"label_id": 1, "label_name": "Travel"}, {"label_id": 2, "label_name": "Cooking"}],
        industry_labels=[{"label_id": 3, "label_name": "Sports & Outdoors"}, {"label_id": 4, "label_name": "Food"}],
    )
    normaliser = _normaliser()
    profile = normaliser.profile(creator, normaliser.account(creator))
    assert profile.categories == ("food", "outdoors", "sports", "travel")
    assert profile.tags == ("Travel", "Cooking", "Sports & Outdoors", "Food")
    names = [*_insights.LABEL_CATEGORIES, "Sports & Outdoors", "Pottery"]
    for pair in zip(names, reversed(names), strict=True):
        assert _insights._categories(pair) == _insights._categories.__wrapped__(pair)


# -- through the endpoints ----------------------------------------------------------------------------------


def test_creator_metrics_from_public_insights_and_recent_videos(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    account, platform_account = _account(plugin)
    metrics = plugin.creatorkit_fetch_creator_metrics(platform_account, None, None)
    assert_valid_entity(metrics)
    recent = list(plugin.sandbox.population.posts(account, limit=20))
    views = [post.metrics_at(plugin.sandbox.population.as_of).views for post in recent]
    assert metrics.average_views is not None and metrics.average_views.value == round(statistics.fmean(views))
    assert metrics.average_views.window == ent.Window.posts(len(recent))
    assert metrics.average_views.statistic is ent.Statistic.MEAN
    assert metrics.median_views is not None and metrics.median_views.value == account.median_views
    assert metrics.followers is not None and metrics.followers.value == account.followers
    assert metrics.six_second_view_rate is None and metrics.completion_rate is None  # only the report has them
    assert metrics.period is None  # TikTok One's insights take no period
    assert metrics.account_id == account.account_id


def test_the_audience_from_public_insights(plugin: TikTokPlatform) -> None:
    account, platform_account = _account(plugin, 5)
    audience = plugin.creatorkit_fetch_audience(platform_account, None)
    assert_canonical_audience(audience)
    ages = audience.breakdown(A.AGE)
    assert ages is not None and ages.truncated  # TikTok shows no under-18 share: the split is not the whole
    genders = audience.breakdown(A.GENDER)
    assert genders is not None and genders.share_of("female") == dict(account.audience.genders)["female"]


def _grant_context(plugin: TikTokPlatform, account: tk.Account, *, token: bool = True) -> CallContext:
    assert plugin.sandbox is not None
    grant = ent.Grant(
        id="grant-1",
        platform="tiktok",
        creator_id="creator-1",
        workspace_id="ws-1",
        account_id=account.account_id,
        handle=account.handle,
        granted_at=AS_OF,
    )
    issued = plugin.sandbox.issuer.issue(f"creator:{account.account_id}", lifetime=2**30)
    tokens = tk.StaticToken(issued.access_token, platform="tiktok") if token else None
    return CallContext(grant=grant, tokens=tokens)


def test_with_a_creators_grant_the_authorised_endpoints_are_read(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    account, platform_account = _account(plugin, 7)
    before = len(plugin.sandbox.calls)
    metrics = plugin.creatorkit_fetch_creator_metrics(platform_account, _grant_context(plugin, account), None)
    audience = plugin.creatorkit_fetch_audience(platform_account, _grant_context(plugin, account))
    calls = plugin.sandbox.calls[before:]
    assert "GET /open_api/v1.3/tto/creator/authorized/" in calls
    assert "GET /open_api/v1.3/tto/creator/authorized/video/list/" in calls
    assert not any("/tto/tcm/creator/public/" in call for call in calls)
    assert metrics.followers is not None and metrics.followers.value == account.followers
    assert metrics.average_views is not None
    assert_canonical_audience(audience)


def test_the_authorised_endpoints_refuse_the_brands_token(plugin: TikTokPlatform) -> None:
    account, platform_account = _account(plugin, 8)
    assert plugin.sandbox is not None
    before = len(plugin.sandbox.calls)
    with pytest.raises(AuthExpired):  # a grant without its token: the brand's is never sent in its place
        plugin.creatorkit_fetch_creator_metrics(platform_account, _grant_context(plugin, account, token=False), None)
    assert not any("/tto/creator/authorized/" in call for call in plugin.sandbox.calls[before:])
    brands = tk.StaticToken(plugin.sandbox.brand_token.access_token(), platform="tiktok")
    context = attrs.evolve(_grant_context(plugin, account), tokens=brands)
    with pytest.raises(PlatformPermissionDenied):  # and TikTok refuses it there
        plugin.creatorkit_fetch_creator_metrics(platform_account, context, None)


def test_the_sandboxs_quoted_numbers_come_through(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    quoted = next(
        account
        for account in plugin.sandbox.population.on("tiktok")
        if int(account.person_id.rsplit("-", 1)[1]) % 7 == 3  # the sandbox quotes these creators' numbers
    )
    candidate = plugin.creatorkit_lookup_creator(quoted.handle, None)
    assert candidate.metrics is not None and candidate.metrics.followers is not None
    assert candidate.metrics.followers.value == quoted.followers
    assert candidate.metrics.engagement_rate is not None
    assert candidate.metrics.engagement_rate.value == pytest.approx(quoted.engagement_rate, abs=1e-5)
