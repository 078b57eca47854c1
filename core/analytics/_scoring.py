"""How well one creator fits a brief: a score made of named, weighted, explained components.

The score is ``Σ wᵢ·sᵢ ÷ Σ wᵢ`` over the components that could be scored, each ``sᵢ`` in [0, 1]:

* ``audience_fit.<dimension>``, one per target of the brief: the share of the creator's audience in the target's
  keys, ``min(share, min_share) ÷ min_share`` (1 once the floor is met), or the share itself with no floor. A
  creator's age bucket counts for a target bucket that contains it (``18-24`` counts for ``18-34``);
* ``engagement``: the creator's engagement rate against the median of its follower tier on its own platform and
  over the same denominator, ``min(1, rate ÷ (2 × benchmark))``: 0.5 at the benchmark, 1 at twice it. Without a
  benchmark for that platform and denominator it is not scored (figures over different denominators differ by
  an order of magnitude and are never compared);
* ``price``: ``1 − price ÷ (2 × cap)``, the cap being the brief's per-creator maximum, else its total budget;
* ``category``: the share of the brief's categories the creator covers;
* ``availability``: the share of the campaign's publishing window the creator is available in;
* ``past_results``: the share of KPI targets the creator met in earlier campaigns with the same brand.

A figure the creator does not have is not guessed: its component is listed with weight 0 and says so, and the
others carry the score. Two components are vetoes, not weights: the audience-quality gate (credibility, the
share of real followers, below ``MatchWeights.min_credibility``) and brand safety (a banned word of the brief in
a recent caption, found by the content-rule matcher handed in as ``brand_safety``). Either sets the score to 0.

The brief's hard filters (platform, category, country, language, follower range, engagement floor, price cap and
currency, availability in the window) are :func:`rejections`; a ranking applies them before scoring.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from ..entities import (
    AudienceDimension,
    CampaignBrief,
    Category,
    Count,
    Denominator,
    Match,
    ScoreComponent,
    age_range,
)
from ..errors import Problem, ValidationError
from ..money import Money

__all__ = [
    "CATEGORY_BITS",
    "DEFAULT_WEIGHTS",
    "ER_BENCHMARKS",
    "TIERS",
    "BrandSafetyCheck",
    "CatalogRecord",
    "MatchWeights",
    "Scorer",
    "check_brief",
    "er_benchmark",
    "rejections",
    "score_candidate",
    "tier",
]

#: Follower tiers, smallest first, as (name, lowest follower count) — the Later × Fohr bands.
TIERS = (("nano", 0), ("micro", 10_000), ("mid", 100_000), ("macro", 500_000), ("mega", 1_000_000))
#: Median engagement rate per (platform, denominator, tier): the middle of the vendors' "average" bands
#: (Instagram by followers, TikTok by views). Only figures over the same denominator are ever compared.
ER_BENCHMARKS: Mapping[tuple[str, Denominator], Mapping[str, float]] = {
    ("instagram", Denominator.FOLLOWERS): {"nano": 0.04, "micro": 0.0275, "mid": 0.02, "macro": 0.014, "mega": 0.0095},
    ("tiktok", Denominator.VIEWS): {"nano": 0.08, "micro": 0.055, "mid": 0.04, "macro": 0.0275, "mega": 0.015},
}

#: Each core category's bit in a catalog's ``categories`` column (fewer than 64 categories: one ``uint64``).
CATEGORY_BITS = {category: 1 << index for index, category in enumerate(Category)}
#: Given a creator's recent captions, the brief's banned words found in them (none: safe).
BrandSafetyCheck = Callable[[Sequence[str]], Sequence[str]]


def tier(followers: int) -> str:
    """The follower tier of an account: ``tier(42_000)`` → ``"micro"``."""
    name = TIERS[0][0]
    for candidate, lowest in TIERS:
        if followers >= lowest:
            name = candidate
    return name


def er_benchmark(platform: str, denominator: Denominator, followers: int) -> float | None:
    """The tier's median engagement rate on ``platform`` over ``denominator``; None where none is known."""
    table = ER_BENCHMARKS.get((platform, denominator))
    return None if table is None else table[tier(followers)]


def _fraction(value: float) -> float:
    return max(0.0, min(1.0, value))


