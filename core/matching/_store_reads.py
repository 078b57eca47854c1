"""What the workspace's own store knows for a match: its creators, its past deals and how they went.

* **Registered creators** (``kit.parties.register_creator``) are what links one person's accounts (see
  ``_linking``).
* **The past-deals source** (:class:`PastDealsSource`, the default of ``kit.matching.sources``): every creator
  the brief's brand has had a deal with, one record per account that has a metrics snapshot
  (``kit.creators.refresh_metrics``), from the latest snapshot and audience of that account.
* **Past results with the brand**: for each of the brand's completed deals, its brief's KPI targets judged by
  :func:`~creatorkit.analytics.attain` on the deal's posts (the latest synced snapshot of each, the deal's
  price spread over them); a creator's result is the share of all their judged targets that were met. A deal
  whose posts have no snapshot, or whose brief sets no KPI, judges nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._change import View
from ..analytics import CatalogRecord, PostResult, attain, summarise
from ..entities import (
    Actor,
    AudienceProfile,
    CampaignBrief,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    Deal,
    DealState,
    KpiScope,
    PartyKind,
    PostSnapshot,
    PublishedPost,
)
from ..workflow._metrics_sync import SNAPSHOT_KIND
from ._ranking import match_weights
from ._records import candidate_record

if TYPE_CHECKING:
    from .._kit import Creatorkit

__all__ = ["PastDealsSource", "brand_results", "registered_creators"]

E = TypeVar("E")


def registered_creators(view: View) -> list[CreatorProfile]:
    return view.find("creator", CreatorProfile)


def _latest(view: View, kind: str, creator_id: str, platform: str, cls: type[E]) -> E | None:
    found = view.records(kind, parent=creator_id, state=platform)
    return view.entity(found[-1], cls) if found else None


def records_of(view: View, brief: CampaignBrief, profile: CreatorProfile) -> list[CatalogRecord]:
    """One record per account of ``profile`` with a metrics snapshot, as discovery would have given it."""
    records = []
    for account in profile.accounts:
        metrics = _latest(view, "metrics_snapshot", profile.id, account.platform, CreatorMetrics)
        if metrics is None:
            continue
        audience = _latest(view, "audience_snapshot", profile.id, account.platform, AudienceProfile)
        candidate = CreatorCandidate(
            platform=account.platform,
            profile=profile,
            metrics=metrics,
            audience=audience,
        )
        record = candidate_record(brief, candidate, profile.id)
        if record is not None:
            records.append(record)
    return records


@attrs.define
class PastDealsSource:
    """The creators the brief's brand has had deals with, from the store's snapshots of their accounts."""

    kit: Creatorkit
    name: str = "past_deals"

    def records(self, brief: CampaignBrief) -> Iterable[CatalogRecord]:
        with self.kit.store._read_transaction() as tx:
            view = View(tx, self.kit._entities)
            creators = dict.fromkeys(record.parent for record in view.records("deal", workspace=brief.brand_id))
            found: list[CatalogRecord] = []
            for creator_id in creators:
                stored = view.get("creator", creator_id or "")
                if stored is not None:
                    found.extend(records_of(view, brief, view.entity(stored, CreatorProfile)))
            return found


@attrs.define
class CatalogSource:
    """The brief's brand's local catalog (``kit.catalog``: creators it imported): its ``limit`` best rows.

    The catalog filters and scores column-wise (:meth:`~creatorkit.analytics.Catalog.shortlist`), so a million
    imported creators cost one pass over the columns and ``limit`` records, not a million.
    """

    kit: Creatorkit
    name: str = "catalog"
    limit: int = 500

    def records(self, brief: CampaignBrief) -> Iterable[CatalogRecord]:
        brand = Actor(id=brief.brand_id, kind=PartyKind.BRAND)
        if self.kit.catalog.size(brand) == 0:
            return []
        weights = match_weights(self.kit.config.analytics)
        return self.kit.catalog.load(brand).shortlist(brief, count=self.limit, weights=weights)


def brand_results(view: View, brand_id: str) -> dict[str, float]:
    """Each creator's share of KPI targets met in the brand's completed deals (only creators with a judgement)."""
    met: dict[str, list[int]] = {}
    for deal in view.find("deal", Deal, workspace=brand_id, state=str(DealState.COMPLETED)):
        stored = view.get("brief", deal.brief_id)
        if stored is None:
            continue
        brief = view.entity(stored, CampaignBrief)
        results = _post_results(view, deal)
        if not brief.kpis or not results:
            continue
        summary = summarise(results, KpiScope.CREATOR, deal.creator_id, brief.kpis)
        judged = [attain(kpi, summary).met for kpi in brief.kpis]
        tally = met.setdefault(deal.creator_id, [0, 0])
        tally[0] += sum(1 for verdict in judged if verdict)
        tally[1] += sum(1 for verdict in judged if verdict is not None)
    return {creator: hits / total for creator, (hits, total) in met.items() if total}


def _post_results(view: View, deal: Deal) -> list[PostResult]:
    posts = view.find("post", PublishedPost, parent=deal.id)
    measured = []
    for post in posts:
        snapshots = view.find(SNAPSHOT_KIND, PostSnapshot, parent=post.id)
        if snapshots:
            measured.append((post, max(snapshots, key=lambda s: s.slot).metrics))
    if not measured:
        return []
    costs = deal.price.allocate([1] * len(measured)) if deal.price is not None else [None] * len(measured)
    return [
        PostResult(post_id=post.id, creator_id=deal.creator_id, metrics=metrics, cost=cost)
        for (post, metrics), cost in zip(measured, costs, strict=True)
    ]
