"""Discovery v2: the filters, the filter report, the core's honest post-filtering, and cursors bound to their query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import creatorkit_echo
from creatorkit import InvalidRequest, Money, PluginHost, ValidationError, discover, hookimpl
from creatorkit.converter import structure, unstructure
from creatorkit.discovery import CategoryMap, check_locally
from creatorkit.entities import (
    DISCOVERY_FILTERS,
    AudienceBreakdown,
    AudienceDimension,
    AudienceFilter,
    AudienceProfile,
    AudienceShare,
    Capability,
    Category,
    Count,
    CountRange,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    DeliverableType,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    DiscoverySort,
    FilterOutcome,
    FilterStatus,
    MetricSource,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
    PriceRange,
    PriceTier,
    Rate,
    RateCard,
    RateRange,
    SortField,
    Window,
)
from creatorkit.entities._common import FieldValueError
from creatorkit.host._stage_rules import CURSOR_PREFIX, query_digest

NOW = datetime(2026, 11, 1, tzinfo=UTC)


# -- the query -----------------------------------------------------------------------------------------------


class TestQuery:
    def test_categories_are_the_core_vocabulary(self) -> None:
        query = DiscoveryQuery(categories=("beauty", Category.FOOD))
        assert query.categories == (Category.BEAUTY, Category.FOOD)
        with pytest.raises(FieldValueError, match="'cooking' is not a core category") as caught:
            DiscoveryQuery(categories=("cooking",))
        assert caught.value.field == "categories"
        with pytest.raises(ValidationError) as raised:
            structure({"categories": ["cooking"]}, DiscoveryQuery)
        assert raised.value.paths == ["categories[0]"]

    def test_a_range_has_a_bound_and_is_in_order(self) -> None:
        with pytest.raises(FieldValueError, match="needs a min, a max or both"):
            CountRange()
        with pytest.raises(FieldValueError, match="below min") as caught:
            CountRange(min=10, max=5)
        assert caught.value.field == "max"
        assert CountRange(min=5, max=5).holds(5)
        with pytest.raises(FieldValueError, match="in EUR, min in USD"):
            PriceRange(min=Money(100, "USD"), max=Money(200, "EUR"))
        with pytest.raises(FieldValueError, match="below min"):
            RateRange(min=0.2, max=0.1, denominator=Denominator.VIEWS)

    def test_an_engagement_range_needs_its_denominator(self) -> None:
        with pytest.raises(ValidationError) as raised:
            structure({"engagement_rate": {"min": 0.03}}, DiscoveryQuery)
        assert raised.value.paths == ["engagement_rate.denominator"]
        with pytest.raises(FieldValueError, match="rate over followers") as caught:
            DiscoveryQuery(follower_growth=RateRange(min=0.01, denominator=Denominator.VIEWS))
        assert caught.value.field == "follower_growth"

    def test_audience_filters_are_canonical_and_one_per_dimension(self) -> None:
        female = AudienceFilter(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.4)
        young = AudienceFilter(dimension=AudienceDimension.AGE, keys=("18-24", "35+"), min_share=0.3)
        assert DiscoveryQuery(audience=(female, young)).filters_set() == ("audience.age", "audience.gender")
        with pytest.raises(FieldValueError, match="written 'female'"):
            AudienceFilter(dimension=AudienceDimension.GENDER, keys=("F",), min_share=0.4)
        with pytest.raises(FieldValueError, match="does not start at a canonical boundary"):
            AudienceFilter(dimension=AudienceDimension.AGE, keys=("30-40",), min_share=0.3)
        with pytest.raises(FieldValueError, match="one audience filter per dimension"):
            DiscoveryQuery(audience=(female, attrs.evolve(female, min_share=0.5)))

    def test_filters_set_follow_the_vocabulary_order(self) -> None:
        query = DiscoveryQuery(
            sort=DiscoverySort(field=SortField.FOLLOWERS),
            keywords="cake",
            followers=CountRange(min=1),
            audience=(AudienceFilter(dimension=AudienceDimension.COUNTRY, keys=("US",), min_share=0.2),),
        )
        assert query.filters_set() == ("keywords", "followers", "audience.country", "sort")
        assert DiscoveryQuery(limit=3, cursor="x").filters_set() == ()
        assert set(query.filters_set()) <= set(DISCOVERY_FILTERS)

    def test_the_report_names_every_filter_set_and_only_those(self) -> None:
        query = DiscoveryQuery(keywords="cake", followers=CountRange(min=1), median_views=CountRange(min=1))
        report = query.report(
            applied=["keywords", "followers", "price"],  # price: supported, but this query does not set it
            approximated={"median_views": "median views as average views"},
        )
        assert report == (
            FilterOutcome(filter="keywords", status=FilterStatus.APPLIED),
            FilterOutcome(filter="followers", status=FilterStatus.APPLIED),
            FilterOutcome(
                filter="median_views", status=FilterStatus.APPROXIMATED, note="median views as average views"
            ),
        )
        ignored = DiscoveryQuery(languages=("en",)).report(otherwise="no language filter here")
        assert ignored == (
            FilterOutcome(filter="languages", status=FilterStatus.IGNORED, note="no language filter here"),
        )
        with pytest.raises(ValueError, match="not discovery filters: \\['folowers'\\]"):
            query.report(applied=["folowers"])

    def test_a_filter_not_applied_says_how_or_why(self) -> None:
        with pytest.raises(FieldValueError, match="an ignored filter says how or why"):
            FilterOutcome(filter="price", status=FilterStatus.IGNORED)
        with pytest.raises(FieldValueError, match="reports a filter twice"):
            DiscoveryPage(platform="echo", filters=(FilterOutcome(filter="price", status=FilterStatus.APPLIED),) * 2)
        with pytest.raises(FieldValueError, match="'prize' is not a discovery filter"):
            DiscoveryPage(platform="echo", filters=(FilterOutcome(filter="prize", status=FilterStatus.APPLIED),))


# -- categories ----------------------------------------------------------------------------------------------

INSTAGRAM_LIKE = CategoryMap(
    platform="instagram",
    labels={"beauty": ("BEAUTY_AND_FASHION",), "fashion": ("BEAUTY_AND_FASHION",), "food": ("FOOD", "DRINKS")},
)


class TestCategoryMap:
    def test_both_ways(self) -> None:
        asked = (Category.FOOD, Category.BEAUTY, Category.GAMING)
        assert INSTAGRAM_LIKE.to_platform(asked) == ("FOOD", "DRINKS", "BEAUTY_AND_FASHION")
        assert INSTAGRAM_LIKE.unmapped(asked) == (Category.GAMING,)
        assert INSTAGRAM_LIKE.from_platform(["BEAUTY_AND_FASHION"]) == (Category.BEAUTY, Category.FASHION)

    def test_the_report_line(self) -> None:
        assert INSTAGRAM_LIKE.outcome([Category.FOOD]).status is FilterStatus.APPLIED
        assert INSTAGRAM_LIKE.outcome([Category.BEAUTY, Category.FASHION]).status is FilterStatus.APPLIED
        shared = INSTAGRAM_LIKE.outcome([Category.BEAUTY])
        assert shared.status is FilterStatus.APPROXIMATED
        assert shared.note == "searched beauty as 'BEAUTY_AND_FASHION', which also holds fashion"
        partly = INSTAGRAM_LIKE.outcome([Category.FOOD, Category.GAMING])
        assert partly.status is FilterStatus.APPROXIMATED and "no label for gaming" in partly.note
        none = INSTAGRAM_LIKE.outcome([Category.GAMING])
        assert (none.status, none.note) == (FilterStatus.IGNORED, "instagram has no label for gaming")


# -- post-filtering ------------------------------------------------------------------------------------------


def candidate(
    id: str,
    *,
    followers: int | None = None,
    engagement: Rate | None = None,
    ages: tuple[tuple[str, float], ...] | None = None,
    truncated: bool = False,
    price: Money | None = None,
    country: str | None = None,
) -> CreatorCandidate:
    def count(value: int) -> Count:
        return Count(value=value, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=NOW)

    metrics = CreatorMetrics(
        platform="somewhere",
        account_id=id,
        as_of=NOW,
        followers=None if followers is None else count(followers),
        engagement_rate=engagement,
    )
    audience = None
    if ages is not None:
        shares = tuple(AudienceShare(key=key, share=share) for key, share in ages)
        breakdown = AudienceBreakdown(
            dimension=AudienceDimension.AGE, shares=shares, source=MetricSource.PLATFORM, as_of=NOW, truncated=truncated
        )
        audience = AudienceProfile(platform="somewhere", account_id=id, breakdowns=(breakdown,))
    card = None if price is None else RateCard(tiers=(PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=price),))
    profile = CreatorProfile(id=id, display_name=id, rate_card=card, country=country)
    return CreatorCandidate(platform="somewhere", profile=profile, metrics=metrics, audience=audience)


def rate(value: float, denominator: Denominator = Denominator.VIEWS) -> Rate:
    return Rate(value=value, denominator=denominator, window=Window.posts(30), source=MetricSource.PLATFORM, as_of=NOW)


def page_of(query: DiscoveryQuery, *candidates: CreatorCandidate, **statuses: Any) -> DiscoveryPage:
    """A page whose report says every filter of ``query`` was ignored, unless ``statuses`` says otherwise."""
    outcomes = [
        FilterOutcome(filter=name, status=statuses.get(name.replace(".", "_"), FilterStatus.IGNORED), note="test")
        for name in query.filters_set()
    ]
    return DiscoveryPage(platform="somewhere", candidates=candidates, filters=tuple(outcomes))


class TestPostFiltering:
    def test_what_the_platform_ignored_is_applied_here_and_unknowns_are_named(self) -> None:
        query = DiscoveryQuery(followers=CountRange(min=10_000))
        page = page_of(query, candidate("big", followers=50_000), candidate("small", followers=900), candidate("?"))
        kept, (check,) = check_locally(query, page)
        assert [c.profile.id for c in kept] == ["big", "?"]
        assert (check.filter, check.applied, check.removed, check.unchecked) == ("followers", True, ("small",), ("?",))
        kept, _ = check_locally(query, page, drop_unchecked=True)
        assert [c.profile.id for c in kept] == ["big"]

    def test_what_the_platform_applied_is_trusted(self) -> None:
        query = DiscoveryQuery(followers=CountRange(min=10_000))
        page = page_of(query, candidate("small", followers=900), followers=FilterStatus.APPLIED)
        assert check_locally(query, page) == (page.candidates, ())

    def test_a_rate_is_only_compared_over_its_own_denominator(self) -> None:
        query = DiscoveryQuery(engagement_rate=RateRange(min=0.05, denominator=Denominator.VIEWS))
        page = page_of(
            query,
            candidate("per_view_high", engagement=rate(0.08)),
            candidate("per_view_low", engagement=rate(0.01)),
            candidate("per_follower", engagement=rate(0.09, Denominator.FOLLOWERS)),
        )
        kept, (check,) = check_locally(query, page)
        assert [c.profile.id for c in kept] == ["per_view_high", "per_follower"]
        assert check.removed == ("per_view_low",) and check.unchecked == ("per_follower",)

    def test_a_coarse_age_bucket_is_never_split_into_invented_precision(self) -> None:
        query = DiscoveryQuery(
            audience=(AudienceFilter(dimension=AudienceDimension.AGE, keys=("35-44",), min_share=0.2),)
        )
        page = page_of(
            query,
            candidate("fine_enough", ages=(("18-24", 0.5), ("35-44", 0.3), ("45-54", 0.2))),
            candidate("fine_too_few", ages=(("18-24", 0.7), ("35-44", 0.1), ("45-54", 0.2))),
            # 35+ holds 40 %: anywhere from none to all of it may be 35-44, so the filter cannot be judged.
            candidate("coarse", ages=(("18-24", 0.6), ("35+", 0.4))),
            # 35+ holds 10 %: even all of it is short of 20 %.
            candidate("coarse_too_few", ages=(("18-24", 0.9), ("35+", 0.1))),
        )
        kept, (check,) = check_locally(query, page)
        assert check.filter == "audience.age"
        assert [c.profile.id for c in kept] == ["fine_enough", "coarse"]
        assert check.removed == ("fine_too_few", "coarse_too_few") and check.unchecked == ("coarse",)

    def test_a_truncated_breakdown_may_hold_more_than_it_lists(self) -> None:
        query = DiscoveryQuery(
            audience=(AudienceFilter(dimension=AudienceDimension.AGE, keys=("45-54",), min_share=0.1),)
        )
        complete, top_two = (("18-24", 0.6), ("25-34", 0.4)), (("18-24", 0.6), ("25-34", 0.3))
        page = page_of(query, candidate("complete", ages=complete), candidate("top_two", ages=top_two, truncated=True))
        kept, (check,) = check_locally(query, page)
        # Complete, 45-54 holds nobody; cut to the top two, the missing 10 % could all be 45-54.
        assert check.removed == ("complete",) and check.unchecked == ("top_two",)
        assert [c.profile.id for c in kept] == ["top_two"]

    def test_a_price_in_another_currency_is_not_compared(self) -> None:
        query = DiscoveryQuery(price=PriceRange(max=Money(100_000, "USD")))
        page = page_of(
            query,
            candidate("cheap", price=Money(50_000, "USD")),
            candidate("dear", price=Money(500_000, "USD")),
            candidate("yen", price=Money(50_000, "JPY")),
        )
        _, (check,) = check_locally(query, page)
        assert check.removed == ("dear",) and check.unchecked == ("yen",)

    def test_relevance_and_order_cannot_be_made_up_for(self) -> None:
        query = DiscoveryQuery(keywords="cake", sort=DiscoverySort(field=SortField.FOLLOWERS), countries=("US",))
        page = page_of(query, candidate("us", country="US"), candidate("fr", country="FR"))
        kept, checks = check_locally(query, page)
        by_filter = {check.filter: check for check in checks}
        assert not by_filter["keywords"].applied and "relevance" in by_filter["keywords"].note
        assert not by_filter["sort"].applied and "re-sorted" in by_filter["sort"].note
        assert by_filter["countries"].removed == ("fr",)
        assert [c.profile.id for c in kept] == ["us"]


# -- through the host: echo ------------------------------------------------------------------------------------


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost()
    host.register(creatorkit_echo.EchoPlatform(), name="echo")
    host.register(creatorkit_echo.EchoPlatform(name="echo_b"), name="echo_b")
    return host


class TestThroughTheHost:
    def test_echo_reports_every_filter_and_the_core_checks_the_rest(self, host: PluginHost) -> None:
        young = AudienceFilter(dimension=AudienceDimension.AGE, keys=("18-24",), min_share=0.3)
        query = DiscoveryQuery(median_views=CountRange(min=1_000), audience=(young,), limit=30)
        outcome = discover(host, query, platforms=["echo"]).outcomes["echo"]
        assert outcome.page is not None
        report = {o.filter: o.status for o in outcome.page.filters}
        assert report == {"median_views": FilterStatus.APPROXIMATED, "audience.age": FilterStatus.IGNORED}
        checks = {check.filter: check for check in outcome.checks}
        # Echo keeps no median views: nobody can be checked, so nobody is removed for it.
        every = tuple(c.profile.id for c in outcome.page.candidates)
        assert checks["median_views"].unchecked == every and checks["median_views"].removed == ()
        # Echo's audience has ages: the core applies the filter echo ignored.
        age = checks["audience.age"]
        assert age.applied and age.removed and not age.unchecked
        for kept in outcome.candidates:
            assert kept.audience is not None
            breakdown = kept.audience.breakdown(AudienceDimension.AGE)
            assert breakdown is not None and breakdown.share_bounds(["18-24"])[0] >= 0.3
        assert outcome.unchecked == every

    def test_a_plugin_that_reports_nothing_is_taken_to_ignore_everything(self, host: PluginHost) -> None:
        class Silent(creatorkit_echo.EchoPlatform):
            @hookimpl
            def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
                page = super().creatorkit_discover_creators(query)
                noise = FilterOutcome(filter="price", status=FilterStatus.APPLIED)  # not set by the query
                return attrs.evolve(page, filters=(noise,))

        host.register(Silent(name="silent"), name="silent")
        query = DiscoveryQuery(keywords="creator", countries=("US",))
        page = host.platform("silent").discover_creators(query)
        assert [(o.filter, o.status) for o in page.filters] == [
            ("keywords", FilterStatus.IGNORED),
            ("countries", FilterStatus.IGNORED),
        ]
        assert all("not reported" in o.note for o in page.filters)

    def test_the_plugin_sees_its_own_cursor_and_the_caller_a_bound_one(self, host: PluginHost) -> None:
        seen: list[str | None] = []

        class Watching:
            @hookimpl(wrapper=True)
            def creatorkit_discover_creators(self, query: DiscoveryQuery) -> Any:
                seen.append(query.cursor)
                return (yield)

        host.add_wrapper(Watching(), name="watching")
        echo = host.platform("echo")
        query = DiscoveryQuery(limit=5)
        first = echo.discover_creators(query)
        assert first.next_cursor is not None and first.next_cursor.startswith(f"{CURSOR_PREFIX}.")
        assert query_digest("echo", query) in first.next_cursor
        second = echo.discover_creators(attrs.evolve(query, limit=7, cursor=first.next_cursor))
        assert seen == [None, "5"]  # echo's own offset, unwrapped
        assert {c.profile.id for c in first.candidates}.isdisjoint(c.profile.id for c in second.candidates)

    @pytest.mark.parametrize(
        "change",
        [
            {"keywords": "other"},
            {"followers": CountRange(min=10)},
            {"categories": ("beauty",)},
            {"sort": DiscoverySort(field=SortField.FOLLOWERS)},
        ],
    )
    def test_a_cursor_used_with_another_query_is_refused_before_the_plugin_is_called(
        self, host: PluginHost, change: dict[str, Any]
    ) -> None:
        calls: list[DiscoveryQuery] = []

        class Counting:
            @hookimpl(wrapper=True)
            def creatorkit_discover_creators(self, query: DiscoveryQuery) -> Any:
                calls.append(query)
                return (yield)

        host.add_wrapper(Counting(), name="counting")
        echo = host.platform("echo")
        query = DiscoveryQuery(limit=2)
        cursor = echo.discover_creators(query).next_cursor
        with pytest.raises(InvalidRequest) as raised:
            echo.discover_creators(attrs.evolve(query, cursor=cursor, **change))
        assert raised.value.field == "cursor" and raised.value.platform == "echo"
        assert "another query" in str(raised.value)
        assert len(calls) == 1  # the refused page never reached the platform

    def test_a_cursor_belongs_to_its_platform_and_a_garbled_one_is_refused(self, host: PluginHost) -> None:
        query = DiscoveryQuery(limit=2)
        cursor = host.platform("echo").discover_creators(query).next_cursor
        with pytest.raises(InvalidRequest, match="another query or platform") as raised:
            host.platform("echo_b").discover_creators(attrs.evolve(query, cursor=cursor))
        assert raised.value.field == "cursor"
        for garbled in ("5", f"{CURSOR_PREFIX}.", f"{CURSOR_PREFIX}.abc.%%%"):
            with pytest.raises(InvalidRequest, match="not one a page of this SDK handed out"):
                host.platform("echo").discover_creators(attrs.evolve(query, cursor=garbled))

    def test_a_fan_out_pages_to_the_end_from_each_platforms_cursor(self, host: PluginHost) -> None:
        query = DiscoveryQuery(categories=("beauty", "tech"), limit=3)
        results = discover(host, query)
        seen = {name: [c.profile.id for c in o.candidates] for name, o in results.outcomes.items()}
        while results.next_cursors:
            results = discover(host, query, cursors=results.next_cursors)
            assert results.skipped == {}
            for name, outcome in results.outcomes.items():
                seen[name].extend(c.profile.id for c in outcome.candidates)
        whole = discover(host, attrs.evolve(query, limit=100))
        assert {name: sorted(ids) for name, ids in seen.items()} == {
            name: sorted(c.profile.id for c in outcome.candidates) for name, outcome in whole.outcomes.items()
        }
        assert all(len(ids) == len(set(ids)) for ids in seen.values())

    def test_a_short_page_may_still_have_a_next_one(self) -> None:
        class Sparse:
            """A platform that filters after paging: pages come back short, even empty, until the end."""

            @hookimpl
            def creatorkit_plugin_metadata(self) -> PluginMetadata:
                return PluginMetadata(
                    name="sparse",
                    kind=PluginKind.PLATFORM,
                    display_name="sparse",
                    capabilities=frozenset({Capability.DISCOVERY}),
                )

            @hookimpl
            def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
                page = int(query.cursor or 0)
                candidates = () if page % 2 else (candidate(f"c{page}"),)
                return DiscoveryPage(
                    platform="sparse",
                    candidates=tuple(attrs.evolve(c, platform="sparse") for c in candidates),
                    next_cursor=str(page + 1) if page < 3 else None,
                )

        host = PluginHost()
        host.register(Sparse(), name="sparse")
        query, pages = DiscoveryQuery(limit=10), 0
        found: list[str] = []
        while True:
            page = host.platform("sparse").discover_creators(query)
            pages += 1
            found.extend(c.profile.id for c in page.candidates)
            if page.next_cursor is None:
                break
            query = attrs.evolve(query, cursor=page.next_cursor)
        assert (pages, found) == (4, ["c0", "c2"])

    def test_the_query_and_page_round_trip(self) -> None:
        query = DiscoveryQuery(
            categories=("food",),
            price=PriceRange(min=Money(100, "KWD")),
            similar_to=(PlatformAccount(platform="tiktok", account_id="1", handle="a"),),
        )
        assert structure(unstructure(query), DiscoveryQuery) == query
