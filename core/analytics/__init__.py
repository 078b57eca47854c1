"""Analytics: KPIs per post, creator, platform and campaign, each figure with its denominator, source and time.

```python
from creatorkit.analytics import PostResult, summarise
from creatorkit.entities import KpiScope

results = [PostResult(post_id=post.id, creator_id=deal.creator_id, metrics=metrics, cost=deal.price)]
campaign = summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis)
campaign.engagement_rate("views"), campaign.cpm.amount(), [a.met for a in campaign.attainment]
```

The budget planner (:func:`plan_budget`) picks the creators with the most unique target reach a budget buys
and compares them with one top creator, several mid-tier and many micro.

See ``docs/analytics.md`` for the formulas and what each figure is over.
"""

from __future__ import annotations

from ._kpis import FollowerChange, PostResult, attain, post_kpis, summarise
from ._planner import PlanCandidate, SegmentReach, TargetSegment, plan_budget, tier_of

__all__ = [
    "FollowerChange",
    "PlanCandidate",
    "PostResult",
    "SegmentReach",
    "TargetSegment",
    "attain",
    "plan_budget",
    "post_kpis",
    "summarise",
    "tier_of",
]
