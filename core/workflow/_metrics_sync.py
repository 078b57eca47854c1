"""The metrics sync: every post still measured read once per slot, through its platform's batch hook, into snapshots.

A round takes the posts due in the current slot (``[metrics] slot_hours``, a day by default): published posts of
deals that are live or completed, until ``track_days`` after publication, whose snapshot for the slot is not kept
yet. It asks each platform about ``batch_size`` posts per call, then writes that batch's snapshots in one
transaction with one audit event. A snapshot is keyed by post and slot, so a round run again, resumed after a
crash (it asks only about the posts still missing) or shared by several workers writes each post's snapshot for
the slot at most once; a batch that raced another writer is read again and its posts counted as already synced.

On SQLite the caller runs the round in its own process (:meth:`MetricsService.sync`); on PostgreSQL the same
batches become jobs (:mod:`._metrics_jobs`) that ``creatorkit worker`` processes on any number of hosts share.
Calls to the platform are made outside the transaction and are paced by the plugin's own toolkit limiter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .._service import Service, aware_datetime
from ..entities import (
    Actor,
    Capability,
    DealState,
    ErrorKind,
    ItemError,
    MetricsSyncReport,
    PartyKind,
    PostMetrics,
    PostMetricsRequest,
    PostSnapshot,
    PublishedPost,
    SyncFailure,
)
from ..errors import ConflictError, NotFound, PermissionDenied, PluginError, Problem, ValidationError
from ._machine import load_deal

if TYPE_CHECKING:
    from .._change import Change, View
    from .._kit import Creatorkit
    from ..config import MetricsSettings
    from ._metrics_jobs import MetricsQueue

__all__ = ["SNAPSHOT_KIND", "MetricsService", "slot_of", "snapshot_key"]

SNAPSHOT_KIND = "post_snapshot"
_MEASURED = (DealState.PUBLISHED.value, DealState.COMPLETED.value)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Called with the number of posts a batch finished, after each batch, for a progress bar.
Progress = Callable[[int], None]


def slot_of(moment: datetime, hours: int) -> datetime:
    """The start of the slot ``moment`` falls in: slots of ``hours`` hours from the Unix epoch, in UTC."""
    length = timedelta(hours=hours)
    return _EPOCH + ((moment.astimezone(UTC) - _EPOCH) // length) * length


def snapshot_key(post_id: str, slot: datetime) -> str:
    """The one key a post's snapshot of ``slot`` is kept under, whichever process writes it."""
    return f"{post_id}@{slot.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"


def _may_sync(actor: Actor) -> None:
    if actor.kind not in (PartyKind.SYSTEM, PartyKind.BRAND):
        raise PermissionDenied(str(actor), "sync_metrics", "the system or a brand (its own posts) syncs metrics")


