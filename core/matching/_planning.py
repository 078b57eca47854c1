"""The budget planner's candidates for a brief, from its matches: each creator's price, followers and predicted
reach in the brief's target group, so that ``creatorkit plan BRIEF --budget AMOUNT`` needs no file.

For each of the brief's ``top`` matched creators, on the account where they fit the brief best:

- **price**: the account's rate card, as matching priced it (the brief's deliverable, else the cheapest tier in
  the budget's currency). No price, or one in another currency than the budget, leaves the creator out;
- **views of one post**: predicted (:func:`creatorkit.analytics.predict`, sponsored) from the account's own
  posts in the brand's past deals, as the store's latest snapshot of each reads, when at least
  :data:`~creatorkit.analytics.MINIMUM_POSTS` of them have settled: the expected figure and its 80 % interval.
  Otherwise the platform's own figure for one post (its sponsored posts' mean or median, else all posts'),
  without an interval. Only the brand's own deals are read: another brand's campaign results are not this
  brand's to see. No figure leaves the creator out;
- **share in the target group**: for each of the brief's audience targets, the account's share of its audience
  in the target's keys (age 18-24 and 25-34 together), multiplied across the targets as if the dimensions were
  independent (a demographic's age mix is not known per country). No target: everyone counts. An account
  without a breakdown of a targeted dimension is left out;
- **reach** = views × share, rounded to a person: a post's views stand for the people it reaches (an upper
  bound: one person may watch twice), one post per creator.

The target group is one segment, named by the brief's targets, of ``population`` people: the overlap of
audiences is computed against it, and nothing in the store says how many people the brief's target group has.
Every creator left out is named with the reason, in ``left_out`` and in the plan's warnings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from .._change import View
from ..analytics import (
    MINIMUM_POSTS,
    CatalogRecord,
    PastPost,
    PlanCandidate,
    SegmentReach,
    TargetSegment,
    predict,
)
from ..entities import CampaignBrief, Count, PostKind, PostSnapshot, PublishedPost
from ..errors import Problem, ValidationError
from ..workflow._metrics_sync import SNAPSHOT_KIND
from ._results import MatchResult

__all__ = ["PlanInputs", "ReachBasis", "plan_inputs", "segment_key"]


@attrs.frozen(kw_only=True)
class ReachBasis:
    """Where a candidate's reach came from: the views of one post (``views``, with ``low``–``high`` where the
    prediction gave an interval), what they rest on (``source``), and the ``share`` of the target group."""

    views: int
    low: int | None
    high: int | None
    share: float
    source: str


@attrs.frozen(kw_only=True)
class PlanInputs:
    """What the planner plans with for a brief: the target ``segment``, the ``candidates`` (the brief's matches
    that have a price in the budget's currency and a reach), how each reach was reached (``basis``, by creator),
    and every matched creator ``left_out``, with why."""

    brief_id: str
    as_of: datetime
    segment: TargetSegment
    candidates: tuple[PlanCandidate, ...]
    basis: Mapping[str, ReachBasis]
    left_out: Mapping[str, str]
    warnings: tuple[str, ...] = ()


def segment_key(brief: CampaignBrief) -> str:
    """The target group's name: its targets, ``gender female; age 18-24, 25-34``; ``everyone`` without one."""
    targets = [f"{target.dimension} {', '.join(target.keys)}" for target in brief.target_audience]
    return "; ".join(targets) or "everyone"


def plan_inputs(
    view: View,
    brief: CampaignBrief,
    matched: MatchResult,
    records: Mapping[tuple[str, str], CatalogRecord],
    *,
    population: int,
    currency: str,
) -> PlanInputs:
    """The planner's inputs from a brief's ``matched`` creators and the ``records`` they were scored from."""
    if type(population) is not int or population < 1:
        raise ValidationError([Problem("population", f"must be a whole number of people, got {population!r}")], "plan")
    segment = TargetSegment(key=segment_key(brief), population=population)
    candidates, basis, left_out = [], {}, {}
    for match in matched.matches:
        record = records.get((match.creator_id, match.best.platform))
        if record is None:  # a ranked account is always scored from a record; guard all the same
            left_out[match.creator_id] = "its matched account's figures are not at hand"
            continue
        why, reach = _reach(view, brief, record, matched.as_of, population)
        if why is None and reach is not None:
            why = _price_problem(record, currency)
        if why is not None or reach is None or record.price is None:
            left_out[match.creator_id] = why or "no reach"
            continue
        basis[match.creator_id] = reach
        candidates.append(
            PlanCandidate(
                creator_id=match.creator_id,
                platform=record.platform,
                followers=record.followers,
                price=record.price,
                reach=(SegmentReach(segment=segment.key, people=_people(reach.views, reach.share), **_ends(reach)),),
            )
        )
    return PlanInputs(
        brief_id=brief.id,
        as_of=matched.as_of,
        segment=segment,
        candidates=tuple(candidates),
        basis=basis,
        left_out=left_out,
        warnings=tuple(f"left out {creator}: {why}" for creator, why in left_out.items()),
    )


def _people(views: int, share: float) -> int:
    return round(views * share)


def _ends(reach: ReachBasis) -> dict[str, int | None]:
    if reach.low is None or reach.high is None:
        return {"low": None, "high": None}
    return {"low": _people(reach.low, reach.share), "high": _people(reach.high, reach.share)}


def _price_problem(record: CatalogRecord, currency: str) -> str | None:
    if record.price is None:
        return f"no price on its {record.platform} rate card"
    if record.price.currency != currency:
        return f"priced in {record.price.currency}, the budget is in {currency}"
    if record.price.amount <= 0:
        return f"its {record.platform} price is {record.price}"
    return None


def _reach(
    view: View, brief: CampaignBrief, record: CatalogRecord, as_of: datetime, population: int
) -> tuple[str | None, ReachBasis | None]:
    """(why the record has no reach, None) or (None, its reach basis)."""
    share = 1.0
    for target in brief.target_audience:
        shares = record.audience.get(target.dimension)
        if not shares:
            return f"no {target.dimension} breakdown of its {record.platform} audience", None
        share *= min(1.0, sum(shares.get(key, 0.0) for key in target.keys))
    basis = _predicted(view, brief, record, as_of, share)
    if basis is None and record.typical_views is not None:
        basis = ReachBasis(views=record.typical_views.value, low=None, high=None, share=share, source=_stated(record))
    if basis is None:
        return f"no view figure for one post on {record.platform}, and fewer than {MINIMUM_POSTS} settled posts", None
    if _people(basis.high if basis.high is not None else basis.views, share) > population:
        raise ValidationError(
            [Problem("population", f"{population} people is fewer than {record.creator_id}'s reach in the group")],
            "plan",
        )
    return None, basis


def _predicted(
    view: View, brief: CampaignBrief, record: CatalogRecord, as_of: datetime, share: float
) -> ReachBasis | None:
    """One post's views predicted from the account's history in the brand's deals; None when it is too short."""
    history = _history(view, brief.brand_id, record.creator_id, record.platform, as_of)
    if len(history) < MINIMUM_POSTS:
        return None
    key = f"{record.creator_id}@{record.platform}"
    try:
        prediction = predict(history, PostKind.SPONSORED, key=key, as_of=as_of, platform=record.platform)
    except ValidationError:  # fewer settled posts with views than a prediction rests on
        return None
    views = prediction.views
    source = f"predicted from {prediction.posts} posts of the brand's past deals on {record.platform}"
    return ReachBasis(views=views.expected.value, low=views.low, high=views.high, share=share, source=source)


def _stated(record: CatalogRecord) -> str:
    figure: Count | None = record.typical_views
    assert figure is not None
    return f"{record.platform}'s {figure.statistic} views per post ({figure.source}, as of {figure.as_of.date()})"


def _history(view: View, brand_id: str, creator_id: str, platform: str, as_of: datetime) -> Sequence[PastPost]:
    """The account's posts in the brand's deals, each as its latest snapshot fetched by ``as_of`` (all sponsored)."""
    history = []
    for deal in view.records("deal", workspace=brand_id, parent=creator_id):
        for post in view.find("post", PublishedPost, parent=deal.id):
            if post.platform != platform:
                continue
            read = [
                snapshot
                for snapshot in view.find(SNAPSHOT_KIND, PostSnapshot, parent=post.id)
                if snapshot.fetched_at <= as_of
            ]
            if read:
                latest = max(read, key=lambda snapshot: snapshot.slot)
                past = PastPost.from_metrics(latest.metrics, post.published_at, sponsored=True)
                # Read when fetched, or when the platform says its figures are from if that is earlier.
                history.append(attrs.evolve(past, as_of=min(latest.metrics.as_of, latest.fetched_at)))
    return history
