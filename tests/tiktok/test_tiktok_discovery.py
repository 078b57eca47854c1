"""TikTok One discovery: every filter of the core's query mapped onto discover's parameters, reported honestly,
and applied for real by the sandbox; paging through the opaque cursor to the end; lookup by handle."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs
import pytest
from creatorkit_tiktok import TikTokPlatform

from creatorkit import InvalidRequest, Money, NotFound
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.testing import assert_valid_entity, network_disabled

A = ent.AudienceDimension
F = ent.FilterStatus


@pytest.fixture(scope="module")
def plugin() -> Iterator[TikTokPlatform]:
    """One plugin for the module: discovery only reads, and the sandbox's population costs a second to build."""
    with network_disabled():
        yield TikTokPlatform()


def _account(plugin: TikTokPlatform, candidate: ent.CreatorCandidate) -> tk.Account:
    assert plugin.sandbox is not None
    account = plugin.sandbox.population.account(candidate.profile.accounts[0].account_id)
    assert account is not None
    return account


def _person(plugin: TikTokPlatform, candidate: ent.CreatorCandidate) -> tk.Person:
    assert plugin.sandbox is not None
    return plugin.sandbox.population.person(int(_account(plugin, candidate).person_id.rsplit("-", 1)[1]))


def _everything(plugin: TikTokPlatform, query: ent.DiscoveryQuery) -> list[ent.DiscoveryPage]:
    pages = [plugin.creatorkit_discover_creators(query, None)]
    while pages[-1].next_cursor is not None:
        query = attrs.evolve(query, cursor=pages[-1].next_cursor)
        pages.append(plugin.creatorkit_discover_creators(query, None))
        assert len(pages) < 200, "the cursor never ends"
    return pages


Holds = Callable[[TikTokPlatform, ent.CreatorCandidate], bool]


def _top_age_group(account: tk.Account) -> str:
    groups: dict[str, float] = {}
    for bucket, share in account.audience.ages:
        group = {"55-64": "55+", "65+": "55+"}.get(bucket, bucket)
        if group != "13-17":
            groups[group] = groups.get(group, 0.0) + share
    return max(groups, key=groups.__getitem__)


def _usd(amount: int) -> Money:
    return Money(amount * 100, "USD")