class MetricsService(Service):
    """``kit.metrics``: sync rounds of post metrics, and each post's snapshots as a time series."""

    _drives_payments = False

    @property
    def settings(self) -> MetricsSettings:
        return self._kit.config.metrics

    def slot(self, now: datetime | None = None) -> datetime:
        """The slot ``now`` (default: the kit's clock) falls in."""
        moment = self._now() if now is None else aware_datetime(now, "now", "metrics sync")
        return slot_of(moment, self.settings.slot_hours)

    def due(self, actor: Actor, *, now: datetime | None = None) -> list[PublishedPost]:
        """The posts the round of ``now``'s slot still has to read, oldest publication first.

        The system sees every workspace's posts, a brand its own.
        """
        _may_sync(actor)
        slot = self.slot(now)
        earliest = slot - timedelta(days=self.settings.track_days)

        def work(view: View) -> list[PublishedPost]:
            workspace = actor.id if actor.kind is PartyKind.BRAND else None
            posts = view.find("post", PublishedPost, workspace=workspace)
            live = {record.id for record in view.records("deal", workspace=workspace, state=_MEASURED)}
            due = [p for p in posts if p.deal_id in live and earliest <= p.published_at < slot + _length(self)]
            return [p for p in due if view.get(SNAPSHOT_KIND, snapshot_key(p.id, slot)) is None]

        return sorted(self._read(actor, work, "sync_metrics"), key=lambda post: (post.published_at, post.id))

    def sync(
        self,
        actor: Actor,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        queue: MetricsQueue | None = None,
    ) -> MetricsSyncReport:
        """Run the round of ``now``'s slot: read every due post, in batches per platform, and keep its snapshot.

        With ``queue`` (PostgreSQL), the batches are queued as jobs for ``creatorkit worker`` instead, each at
        most once per slot; the report counts them as ``queued``. ``progress`` is told after each batch.
        """
        slot = self.slot(now)
        report = MetricsSyncReport(slot=slot)
        for platform, post_ids in self.batches(self.due(actor, now=now)):
            if queue is not None:
                report += queue.defer_batch(platform, post_ids, slot)
            else:
                report += self.sync_batch(actor, platform, post_ids, slot)
            if progress is not None:
                progress(len(post_ids))
        return report

    def batches(self, posts: Iterable[PublishedPost]) -> list[tuple[str, tuple[str, ...]]]:
        """``posts`` as (platform, post ids) batches of at most ``batch_size``, platform by platform."""
        by_platform: dict[str, list[str]] = {}
        for post in posts:
            by_platform.setdefault(post.platform, []).append(post.id)
        size = self.settings.batch_size
        return [
            (platform, tuple(ids[start : start + size]))
            for platform, ids in sorted(by_platform.items())
            for start in range(0, len(ids), size)
        ]

    def sync_batch(
        self, actor: Actor, platform: str, post_ids: Sequence[str], slot: datetime, *, synced_by: str = "in-process"
    ) -> MetricsSyncReport:
        """Read one batch of ``platform``'s posts for ``slot`` and keep their snapshots: a round's unit of work.

        Posts already snapshotted for the slot are not asked about again. What the platform says about one post
        (unknown, throttled …) is that post's failure; what fails the whole batch (an expired token, the platform
        down) is raised, so that a job is retried, and leaves nothing written.
        """
        _may_sync(actor)
        aware_datetime(slot, "slot", "metrics sync")
        if len(set(post_ids)) != len(post_ids):
            raise ValidationError([Problem("post_ids", "lists a post twice")], f"metrics batch of {platform}")
        posts = self._read(actor, lambda view: _batch_posts(view, actor, platform, post_ids), "sync_metrics")
        todo = self._read(actor, lambda view: _missing(view, posts, slot), "sync_metrics")
        already = len(posts) - len(todo)
        if not todo:
            return MetricsSyncReport(slot=slot, already_synced=already, posts=len(posts))
        fetched, failed = self._fetch(platform, todo)
        for attempt in (1, 2):  # a writer that raced us: read again which posts it wrote, write the rest
            try:
                written, raced = self._keep(actor, platform, fetched, slot, synced_by)
                break
            except ConflictError:
                if attempt == 2:
                    raise
        return MetricsSyncReport(
            slot=slot, synced=written, already_synced=already + raced, failed=failed, posts=len(posts)
        )

    def _fetch(
        self, platform: str, posts: Sequence[PublishedPost]
    ) -> tuple[list[tuple[PublishedPost, PostMetrics]], tuple[SyncFailure, ...]]:
        """The platform's figures for ``posts`` (a platform that cannot give them fails each post, saying why)."""
        refusal = _cannot_measure(self._kit, platform)
        if refusal is not None:
            return [], tuple(SyncFailure(post_id=p.id, platform=platform, error=refusal) for p in posts)
        client = self._kit.plugins.platform(platform)
        batch = client.fetch_post_metrics_batch(request=PostMetricsRequest(posts=tuple(posts)))
        fetched: list[tuple[PublishedPost, PostMetrics]] = []
        failed: list[SyncFailure] = []
        for post in posts:
            result = batch.result_for(post.platform_post_id)
            assert result is not None  # the host refuses a batch that leaves an asked-for post out
            if result.metrics is not None:
                fetched.append((post, result.metrics))
            else:
                assert result.error is not None
                failed.append(SyncFailure(post_id=post.id, platform=platform, error=result.error))
        return fetched, tuple(failed)

    def _keep(
        self,
        actor: Actor,
        platform: str,
        fetched: Sequence[tuple[PublishedPost, PostMetrics]],
        slot: datetime,
        synced_by: str,
    ) -> tuple[int, int]:
        """Write the snapshots not written yet, with their audit events; (written, found written by another)."""
        round_id = f"{platform}@{slot.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"

        def work(change: Change) -> tuple[int, int]:
            written: dict[str | None, list[str]] = {}
            for post, metrics in fetched:
                key = snapshot_key(post.id, slot)
                if change.get(SNAPSHOT_KIND, key) is not None:
                    continue
                snapshot = PostSnapshot(
                    post_id=post.id,
                    deal_id=post.deal_id,
                    platform=platform,
                    slot=slot,
                    fetched_at=change.now,
                    metrics=metrics,
                    synced_by=synced_by,
                )
                workspace = change.require("post", post.id).workspace
                change.insert(SNAPSHOT_KIND, snapshot, key=key, workspace=workspace, parent=post.id)
                written.setdefault(workspace, []).append(post.id)
            # One event per workspace, so that each brand's trail (and evidence export) holds its own posts' rounds.
            for workspace, post_ids in written.items() or [(None, [])]:
                payload = {"platform": platform, "slot": slot.isoformat(), "posts": post_ids, "synced_by": synced_by}
                change.audit("metrics.sync", "metrics_round", round_id, payload, workspace=workspace)
            count = sum(len(post_ids) for post_ids in written.values())
            return count, len(fetched) - count

        return self._write(actor, "sync_metrics", work)

    def post_history(self, actor: Actor, post_id: str) -> tuple[PostSnapshot, ...]:
        """The post's snapshots, slot by slot: NotFound unless ``actor`` may see the post's deal."""

        def work(view: View) -> tuple[PostSnapshot, ...]:
            post = _visible_post(view, actor, post_id)
            snapshots = view.find(SNAPSHOT_KIND, PostSnapshot, parent=post.id)
            return tuple(sorted(snapshots, key=lambda snapshot: snapshot.slot))

        return self._read(actor, work)


