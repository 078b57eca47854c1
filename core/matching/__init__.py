"""Matching: a brief, from discovery across every enabled platform to a ranked list of creators, each score
explained by named components.

```python
result = kit.matching.match(Actor.brand("brand_lumen"), brief.id, top=20)
for match in result.matches:
    match.rank, match.creator_id, match.platforms, match.score
    [(c.name, c.score, c.weight, c.explanation) for c in match.components]
result.warnings      # what the brief asked that could not be answered, and which platform failed
result.platforms     # per platform: pages read, candidates returned and kept, the local checks made
```

The brief's filters go to each platform as one :class:`~creatorkit.entities.DiscoveryQuery` (its plugin
translates them); what a page's report says its platform approximated or ignored is applied here
(:mod:`creatorkit.discovery`). Local sources (``kit.matching.sources``, by default the creators of the brand's
past deals) add the creators the workspace knows, held to every filter. One person's accounts are linked by the
rule in :mod:`._linking` (a registered creator listing them, a profile listing its other accounts, the same
e-mail). Each account is scored by the ranking plugin ``[analytics] ranking`` names (entry points in
``creatorkit.ranking``; the built-in ``default`` is :class:`DefaultScorer`), with the weights of ``[analytics]
weights``; a creator ranks by their best account. See ``docs/analytics.md``, "Matching a brief".
"""

from ._linking import Found, Person, link
from ._planning import PlanInputs, ReachBasis, segment_key
from ._query import brief_query, check_match_brief
from ._ranking import RANKING_GROUP, DefaultScorer, load_scorer, match_weights
from ._records import candidate_record
from ._results import CreatorMatch, MatchResult, PlatformDiscovery
from ._service import MatchingService, MatchSource
from ._store_reads import CatalogSource, PastDealsSource

__all__ = [
    "RANKING_GROUP",
    "CatalogSource",
    "CreatorMatch",
    "DefaultScorer",
    "Found",
    "MatchResult",
    "MatchSource",
    "MatchingService",
    "PastDealsSource",
    "Person",
    "PlanInputs",
    "PlatformDiscovery",
    "ReachBasis",
    "brief_query",
    "candidate_record",
    "check_match_brief",
    "link",
    "load_scorer",
    "match_weights",
    "segment_key",
]