# Each case: the query, the filter's name in the report, the status TikTok's mapping has, and what every
# candidate of an applied or approximated filter holds (TikTok's own reading of it).
CASES: list[tuple[str, ent.DiscoveryQuery, str, ent.FilterStatus, Holds | None]] = [
    (
        "keywords",
        ent.DiscoveryQuery(keywords="mira"),
        "keywords",
        F.APPLIED,
        lambda p, c: "mira" in f"{_person(p, c).name} {c.profile.accounts[0].handle}".lower(),
    ),
    (
        "countries",
        ent.DiscoveryQuery(countries=("US", "GB")),
        "countries",
        F.APPLIED,
        lambda p, c: c.profile.country in ("US", "GB"),
    ),
    (
        "languages",
        ent.DiscoveryQuery(languages=("es",)),
        "languages",
        F.APPLIED,
        lambda p, c: _person(p, c).language == "es",
    ),
    (
        "followers",
        ent.DiscoveryQuery(followers=ent.CountRange(min=10_000, max=100_000)),
        "followers",
        F.APPLIED,
        lambda p, c: (
            c.metrics is not None and c.metrics.followers is not None and 10_000 <= c.metrics.followers.value <= 100_000
        ),
    ),
    (
        "average views",
        ent.DiscoveryQuery(average_views=ent.CountRange(min=1_000)),
        "average_views",
        F.APPLIED,
        lambda p, c: _account(p, c).average_views >= 1_000,
    ),
    (
        "median views",
        ent.DiscoveryQuery(median_views=ent.CountRange(max=500)),
        "median_views",
        F.APPLIED,
        lambda p, c: (
            c.metrics is not None and c.metrics.median_views is not None and c.metrics.median_views.value <= 500
        ),
    ),
    (
        "price",
        ent.DiscoveryQuery(price=ent.PriceRange(min=_usd(100), max=_usd(500))),
        "price",
        F.APPLIED,
        lambda p, c: c.profile.rate_card is not None and _usd(100) <= c.profile.rate_card.tiers[0].price <= _usd(500),
    ),
    (
        "price of a livestream",
        ent.DiscoveryQuery(price=ent.PriceRange(max=_usd(500), deliverable=ent.DeliverableType.LIVESTREAM)),
        "price",
        F.IGNORED,
        None,
    ),
    (
        "engagement per view",
        ent.DiscoveryQuery(engagement_rate=ent.RateRange(min=0.08, denominator=ent.Denominator.VIEWS)),
        "engagement_rate",
        F.APPLIED,
        lambda p, c: (
            c.metrics is not None and c.metrics.engagement_rate is not None and c.metrics.engagement_rate.value >= 0.08
        ),
    ),
    (
        "engagement over a window",
        ent.DiscoveryQuery(
            engagement_rate=ent.RateRange(min=0.08, denominator=ent.Denominator.VIEWS, window=ent.Window.days(30))
        ),
        "engagement_rate",
        F.APPROXIMATED,
        lambda p, c: _account(p, c).engagement_rate >= 0.08,
    ),
    (
        "engagement per follower",
        ent.DiscoveryQuery(engagement_rate=ent.RateRange(min=0.02, denominator=ent.Denominator.FOLLOWERS)),
        "engagement_rate",
        F.IGNORED,
        None,
    ),
    (
        "audience country",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.COUNTRY, keys=("GB",), min_share=0.5),)),
        "audience.country",
        F.APPROXIMATED,
        lambda p, c: max(_account(p, c).audience.countries, key=lambda pair: pair[1])[0] == "GB",
    ),
    (
        "audience gender on a step",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.GENDER, keys=("female",), min_share=0.6),)),
        "audience.gender",
        F.APPLIED,
        lambda p, c: dict(_account(p, c).audience.genders)["female"] >= 0.6,
    ),
    (
        "audience gender between steps",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.GENDER, keys=("male",), min_share=0.65),)),
        "audience.gender",
        F.APPROXIMATED,
        lambda p, c: dict(_account(p, c).audience.genders)["male"] >= 0.6,
    ),
    (
        "audience gender below the steps",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.GENDER, keys=("female",), min_share=0.3),)),
        "audience.gender",
        F.IGNORED,
        None,
    ),
    (
        "audience age",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.AGE, keys=("25-34",), min_share=0.3),)),
        "audience.age",
        F.APPROXIMATED,
        lambda p, c: _top_age_group(_account(p, c)) == "25-34",
    ),
    (
        "audience age inside TikTok's 55+",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.AGE, keys=("55-64",), min_share=0.1),)),
        "audience.age",
        F.APPROXIMATED,
        lambda p, c: _top_age_group(_account(p, c)) == "55+",
    ),
    (
        "audience under 18",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.AGE, keys=("13-17",), min_share=0.1),)),
        "audience.age",
        F.IGNORED,
        None,
    ),
    (
        "audience ages across groups",
        ent.DiscoveryQuery(audience=(ent.AudienceFilter(dimension=A.AGE, keys=("18-24", "25-34"), min_share=0.5),)),
        "audience.age",
        F.IGNORED,
        None,
    ),
    (
        "category",
        ent.DiscoveryQuery(categories=("beauty",)),
        "categories",
        F.APPLIED,
        lambda p, c: "beauty" in c.profile.categories,
    ),
    (
        "category under a broader label",
        ent.DiscoveryQuery(categories=("outdoors",)),
        "categories",
        F.APPROXIMATED,
        lambda p, c: "outdoors" in c.profile.categories,
    ),
    ("category TikTok has no label for", ent.DiscoveryQuery(categories=("books",)), "categories", F.IGNORED, None),
    (
        "follower growth",
        ent.DiscoveryQuery(follower_growth=ent.RateRange(min=0.01, denominator=ent.Denominator.FOLLOWERS)),
        "follower_growth",
        F.IGNORED,
        None,
    ),
    (
        "similar creators",
        ent.DiscoveryQuery(similar_to=(ent.PlatformAccount(platform="tiktok", account_id="1", handle="someone"),)),
        "similar_to",
        F.IGNORED,
        None,
    ),
    ("sort by price", ent.DiscoveryQuery(sort=ent.DiscoverySort(field=ent.SortField.PRICE)), "sort", F.IGNORED, None),
]