@attrs.frozen(kw_only=True)
class MatchWeights:
    """How much each component counts, and the quality gate's floor. Weights need not sum to 1.

    The defaults put the audience first, as briefs are written around one; ``audience`` is shared equally by the
    brief's audience targets, so a brief with three targets does not count the audience three times.
    """

    audience: float = 0.30
    engagement: float = 0.20
    price: float = 0.15
    category: float = 0.15
    availability: float = 0.10
    past_results: float = 0.10
    min_credibility: float = 0.75

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(f"weights.{field.name}", f"must be a number ≥ 0, got {getattr(self, field.name)!r}")
            for field in attrs.fields(MatchWeights)
            if not isinstance(getattr(self, field.name), int | float) or not getattr(self, field.name) >= 0
        ]
        if not problems and self.min_credibility > 1:
            problems.append(Problem("weights.min_credibility", f"is a share, at most 1, got {self.min_credibility}"))
        if problems:
            raise ValidationError(problems, "match weights")


#: The weights a ranking uses when given none.
DEFAULT_WEIGHTS = MatchWeights()


@attrs.frozen(kw_only=True)
class CatalogRecord:
    """One creator account the workspace knows, with what matching needs to know about it.

    ``engagement_rate`` is a fraction over ``engagement_denominator``; ``audience`` maps each dimension to its
    canonical keys' shares; ``credibility`` is the share of real followers; ``available_from``/``until`` the one
    window the creator takes work in (None: not known); ``brand_results`` the share of KPI targets met in past
    campaigns, by brand id; ``recent_captions`` what brand safety scans. ``typical_views`` is one post's views
    as the platform states them (its sponsored posts' mean or median where it gives one, else all posts'), with
    their statistic, source and time; None where nothing per post is known. The scorer does not read it; the
    budget planner predicts reach from it when the store holds too little of the account's own history.
    """

    creator_id: str
    platform: str
    followers: int
    engagement_rate: float
    engagement_denominator: Denominator
    price: Money | None = None
    audience: Mapping[AudienceDimension, Mapping[str, float]] = attrs.field(factory=dict)
    categories: tuple[Category, ...] = ()
    country: str | None = None
    language: str | None = None
    credibility: float | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    brand_results: Mapping[str, float] = attrs.field(factory=dict)
    recent_captions: tuple[str, ...] = ()
    typical_views: Count | None = None


class Scorer:
    """What replaces the default scoring (a ranking plugin): one candidate in, its explained :class:`Match` out."""

    def score(self, brief: CampaignBrief, candidate: CatalogRecord, *, as_of: datetime) -> Match:
        raise NotImplementedError


def check_brief(brief: CampaignBrief) -> None:
    """Refuse a brief whose filters contradict each other, rather than answer it with an empty list.

    :raises ValidationError: naming each contradiction.
    """
    wanted, problems = brief.requirements, []
    low, high = wanted.min_followers, wanted.max_followers
    if low is not None and high is not None and low > high:
        problems.append(Problem("requirements.max_followers", f"{high} is below min_followers {low}"))
    try:
        _ = [Category(name) for name in wanted.categories]
    except ValueError as exc:
        problems.append(Problem("requirements.categories", str(exc)))
    for index, target in enumerate(brief.target_audience):
        if not target.keys:
            problems.append(Problem(f"target_audience[{index}].keys", "names no audience bucket"))
    if problems:
        raise ValidationError(problems, "brief")


@functools.lru_cache(maxsize=4096)
def covers(dimension: AudienceDimension, target_keys: Sequence[str], bucket: str) -> bool:
    """Whether a creator's audience bucket counts for a target: the same key, or an age bucket inside a target's."""
    if bucket in target_keys:
        return True
    if dimension is not AudienceDimension.AGE:
        return False
    try:
        inside = age_range(bucket).buckets
        return any(inside <= age_range(key).buckets for key in target_keys)
    except ValueError:
        return False


@functools.lru_cache(maxsize=1024)
def counted(dimension: AudienceDimension, target_keys: tuple[str, ...], buckets: tuple[str, ...]) -> tuple[str, ...]:
    """Which of a creator's ``buckets`` count for a target; the same few bucket lists recur for every creator."""
    return tuple(bucket for bucket in buckets if covers(dimension, target_keys, bucket))


def price_cap(brief: CampaignBrief) -> Money:
    """What one creator may cost: the brief's per-creator maximum, else its whole budget."""
    return brief.budget.per_creator_max or brief.budget.total


