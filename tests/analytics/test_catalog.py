"""The columnar catalog ranks a brief as the row-wise scorer would, creator for creator, and says who it left out."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import pytest

from creatorkit import Money
from creatorkit.analytics import Catalog, CatalogRecord, Scorer, rejections, score_candidate
from creatorkit.entities import (
    AGE_BUCKETS,
    AudienceDimension,
    AudienceTarget,
    Category,
    ContentRules,
    CreatorRequirements,
    Denominator,
    Match,
    ScoreComponent,
)
from creatorkit.errors import ValidationError

from .test_scoring import AS_OF, banned_words_check, brief, creator

AGE, GENDER, COUNTRY = AudienceDimension.AGE, AudienceDimension.GENDER, AudienceDimension.COUNTRY
START = datetime(2026, 4, 25, tzinfo=UTC)


def _shares(rng: random.Random, keys: tuple[str, ...]) -> dict[str, float]:
    weights = [rng.random() for _ in keys]
    return {key: weight / sum(weights) for key, weight in zip(keys, weights, strict=True)}


def random_creator(rng: random.Random, index: int) -> CatalogRecord:
    """A creator with every figure sometimes missing, sometimes out of the brief's bounds."""
    platform = rng.choice(("tiktok", "instagram", "echo"))
    audience = {}
    if rng.random() < 0.9:
        audience[GENDER] = _shares(rng, ("female", "male", "unknown"))
    if rng.random() < 0.8:
        audience[AGE] = _shares(rng, AGE_BUCKETS)
    if rng.random() < 0.5:
        audience[COUNTRY] = _shares(rng, ("US", "GB", "DE"))
    start = START + timedelta(days=rng.randrange(0, 20)) if rng.random() < 0.7 else None
    return CatalogRecord(
        creator_id=f"cr_{index}",
        platform=platform,
        followers=int(10 ** rng.uniform(3, 6.5)),
        engagement_rate=rng.uniform(0.001, 0.15),
        engagement_denominator=rng.choice((Denominator.VIEWS, Denominator.FOLLOWERS, Denominator.REACH)),
        price=None if rng.random() < 0.15 else Money(rng.randrange(0, 250_000), rng.choice(("USD",) * 9 + ("EUR",))),
        audience=audience,
        categories=tuple(rng.sample(list(Category), rng.randrange(0, 4))),
        country=rng.choice(("US", "US", "GB", "GB", "DE", None)),
        language=rng.choice(("en", "de", None)),
        credibility=None if rng.random() < 0.2 else rng.uniform(0.65, 1.0),
        available_from=start,
        available_until=None if start is None else start + timedelta(days=rng.randrange(1, 40)),
        brand_results={"brand_glow": rng.random()} if rng.random() < 0.3 else {},
        recent_captions=(rng.choice(("a miracle cure", "new routine", "get ready with me")),),
    )


@pytest.fixture(scope="module")
def records() -> list[CatalogRecord]:
    rng = random.Random(13)
    return [random_creator(rng, index) for index in range(600)]


def wide_brief():
    return brief(
        requirements=CreatorRequirements(
            categories=("beauty", "fashion", "fitness", "food"), countries=("US", "GB"), max_followers=2_000_000
        ),
        target_audience=(
            AudienceTarget(dimension=GENDER, keys=("female",), min_share=0.5),
            AudienceTarget(dimension=AGE, keys=("18-34",), min_share=0.4),
            AudienceTarget(dimension=COUNTRY, keys=("US",)),
        ),
    )


def test_the_columns_score_every_creator_as_the_row_wise_scorer_does(records: list[CatalogRecord]) -> None:
    wanted = wide_brief()
    ranking = Catalog.from_records(records).rank(wanted, as_of=AS_OF, top=len(records))
    expected = {}
    for record in records:
        match = score_candidate(wanted, record, as_of=AS_OF)
        if not rejections(wanted, record) and not any(c.veto for c in match.components):
            expected[record.creator_id] = match.score
    assert 40 < len(expected) < len(records)  # the filters bite, and leave enough to compare
    got = {match.creator_id: match.score for match in ranking.matches}
    assert got.keys() == expected.keys() and ranking.eligible == len(expected)
    for creator_id, score in expected.items():
        assert got[creator_id] == pytest.approx(score, abs=1e-6), creator_id
    scores = [match.score for match in ranking.matches]
    assert scores == sorted(scores, reverse=True)