@pytest.mark.parametrize(("query", "name", "status", "holds"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_each_filter_is_mapped_reported_and_applied(
    plugin: TikTokPlatform, query: ent.DiscoveryQuery, name: str, status: ent.FilterStatus, holds: Holds | None
) -> None:
    page = plugin.creatorkit_discover_creators(attrs.evolve(query, limit=50), None)
    assert_valid_entity(page)
    outcome = page.outcome_of(name)
    assert outcome is not None and outcome.status is status, outcome
    assert [o.filter for o in page.filters] == list(query.filters_set())
    if holds is None:
        return
    assert page.candidates, f"the sandbox's population has creators for {name}; none came back"
    failing = [c.profile.accounts[0].handle for c in page.candidates if not holds(plugin, c)]
    assert not failing, f"{name} is reported {status} but these do not hold: {failing}"


def test_a_filter_narrows_the_results_it_says_it_applies(plugin: TikTokPlatform) -> None:
    everyone = plugin.creatorkit_discover_creators(ent.DiscoveryQuery(limit=10), None).total
    some = plugin.creatorkit_discover_creators(ent.DiscoveryQuery(countries=("US",), limit=10), None).total
    assert everyone is not None and some is not None and 0 < some < everyone


@pytest.mark.parametrize(
    ("field", "key"),
    [
        (ent.SortField.FOLLOWERS, lambda c: c.metrics.followers.value),
        (ent.SortField.MEDIAN_VIEWS, lambda c: c.metrics.median_views.value),
        (ent.SortField.ENGAGEMENT_RATE, lambda c: c.metrics.engagement_rate.value),
    ],
)
def test_sorts_are_applied(
    plugin: TikTokPlatform, field: ent.SortField, key: Callable[[ent.CreatorCandidate], float]
) -> None:
    for direction in ent.SortDirection:
        query = ent.DiscoveryQuery(sort=ent.DiscoverySort(field=field, direction=direction), limit=30)
        page = plugin.creatorkit_discover_creators(query, None)
        assert page.outcome_of("sort") == ent.FilterOutcome(filter="sort", status=F.APPLIED)
        values = [key(candidate) for candidate in page.candidates]
        assert values == sorted(values, reverse=direction is ent.SortDirection.DESCENDING)


def test_average_views_are_sorted_as_median_views_and_said_so(plugin: TikTokPlatform) -> None:
    page = plugin.creatorkit_discover_creators(
        ent.DiscoveryQuery(sort=ent.DiscoverySort(field=ent.SortField.AVERAGE_VIEWS), limit=20), None
    )
    outcome = page.outcome_of("sort")
    assert outcome is not None and outcome.status is F.APPROXIMATED and "median" in outcome.note
    medians = [c.metrics.median_views.value for c in page.candidates if c.metrics and c.metrics.median_views]
    assert medians == sorted(medians, reverse=True)


def test_paging_through_the_cursor_reaches_every_creator_once(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    query = ent.DiscoveryQuery(countries=("US",), categories=("food", "fitness"), limit=20)
    before = plugin.sandbox.calls.count("GET /open_api/v1.3/tto/tcm/category/label/")
    pages = _everything(plugin, query)
    handles = [c.profile.accounts[0].handle for page in pages for c in page.candidates]
    expected = {
        account.handle
        for account in plugin.sandbox.population.on("tiktok")
        if plugin.sandbox.population.person(int(account.person_id.rsplit("-", 1)[1])).country == "US"
        and {"food", "fitness"}
        & set(plugin.sandbox.population.person(int(account.person_id.rsplit("-", 1)[1])).categories)
    }
    assert len(pages) > 1
    assert len(handles) == len(set(handles)) == pages[0].total
    assert set(handles) == expected
    assert all(len(page.candidates) <= 20 for page in pages)
    # The labels are read once, on the first page; the cursor carries the ids to the others.
    assert plugin.sandbox.calls.count("GET /open_api/v1.3/tto/tcm/category/label/") - before == 1
    assert all(page.filters == pages[0].filters for page in pages)


def test_a_cursor_that_is_not_ours_is_refused(plugin: TikTokPlatform) -> None:
    with pytest.raises(InvalidRequest):
        plugin.creatorkit_discover_creators(ent.DiscoveryQuery(cursor="not-a-cursor"), None)


def test_the_sandbox_refuses_bad_parameters_with_tiktoks_code(plugin: TikTokPlatform) -> None:
    for params in ({"page_size": 500}, {"follower_age": "30-40"}, {"sort_field": "PRICE"}, {"min_creator_price": 5}):
        with pytest.raises(InvalidRequest) as raised:
            plugin._get("tto/tcm/creator/discover/", None, tto_tcm_account_id="1", **params)
        assert raised.value.code == 40002
    with pytest.raises(InvalidRequest):
        plugin._get("tto/tcm/creator/discover/", None)  # no account: 40002, as the recorded error says


def test_lookup_by_handle(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    account = next(plugin.sandbox.population.on("tiktok", 40))
    candidate = plugin.creatorkit_lookup_creator("@" + account.handle, None)
    assert_valid_entity(candidate)
    assert candidate.profile.accounts[0].handle == account.handle
    assert candidate.metrics is not None and candidate.metrics.followers is not None
    assert candidate.metrics.followers.value == account.followers


def test_an_unknown_handle_is_not_found_with_tiktoks_code(plugin: TikTokPlatform) -> None:
    with pytest.raises(NotFound) as raised:
        plugin.creatorkit_lookup_creator("nobody_here_zz", None)
    assert raised.value.code == 40121 and raised.value.kind == "creator" and raised.value.platform == "tiktok"