def _length(service: MetricsService) -> timedelta:
    return timedelta(hours=service.settings.slot_hours)


def _visible_post(view: View, actor: Actor, post_id: str) -> PublishedPost:
    record = view.get("post", post_id)
    if record is None:
        raise NotFound("post", post_id)
    post = view.entity(record, PublishedPost)
    try:
        load_deal(view, actor, post.deal_id)
    except NotFound:
        raise NotFound("post", post_id) from None
    return post


def _batch_posts(view: View, actor: Actor, platform: str, post_ids: Sequence[str]) -> list[PublishedPost]:
    posts = [_visible_post(view, actor, post_id) for post_id in post_ids]
    elsewhere = [
        Problem(f"post_ids[{i}]", f"is a post on {post.platform!r}")
        for i, post in enumerate(posts)
        if post.platform != platform
    ]
    if elsewhere:
        raise ValidationError(elsewhere, f"metrics batch of {platform}")
    return posts


def _missing(view: View, posts: Sequence[PublishedPost], slot: datetime) -> list[PublishedPost]:
    return [post for post in posts if view.get(SNAPSHOT_KIND, snapshot_key(post.id, slot)) is None]


def _cannot_measure(kit: Creatorkit, platform: str) -> ItemError | None:
    """Why ``platform`` cannot give post figures here (not enabled, no post metrics), or None when it can."""
    try:
        client = kit.plugins.platform(platform)
    except PluginError as error:
        return ItemError(kind=ErrorKind.NOT_SUPPORTED, message=f"platform {platform!r} is not enabled here: {error}")
    if not client.supports(Capability.POST_METRICS):
        return ItemError(kind=ErrorKind.NOT_SUPPORTED, message=f"platform {platform!r} gives no post metrics")
    return None