def test_each_filter_counts_the_creators_it_turned_away_of_those_left(records: list[CatalogRecord]) -> None:
    wanted = wide_brief()
    ranking = Catalog.from_records(records).rank(wanted, as_of=AS_OF)
    # A funnel: each creator is counted by the first filter it fails, the quality gate after all of them.
    first = Counter(failed[0] for record in records if (failed := rejections(wanted, record)))
    gated = sum(1 for r in records if not rejections(wanted, r) and r.credibility is not None and r.credibility < 0.75)
    assert ranking.excluded == {**first, "quality_gate": gated}
    assert sum(ranking.excluded.values()) + ranking.eligible == len(records)
    assert ranking.considered == len(records) and len(ranking.matches) == min(100, ranking.eligible)
    assert any("priced in another currency" in warning for warning in ranking.warnings)


def test_only_the_top_is_explained_and_each_match_lists_its_components(records: list[CatalogRecord]) -> None:
    ranking = Catalog.from_records(records).rank(wide_brief(), as_of=AS_OF, top=5)
    assert len(ranking.matches) == 5
    best = ranking.matches[0]
    assert {c.name for c in best.components} >= {"audience_fit.gender", "engagement", "price", "quality_gate"}
    assert all(c.explanation for c in best.components)


def test_brand_safety_passes_over_vetoed_creators_until_the_top_is_full(records: list[CatalogRecord]) -> None:
    rules = ContentRules(banned_words=("cure",))
    wanted = wide_brief()
    safe = attrs.evolve(wanted, content_rules=rules)
    catalog = Catalog.from_records(records)
    ranking = catalog.rank(safe, as_of=AS_OF, top=20, safety=banned_words_check(rules))
    assert len(ranking.matches) == 20 and ranking.excluded["brand_safety"] > 0
    by_id = {r.creator_id: r for r in records}
    assert all("cure" not in by_id[m.creator_id].recent_captions[0] for m in ranking.matches)
    unchecked = catalog.rank(wanted, as_of=AS_OF, top=20)
    assert "brand_safety" not in unchecked.excluded


def test_a_ranking_plugin_replaces_the_scorer_after_the_filters(records: list[CatalogRecord]) -> None:
    class Biggest(Scorer):
        def score(self, brief, candidate, *, as_of):
            share = min(1.0, candidate.followers / 4_000_000)
            part = ScoreComponent(name="reach", score=share, weight=1, explanation=f"{candidate.followers} followers")
            return Match(
                brief_id=brief.id,
                creator_id=candidate.creator_id,
                platform=candidate.platform,
                score=share,
                components=(part,),
                as_of=as_of,
            )

    ranking = Catalog.from_records(records).rank(wide_brief(), as_of=AS_OF, top=3, scorer=Biggest())
    by_id = {r.creator_id: r for r in records}
    followers = [by_id[m.creator_id].followers for m in ranking.matches]
    assert followers == sorted(followers, reverse=True) and ranking.matches[0].components[0].name == "reach"


def test_a_target_the_catalog_cannot_measure_is_a_warning_not_an_empty_list() -> None:
    catalog = Catalog.from_records([creator(audience={GENDER: {"female": 1.0}})])
    wanted = brief(target_audience=(AudienceTarget(dimension=AudienceDimension.DEVICE, keys=("ios",)),))
    ranking = catalog.rank(wanted, as_of=AS_OF)
    assert len(ranking.matches) == 1 and "device" in ranking.warnings[0]


def test_bad_input_is_refused_with_its_place() -> None:
    catalog = Catalog.from_records([creator()])
    with pytest.raises(ValidationError) as caught:
        catalog.rank(brief(), as_of=AS_OF, top=0)
    assert caught.value.problems[0].path == "top"
    short = attrs.evolve(catalog.columns, followers=np.asarray([], dtype=np.int64))
    with pytest.raises(ValidationError) as caught:
        Catalog(short)
    assert caught.value.problems[0].path == "catalog.followers"


def test_values_no_creator_has_are_said() -> None:
    catalog = Catalog.from_records([creator()])
    wanted = brief(
        requirements=CreatorRequirements(platforms=("kuaishou",), countries=("US",)),
        target_audience=(AudienceTarget(dimension=GENDER, keys=("nonbinary",)),),
    )
    ranking = catalog.rank(wanted, as_of=AS_OF)
    assert ranking.matches == () and ranking.excluded == {"platform": 1}
    assert "no creator in the catalog has the platform kuaishou" in ranking.warnings
    loose = catalog.rank(brief(target_audience=wanted.target_audience), as_of=AS_OF)
    assert any("no gender bucket of the catalog counts for nonbinary" in w for w in loose.warnings)