def rejections(brief: CampaignBrief, candidate: CatalogRecord) -> tuple[str, ...]:
    """The brief's hard filters ``candidate`` fails, by name (empty: it may be ranked).

    An unknown figure (no price, no country, no availability) fails no filter: it is scored as unknown instead.
    """
    wanted, failed = brief.requirements, []
    if wanted.platforms and candidate.platform not in wanted.platforms:
        failed.append("platform")
    if wanted.categories and not set(wanted.categories) & set(candidate.categories):
        failed.append("category")
    if wanted.countries and candidate.country not in wanted.countries:
        failed.append("country")
    if wanted.languages and candidate.language not in wanted.languages:
        failed.append("language")
    if wanted.min_followers is not None and candidate.followers < wanted.min_followers:
        failed.append("min_followers")
    if wanted.max_followers is not None and candidate.followers > wanted.max_followers:
        failed.append("max_followers")
    if wanted.min_engagement_rate is not None and candidate.engagement_rate < wanted.min_engagement_rate:
        failed.append("min_engagement_rate")
    cap = price_cap(brief)
    if candidate.price is not None and candidate.price.currency != cap.currency:
        failed.append("price_currency")
    elif candidate.price is not None and candidate.price.amount > cap.amount:
        failed.append("price")
    if _available_seconds(brief, candidate) == 0:
        failed.append("availability")
    return tuple(failed)


def _available_seconds(brief: CampaignBrief, candidate: CatalogRecord) -> float | None:
    """Seconds of the publishing window the creator is available in; None when its availability is unknown."""
    if candidate.available_from is None or candidate.available_until is None:
        return None
    start = max(brief.timeline.publish_from, candidate.available_from)
    end = min(brief.timeline.publish_until, candidate.available_until)
    if end < start:
        return 0
    return max((end - start).total_seconds(), 1e-9)  # touching the window at one instant still overlaps it


def _not_scored(name: str, why: str) -> ScoreComponent:
    return ScoreComponent(name=name, score=0.0, weight=0.0, explanation=f"not scored: {why}")


def _audience(brief: CampaignBrief, candidate: CatalogRecord, weight: float) -> list[ScoreComponent]:
    components, share_weight = [], weight / max(1, len(brief.target_audience))
    for target in brief.target_audience:
        name, shares = f"audience_fit.{target.dimension}", candidate.audience.get(target.dimension)
        if not shares:
            components.append(_not_scored(name, f"no {target.dimension} figures for this audience"))
            continue
        share = sum(shares[key] for key in counted(target.dimension, tuple(target.keys), tuple(shares)))
        shown = ", ".join(target.keys)
        if target.min_share > 0:
            score = min(share, target.min_share) / target.min_share
            explanation = f"{share:.0%} of the audience in {shown} (target at least {target.min_share:.0%})"
        else:
            score, explanation = _fraction(share), f"{share:.0%} of the audience in {shown}"
        fit = ScoreComponent(name=name, score=_fraction(score), weight=share_weight, explanation=explanation)
        components.append(fit)
    return components


def _engagement(candidate: CatalogRecord, weight: float) -> ScoreComponent:
    denominator = candidate.engagement_denominator
    benchmark = er_benchmark(candidate.platform, denominator, candidate.followers)
    if benchmark is None:
        return _not_scored("engagement", f"no {candidate.platform} benchmark by {denominator}")
    score = _fraction(candidate.engagement_rate / (2 * benchmark))
    explanation = (
        f"{candidate.engagement_rate:.2%} by {denominator} against the {tier(candidate.followers)} median of "
        f"{benchmark:.2%} on {candidate.platform}"
    )
    return ScoreComponent(name="engagement", score=score, weight=weight, explanation=explanation)


def _price(brief: CampaignBrief, candidate: CatalogRecord, weight: float) -> ScoreComponent:
    cap = price_cap(brief)
    if candidate.price is None:
        return _not_scored("price", "no price known")
    if candidate.price.currency != cap.currency:
        return _not_scored("price", f"priced in {candidate.price.currency}, the budget is in {cap.currency}")
    score = 1.0 if cap.amount == 0 else _fraction(1 - candidate.price.amount / (2 * cap.amount))
    explanation = f"{candidate.price} against a cap of {cap} per creator"
    return ScoreComponent(name="price", score=score, weight=weight, explanation=explanation)


