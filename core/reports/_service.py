"""``kit.reports``: a campaign's deals, posts, snapshots and audiences read in one transaction, then its report.

Only the brand that owns the brief (or the system) sees its report: it holds every creator's price and results,
which are the brand's business. Another party asking about a brief it cannot see is told it does not exist, as
``kit.briefs.get`` tells it; a party that may see a published brief but not its report is refused, and the
refusal is recorded like any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from .._service import Service, aware_datetime
from ..analytics._report import CampaignData, CampaignPost, CampaignReport, build_report
from ..entities import (
    AccountSnapshot,
    Actor,
    AudienceProfile,
    BriefStatus,
    CampaignBrief,
    ContentSubmission,
    CreatorMetrics,
    Deal,
    PartyKind,
    PostSnapshot,
    PublishedPost,
)
from ..errors import NotFound, PermissionDenied
from ..workflow._metrics_sync import ACCOUNT_SNAPSHOT_KIND, SNAPSHOT_KIND

if TYPE_CHECKING:
    from .._change import View

__all__ = ["ReportService"]

E = TypeVar("E")


class ReportService(Service):
    """``kit.reports``: campaign reports, computed from what the store holds now."""

    def campaign(self, actor: Actor, brief_id: str, as_of: datetime | None = None) -> CampaignReport:
        """The report of the campaign of ``brief_id`` at ``as_of`` (default: the kit's clock).

        :raises NotFound: no such brief, or one ``actor`` may not see.
        :raises PermissionDenied: ``actor`` sees the brief (it is published) but is not its brand.
        """
        moment = self._now() if as_of is None else aware_datetime(as_of, "as_of", "campaign report")
        data = self._read(actor, lambda view: _gather(view, actor, brief_id, moment), "view_report")
        return build_report(data, moment)


def _brief(view: View, actor: Actor, brief_id: str) -> CampaignBrief:
    record = view.get("brief", brief_id)
    if record is None:
        raise NotFound("brief", brief_id)
    brief = view.entity(record, CampaignBrief)
    if actor.kind is PartyKind.SYSTEM or (actor.kind is PartyKind.BRAND and actor.id == brief.brand_id):
        return brief
    if brief.status is not BriefStatus.PUBLISHED:  # as kit.briefs.get: only a published brief is seen by others
        raise NotFound("brief", brief_id)
    raise PermissionDenied(
        str(actor), "view_report", "only the brand that owns a campaign sees its report", f"brief {brief_id}"
    )


def _gather(view: View, actor: Actor, brief_id: str, as_of: datetime) -> CampaignData:
    """What the report of ``as_of`` reads: account figures only as far as they had been read by then."""
    brief = _brief(view, actor, brief_id)
    deals = [d for d in view.find("deal", Deal, workspace=brief.brand_id) if d.brief_id == brief.id]
    posts, names, audiences, accounts = [], {}, {}, {}
    for deal in deals:
        if deal.creator_id not in names:
            creator = view.get("creator", deal.creator_id)
            names[deal.creator_id] = (
                str(creator.doc.get("display_name", deal.creator_id)) if creator else deal.creator_id
            )
            audiences[deal.creator_id] = _latest(view, "audience_snapshot", deal.creator_id, AudienceProfile)
            accounts[deal.creator_id] = _account_history(view, deal.creator_id, as_of)
        for post in view.find("post", PublishedPost, parent=deal.id):
            posts.append(_post(view, deal, post, as_of))
    return CampaignData(
        brief=brief,
        deals=tuple(deals),
        posts=tuple(posts),
        creator_names=names,
        audiences=audiences,
        account_metrics=accounts,
    )


def _account_history(view: View, creator_id: str, as_of: datetime) -> dict[str, tuple[CreatorMetrics, ...]]:
    """The creator's account figures per platform, oldest first: the sync rounds' snapshots and the creator's own
    refreshes read by ``as_of`` (windowed ones, over a period, left out)."""
    found = [
        view.entity(r, CreatorMetrics)
        for r in view.records("metrics_snapshot", parent=creator_id)
        if r.updated_at <= as_of
    ]
    rounds = view.find(ACCOUNT_SNAPSHOT_KIND, AccountSnapshot, parent=creator_id)
    found += [s.metrics for s in rounds if s.fetched_at <= as_of]
    history: dict[str, list[CreatorMetrics]] = {}
    for metrics in found:
        if metrics.period is None:
            history.setdefault(metrics.platform, []).append(metrics)
    return {platform: tuple(sorted(kept, key=lambda m: m.as_of)) for platform, kept in history.items()}


def _post(view: View, deal: Deal, post: PublishedPost, as_of: datetime) -> CampaignPost:
    submission = view.get("submission", post.submission_id)
    caption = view.entity(submission, ContentSubmission).caption if submission is not None else ""
    snapshots = sorted(view.find(SNAPSHOT_KIND, PostSnapshot, parent=post.id), key=lambda s: s.slot)
    metrics = _latest(view, "metrics_snapshot", deal.creator_id, CreatorMetrics, as_of).get(post.platform)
    followers = metrics.followers.value if metrics is not None and metrics.followers is not None else None
    return CampaignPost(post=post, deal=deal, caption=caption, snapshots=tuple(snapshots), followers=followers or None)


def _latest(view: View, kind: str, creator_id: str, cls: type[E], as_of: datetime | None = None) -> dict[str, E]:
    """The creator's latest snapshot of ``kind`` per platform written by ``as_of`` (records come oldest first: the
    last one wins)."""
    latest = {
        record.state: record
        for record in view.records(kind, parent=creator_id)
        if record.state and (as_of is None or record.updated_at <= as_of)
    }
    return {str(platform): view.entity(record, cls) for platform, record in latest.items()}
