"""Analytics: KPIs per post, creator, platform and campaign, each figure with its denominator, source and time;
matching scores that explain themselves, and a local catalog that ranks a brief over a million creators.

```python
from creatorkit.analytics import PostResult, summarise
from creatorkit.entities import KpiScope

results = [PostResult(post_id=post.id, creator_id=deal.creator_id, metrics=metrics, cost=deal.price)]
campaign = summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis)
campaign.engagement_rate("views"), campaign.cpm.amount(), [a.met for a in campaign.attainment]
```

```python
from creatorkit.analytics import Catalog, MatchWeights

ranking = Catalog.from_records(records).rank(brief, as_of=now, top=100, weights=MatchWeights(price=0.3))
[(m.creator_id, m.score, [(c.name, c.score, c.explanation) for c in m.components]) for m in ranking.matches]
```

The budget planner (:func:`plan_budget`) picks the creators with the most unique target reach a budget buys
and compares them with one top creator, several mid-tier and many micro.

See ``docs/analytics.md`` for the formulas and what each figure is over.
"""

from __future__ import annotations

from ._catalog import Catalog, CatalogColumns, Ranking
from ._kpis import FollowerChange, PostResult, attain, post_kpis, summarise
from ._planner import PlanCandidate, SegmentReach, TargetSegment, plan_budget, tier_of
from ._prediction import MINIMUM_POSTS, PastPost, predict
from ._report import (
    AudienceMatch,
    CampaignData,
    CampaignPost,
    CampaignReport,
    CreatorReport,
    PostReport,
    ViewsPoint,
    ViewsSeries,
    build_report,
)
from ._scoring import (
    BrandSafetyCheck,
    CatalogRecord,
    MatchWeights,
    Scorer,
    er_benchmark,
    rejections,
    score_candidate,
    tier,
)

__all__ = [
    "MINIMUM_POSTS",
    "AudienceMatch",
    "BrandSafetyCheck",
    "CampaignData",
    "CampaignPost",
    "CampaignReport",
    "Catalog",
    "CatalogColumns",
    "CatalogRecord",
    "CreatorReport",
    "FollowerChange",
    "MatchWeights",
    "PastPost",
    "PlanCandidate",
    "PostReport",
    "PostResult",
    "Ranking",
    "Scorer",
    "SegmentReach",
    "TargetSegment",
    "ViewsPoint",
    "ViewsSeries",
    "attain",
    "build_report",
    "er_benchmark",
    "plan_budget",
    "post_kpis",
    "predict",
    "rejections",
    "score_candidate",
    "summarise",
    "tier",
    "tier_of",
]