def _category(brief: CampaignBrief, candidate: CatalogRecord, weight: float) -> ScoreComponent:
    wanted = tuple(dict.fromkeys(Category(name) for name in brief.requirements.categories))
    if not wanted:
        return _not_scored("category", "the brief names no category")
    shared = [c for c in wanted if c in candidate.categories]
    explanation = f"covers {len(shared)} of {len(wanted)} categories ({', '.join(shared) or 'none'})"
    return ScoreComponent(name="category", score=len(shared) / len(wanted), weight=weight, explanation=explanation)


def _availability(brief: CampaignBrief, candidate: CatalogRecord, weight: float) -> ScoreComponent:
    seconds = _available_seconds(brief, candidate)
    if seconds is None:
        return _not_scored("availability", "no availability known")
    window = (brief.timeline.publish_until - brief.timeline.publish_from).total_seconds()
    score = 1.0 if window == 0 else _fraction(seconds / window)
    explanation = f"available for {score:.0%} of the publishing window"
    return ScoreComponent(name="availability", score=score, weight=weight, explanation=explanation)


def _past_results(brief: CampaignBrief, candidate: CatalogRecord, weight: float) -> ScoreComponent:
    met = candidate.brand_results.get(brief.brand_id)
    if met is None:
        return _not_scored("past_results", f"no earlier campaign with {brief.brand_id}")
    explanation = f"met {met:.0%} of KPI targets in earlier campaigns with {brief.brand_id}"
    return ScoreComponent(name="past_results", score=_fraction(met), weight=weight, explanation=explanation)


def quality_gate(candidate: CatalogRecord, floor: float) -> ScoreComponent:
    """The audience-quality gate: a veto below ``floor`` credibility; an unknown credibility passes, and says so."""
    if candidate.credibility is None:
        unknown = "no credibility figure; not gated"
        return ScoreComponent(name="quality_gate", score=1.0, weight=0.0, explanation=unknown)
    passed = candidate.credibility >= floor
    explanation = f"{candidate.credibility:.0%} real followers ({'at least' if passed else 'below'} {floor:.0%})"
    return ScoreComponent(
        name="quality_gate", score=1.0 if passed else 0.0, weight=0.0, explanation=explanation, veto=not passed
    )


def brand_safety(brief: CampaignBrief, candidate: CatalogRecord, check: BrandSafetyCheck | None) -> ScoreComponent:
    """The brand-safety veto: any banned word of the brief in the creator's recent captions."""
    if not brief.content_rules.banned_words:
        return ScoreComponent(name="brand_safety", score=1.0, weight=0.0, explanation="the brief bans no word")
    if check is None:
        return _not_scored("brand_safety", "no caption check given")
    found = tuple(dict.fromkeys(check(candidate.recent_captions)))
    if not found:
        explanation = f"no banned word in {len(candidate.recent_captions)} recent captions"
        return ScoreComponent(name="brand_safety", score=1.0, weight=0.0, explanation=explanation)
    explanation = f"banned words in recent captions: {', '.join(found)}"
    return ScoreComponent(name="brand_safety", score=0.0, weight=0.0, explanation=explanation, veto=True)


def combined(components: Sequence[ScoreComponent]) -> float:
    """``Σ wᵢ·sᵢ ÷ Σ wᵢ`` over the weighted components; 0 with a veto or with nothing scored."""
    if any(component.veto for component in components):
        return 0.0
    total = sum(component.weight for component in components)
    return 0.0 if total == 0 else _fraction(sum(c.weight * c.score for c in components) / total)


def score_candidate(
    brief: CampaignBrief,
    candidate: CatalogRecord,
    *,
    as_of: datetime,
    weights: MatchWeights = DEFAULT_WEIGHTS,
    safety: BrandSafetyCheck | None = None,
) -> Match:
    """One candidate's explained :class:`Match` for ``brief`` (its hard filters are :func:`rejections`)."""
    components = (
        *_audience(brief, candidate, weights.audience),
        _engagement(candidate, weights.engagement),
        _price(brief, candidate, weights.price),
        _category(brief, candidate, weights.category),
        _availability(brief, candidate, weights.availability),
        _past_results(brief, candidate, weights.past_results),
        quality_gate(candidate, weights.min_credibility),
        brand_safety(brief, candidate, safety),
    )
    return Match(
        brief_id=brief.id,
        creator_id=candidate.creator_id,
        platform=candidate.platform,
        score=combined(components),
        components=components,
        as_of=as_of,
    )
