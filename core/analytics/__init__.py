"""Analytics: KPIs per post, creator, platform and campaign, each figure with its denominator, source and time.

```python
from creatorkit.analytics import PostResult, summarise
from creatorkit.entities import KpiScope

results = [PostResult(post_id=post.id, creator_id=deal.creator_id, metrics=metrics, cost=deal.price)]
campaign = summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis)
campaign.engagement_rate("views"), campaign.cpm.amount(), [a.met for a in campaign.attainment]
```

See ``docs/analytics.md`` for the formulas and what each figure is over.
"""

from __future__ import annotations

from ._catalog import Catalog, CatalogColumns, Ranking
from ._kpis import FollowerChange, PostResult, attain, post_kpis, summarise
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
    "BrandSafetyCheck",
    "Catalog",
    "CatalogColumns",
    "CatalogRecord",
    "FollowerChange",
    "MatchWeights",
    "PostResult",
    "Ranking",
    "Scorer",
    "attain",
    "er_benchmark",
    "post_kpis",
    "rejections",
    "score_candidate",
    "summarise",
    "tier",
]
