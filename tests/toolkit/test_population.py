"""The synthetic population: the same world for a seed, cheap to address by index, handle or id, with the
spreads of the market reference (tiers, engagement by tier and platform, audiences, rates, posts over time)."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from datetime import timedelta

import pytest

from creatorkit.toolkit import AGE_BUCKETS, PROFILES, TIERS, Person, Population, tier_of


@pytest.fixture(scope="module")
def sample() -> list[Person]:
    return list(Population(seed=42).people(0, 6000))


def test_the_same_seed_is_the_same_world() -> None:
    for index in (0, 1, 4321, 999_999):
        assert Population(seed=5).person(index) == Population(seed=5).person(index)
    assert Population(seed=5).person(7) != Population(seed=6).person(7)


def test_a_million_people_are_addressable_by_index_handle_and_id() -> None:
    population = Population(seed=1)
    assert len(population) == 1_000_000
    last = population.person(999_999)
    for account in last.accounts:
        assert population.find(account.platform, account.handle) == account
        assert population.account(account.account_id) == account
        post = next(population.posts(account))
        assert population.post(post.post_id) == post
    with pytest.raises(IndexError):
        population.person(1_000_000)
    assert population.find("tiktok", "nobody_zz") is None
    assert population.find("tiktok", "mira.lopez.1") is None
    assert population.account("42") is None and population.post("abc") is None


def test_tiers_follow_the_reference_shares(sample: list[Person]) -> None:
    home = Counter(tier_of(p.accounts[0].followers) for p in sample)
    shares = {tier.name: home[tier.name] / len(sample) for tier in TIERS}
    assert shares["nano"] == pytest.approx(0.815, abs=0.03)
    assert shares["micro"] == pytest.approx(0.14, abs=0.03)
    assert shares["mid"] + shares["macro"] + shares["mega"] < 0.08
    for person in sample:
        for account in person.accounts:
            assert account.tier == tier_of(account.followers)


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
@pytest.mark.parametrize("tier", ["nano", "micro"])
def test_engagement_sits_in_its_band_by_tier_and_platform(sample: list[Person], platform: str, tier: str) -> None:
    rates = [a.engagement_rate for p in sample for a in p.accounts if a.platform == platform and a.tier == tier]
    low, high = PROFILES[platform].engagement[tier]
    assert len(rates) > 50
    assert low <= statistics.median(rates) <= high
    denominators = {a.engagement_denominator for p in sample for a in p.accounts if a.platform == platform}
    assert denominators == {"views" if platform == "tiktok" else "followers"}


def test_audiences_are_canonical_and_whole(sample: list[Person]) -> None:
    for person in sample[:500]:
        for account in person.accounts:
            audience = account.audience
            assert [key for key, _ in audience.ages] == list(AGE_BUCKETS)
            for shares in (audience.countries, audience.genders, audience.ages):
                assert sum(share for _, share in shares) == pytest.approx(1.0, abs=1e-9)
                assert all(0 <= share <= 1 for _, share in shares)
            assert audience.countries[0][0] == person.country
            if account.platform == "kuaishou":
                assert audience.countries[0][1] >= 0.9


def test_some_people_are_on_several_platforms(sample: list[Person]) -> None:
    several = [p for p in sample if len(p.accounts) > 1]
    assert 0.15 < len(several) / len(sample) < 0.5
    for person in several[:50]:
        handles = {a.handle for a in person.accounts}
        assert len(handles) == len(person.accounts)
        assert {a.person_id for a in person.accounts} == {person.id}
    assert all(p.country == "CN" for p in sample for a in p.accounts if a.platform == "kuaishou")


def test_rates_come_in_several_currencies_and_grow_with_the_tier(sample: list[Person]) -> None:
    currencies = Counter(q.price.currency for p in sample for a in p.accounts for q in a.rates)
    assert {"USD", "EUR", "JPY", "CNY", "KRW"} <= set(currencies)
    usd = {
        tier: [
            a.rates[0].price.amount
            for p in sample
            for a in p.accounts
            if a.rates[0].price.currency == "USD" and a.tier == tier
        ]
        for tier in ("nano", "micro")
    }
    assert statistics.median(usd["nano"]) < statistics.median(usd["micro"])
    assert all(q.price.amount > 0 for p in sample[:200] for a in p.accounts for q in a.rates)


def test_posts_grow_over_time_towards_their_totals() -> None:
    population = Population(seed=3)
    account = population.person(12).accounts[0]
    posts = list(population.posts(account, limit=30))
    assert [p.number for p in posts] == list(range(min(30, account.post_count)))
    assert all(a.published_at > b.published_at for a, b in itertools.pairwise(posts))
    for post in posts:
        series = post.daily(14)
        views = [m.views for m in series]
        assert views == sorted(views) and views[-1] <= post.final.views
        assert post.metrics_at(post.published_at).views == 0
        assert post.metrics_at(post.published_at + timedelta(days=60)).views == pytest.approx(post.final.views, 0.01)


def test_about_one_post_in_twelve_is_sponsored() -> None:
    population = Population(seed=8)
    posts = [post for person in population.people(0, 200) for post in population.posts(person.accounts[0], limit=20)]
    share = sum(p.sponsored for p in posts) / len(posts)
    assert 0.05 < share < 0.11
    assert all("#ad" in p.caption for p in posts if p.sponsored)
