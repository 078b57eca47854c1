"""One candidate's explained score: named components in [0, 1], weights that count, vetoes that zero it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from creatorkit import Money
from creatorkit.analytics import CatalogRecord, MatchWeights, er_benchmark, rejections, score_candidate, tier
from creatorkit.analytics._scoring import check_brief
from creatorkit.entities import (
    AudienceDimension,
    AudienceTarget,
    Budget,
    CampaignBrief,
    Category,
    ContentRules,
    CreatorRequirements,
    Denominator,
    Product,
    ScoreComponent,
    Timeline,
)
from creatorkit.errors import ValidationError
from creatorkit.workflow._content_rules import compiled_rules

AS_OF = datetime(2026, 4, 2, tzinfo=UTC)
AGE, GENDER = AudienceDimension.AGE, AudienceDimension.GENDER


def brief(**changes: Any) -> CampaignBrief:
    base = CampaignBrief(
        id="brief_1",
        brand_id="brand_glow",
        name="Spring glow",
        product=Product(name="Glow serum"),
        budget=Budget(total=Money(1_000_000, "USD"), per_creator_max=Money(200_000, "USD")),
        timeline=Timeline(
            publish_from=datetime(2026, 5, 1, tzinfo=UTC), publish_until=datetime(2026, 5, 11, tzinfo=UTC)
        ),
        requirements=CreatorRequirements(categories=("beauty", "fashion"), countries=("US",)),
        target_audience=(
            AudienceTarget(dimension=GENDER, keys=("female",), min_share=0.6),
            AudienceTarget(dimension=AGE, keys=("18-34",), min_share=0.5),
        ),
    )
    return attrs.evolve(base, **changes)


def creator(**changes: Any) -> CatalogRecord:
    base = CatalogRecord(
        creator_id="cr_ana",
        platform="tiktok",
        followers=42_000,
        engagement_rate=0.066,
        engagement_denominator=Denominator.VIEWS,
        price=Money(50_000, "USD"),
        audience={GENDER: {"female": 0.3, "male": 0.7}, AGE: {"18-24": 0.25, "25-34": 0.25, "35-44": 0.5}},
        categories=(Category.BEAUTY,),
        country="US",
        language="en",
        credibility=0.9,
        available_from=datetime(2026, 5, 6, tzinfo=UTC),
        available_until=datetime(2026, 6, 1, tzinfo=UTC),
        brand_results={"brand_glow": 0.8},
        recent_captions=("morning routine #ad",),
    )
    return attrs.evolve(base, **changes)


def components(match_components: Sequence[ScoreComponent]) -> dict[str, ScoreComponent]:
    return {c.name: c for c in match_components}


def test_each_component_is_named_scored_and_explained() -> None:
    match = score_candidate(brief(), creator(), as_of=AS_OF)
    by_name = components(match.components)
    # 30 % female against a 60 % floor is half the way; 18-24 and 25-34 count for the 18-34 target.
    assert by_name["audience_fit.gender"].score == pytest.approx(0.5)
    assert by_name["audience_fit.age"].score == pytest.approx(1.0)
    assert by_name["audience_fit.gender"].explanation == "30% of the audience in female (target at least 60%)"
    # micro tier on TikTok by views: median 5.5 %, so 6.6 % scores 0.6.
    assert by_name["engagement"].score == pytest.approx(0.066 / 0.11)
    assert "micro median of 5.50% on tiktok" in by_name["engagement"].explanation
    assert by_name["price"].score == pytest.approx(1 - 50_000 / 400_000)
    assert by_name["category"].score == 0.5 and "beauty" in by_name["category"].explanation
    assert by_name["availability"].score == pytest.approx(0.5)  # from 6 May of the 1–11 May window
    assert by_name["past_results"].score == 0.8
    weighted = [c for c in match.components if c.weight > 0]
    expected = sum(c.weight * c.score for c in weighted) / sum(c.weight for c in weighted)
    assert match.score == pytest.approx(expected)
    assert by_name["audience_fit.gender"].weight == pytest.approx(0.15)  # the audience weight shared by 2 targets


def test_unknown_figures_are_not_scored_and_say_so() -> None:
    bare = creator(price=None, audience={}, available_from=None, available_until=None, brand_results={})
    by_name = components(score_candidate(brief(), bare, as_of=AS_OF).components)
    for name in ("price", "availability", "past_results", "audience_fit.age"):
        assert by_name[name].weight == 0 and by_name[name].explanation.startswith("not scored")


def test_engagement_is_compared_only_over_the_same_denominator() -> None:
    assert er_benchmark("tiktok", Denominator.FOLLOWERS, 42_000) is None
    by_name = components(
        score_candidate(brief(), creator(engagement_denominator=Denominator.FOLLOWERS), as_of=AS_OF).components
    )
    assert by_name["engagement"].weight == 0
    assert tier(9_999) == "nano" and tier(1_000_000) == "mega"


def test_weights_change_the_score_and_bad_weights_are_refused() -> None:
    only_price = MatchWeights(audience=0, engagement=0, category=0, availability=0, past_results=0, price=1)
    assert score_candidate(brief(), creator(), as_of=AS_OF, weights=only_price).score == pytest.approx(0.875)
    with pytest.raises(ValidationError) as caught:
        MatchWeights(price=-1)
    assert caught.value.problems[0].path == "weights.price"


def test_quality_gate_vetoes_low_credibility() -> None:
    match = score_candidate(brief(), creator(credibility=0.5), as_of=AS_OF)
    gate = components(match.components)["quality_gate"]
    assert match.score == 0 and gate.veto and "below 75%" in gate.explanation


def banned_words_check(rules: ContentRules):
    """The content-rule matcher as the brand-safety check: the banned words any caption uses."""
    compiled = compiled_rules(rules, ())

    def check(captions: Sequence[str]) -> list[str]:
        found = []
        for caption in captions:
            for result in compiled.check(caption=caption):
                if result.rule.startswith("banned_word:") and not result.passed:
                    found.append(result.rule.removeprefix("banned_word:"))
        return found

    return check


def test_brand_safety_vetoes_a_banned_word_in_recent_captions() -> None:
    rules = ContentRules(banned_words=("cure",))
    safe_brief = brief(content_rules=rules)
    risky = creator(recent_captions=("this serum is a CURE for everything",))
    match = score_candidate(safe_brief, risky, as_of=AS_OF, safety=banned_words_check(rules))
    veto = components(match.components)["brand_safety"]
    assert match.score == 0 and veto.veto and "cure" in veto.explanation
    clean = score_candidate(safe_brief, creator(), as_of=AS_OF, safety=banned_words_check(rules))
    assert clean.score > 0 and not components(clean.components)["brand_safety"].veto


def test_rejections_name_each_failed_filter() -> None:
    assert rejections(brief(), creator()) == ()
    failed = rejections(brief(), creator(country="DE", categories=(Category.GAMING,), price=Money(300_000, "USD")))
    assert failed == ("category", "country", "price")
    assert rejections(brief(), creator(price=Money(1, "EUR"))) == ("price_currency",)
    gone = creator(available_from=datetime(2026, 6, 1, tzinfo=UTC), available_until=datetime(2026, 7, 1, tzinfo=UTC))
    assert rejections(brief(), gone) == ("availability",)


def test_contradictory_filters_are_refused() -> None:
    contradictory = brief(requirements=CreatorRequirements(min_followers=100_000, max_followers=10_000))
    with pytest.raises(ValidationError) as caught:
        check_brief(contradictory)
    assert caught.value.problems[0].path == "requirements.max_followers"
    with pytest.raises(ValidationError, match="brief"):
        check_brief(brief(requirements=CreatorRequirements(categories=("knitting",))))
