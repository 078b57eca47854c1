"""The metrics sync: every post still measured read once per slot, through its platform's batch hook, into snapshots.

A round takes the posts due in the current slot (``[metrics] slot_hours``, a day by default): published posts of
deals that are live or completed, until ``track_days`` after publication, whose snapshot for the slot is not kept
yet. It asks each platform about ``batch_size`` posts per call, then writes that batch's snapshots in one
transaction with one audit event. A snapshot is keyed by post and slot, so a round run again, resumed after a
crash (it asks only about the posts still missing) or shared by several workers writes each post's snapshot for
the slot at most once; a batch that raced another writer is read again and its posts counted as already synced.

The same round reads the creators' accounts of those deals (and of deals signed and running, so that a campaign's
follower growth has its starting point): one :class:`~creatorkit.entities.CreatorMetrics` per account and slot,
kept as an :class:`~creatorkit.entities.AccountSnapshot` under the account and the slot (the creator's page shows
the freshest of those and the creator's own refreshes). Only the system reads accounts: they are
the creators' figures, in the creators' workspaces, which a brand may read but not write.

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
    AccountSnapshot,
    AccountSyncFailure,
    Actor,
    Capability,
    CreatorMetrics,
    CreatorProfile,
    DealState,
    ErrorKind,
    ItemError,
    MetricsSyncReport,
    PartyKind,
    PlatformAccount,
    PostMetrics,
    PostMetricsRequest,
    PostSnapshot,
    PublishedPost,
    SyncFailure,
)
from ..errors import (
    AuthExpired,
    ConflictError,
    NotFound,
    PermissionDenied,
    PlatformError,
    PluginError,
    Problem,
    RateLimited,
    Transient,
    ValidationError,
)
from ._machine import load_deal

if TYPE_CHECKING:
    from .._change import Change, View
    from .._kit import Creatorkit
    from ..config import MetricsSettings
    from ._metrics_jobs import MetricsQueue

__all__ = ["ACCOUNT_SNAPSHOT_KIND", "SNAPSHOT_KIND", "MetricsService", "account_key", "slot_of", "snapshot_key"]

SNAPSHOT_KIND = "post_snapshot"
ACCOUNT_SNAPSHOT_KIND = "account_snapshot"
_MEASURED = (DealState.PUBLISHED.value, DealState.COMPLETED.value)
#: Deals whose creator's account is read every slot: signed and not yet over (a completed one while its posts are).
_RUNNING = tuple(
    state.value
    for state in (
        DealState.EXECUTED,
        DealState.IN_PRODUCTION,
        DealState.IN_REVIEW,
        DealState.CHANGES_REQUESTED,
        DealState.APPROVED,
        DealState.PUBLISHED,
        DealState.DISPUTED,
    )
)
#: What fails a whole batch of accounts (the platform down, throttled, the app's token expired): the job is retried.
_BATCH_FAILURES = (AuthExpired, RateLimited, Transient)
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


def account_key(creator_id: str, platform: str, slot: datetime) -> str:
    """The one key a creator's account snapshot of ``slot`` is kept under, whichever process writes it."""
    return f"{creator_id}:{platform}@{slot.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"


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
        for platform, creator_ids in self.batches_of_accounts(self.due_accounts(actor, now=now)):
            if queue is not None:
                report += queue.defer_account_batch(platform, creator_ids, slot)
            else:
                report += self.sync_account_batch(actor, platform, creator_ids, slot)
            if progress is not None:
                progress(len(creator_ids))
        return report

    def due_accounts(self, actor: Actor, *, now: datetime | None = None) -> list[tuple[str, str]]:
        """The (creator id, platform) accounts the round of ``now``'s slot still has to read, in that order.

        An account is read while a deal with its creator on its platform is signed and not over, and while a
        completed one has a post still measured (``track_days``). Only the system reads accounts: a brand's round
        reads its own posts alone, since the figures are kept in the creator's workspace.
        """
        _may_sync(actor)
        if actor.kind is not PartyKind.SYSTEM:
            return []
        slot = self.slot(now)
        earliest = slot - timedelta(days=self.settings.track_days)

        def work(view: View) -> list[tuple[str, str]]:
            accounts = {(record.parent, record.doc["platform"]) for record in view.records("deal", state=_RUNNING)}
            completed = {
                record.id: (record.parent, record.doc["platform"])
                for record in view.records("deal", state=DealState.COMPLETED.value)
            }
            if completed:
                for post in view.find("post", PublishedPost):
                    if post.deal_id in completed and post.published_at >= earliest:
                        accounts.add(completed[post.deal_id])
            return sorted(
                (creator_id, platform)
                for creator_id, platform in accounts
                if creator_id is not None
                and view.get(ACCOUNT_SNAPSHOT_KIND, account_key(creator_id, platform, slot)) is None
            )

        return self._read(actor, work, "sync_metrics")

    def batches_of_accounts(self, accounts: Iterable[tuple[str, str]]) -> list[tuple[str, tuple[str, ...]]]:
        """``accounts`` as (platform, creator ids) batches of at most ``batch_size``, platform by platform."""
        return _batched(((platform, creator_id) for creator_id, platform in accounts), self.settings.batch_size)

    def sync_account_batch(
        self,
        actor: Actor,
        platform: str,
        creator_ids: Sequence[str],
        slot: datetime,
        *,
        synced_by: str = "in-process",
    ) -> MetricsSyncReport:
        """Read the ``platform`` accounts of ``creator_ids`` for ``slot`` and keep their snapshots.

        Platforms have no batch call for accounts, so each account is one call. What the platform says about one
        account (unknown, not allowed) is that account's failure. What fails the batch (throttled, the platform
        down, the app's token expired) stops it: the snapshots already read are kept, then the error is raised so
        that a job is retried, and the retry reads only the accounts still missing.
        """
        _may_sync(actor)
        if actor.kind is not PartyKind.SYSTEM:
            raise PermissionDenied(str(actor), "sync_metrics", "only the system reads creators' accounts")
        aware_datetime(slot, "slot", "metrics sync")
        if len(set(creator_ids)) != len(creator_ids):
            raise ValidationError([Problem("creator_ids", "lists a creator twice")], f"account batch of {platform}")
        todo = self._read(actor, lambda view: _accounts_missing(view, platform, creator_ids, slot), "sync_metrics")
        already = len(creator_ids) - len(todo)
        fetched, failed, stopped = self._fetch_accounts(platform, todo)
        written, raced = self._keep_accounts(actor, platform, fetched, slot, synced_by) if fetched else (0, 0)
        if stopped is not None:
            raise stopped
        return MetricsSyncReport(
            slot=slot,
            accounts_synced=written,
            accounts_already_synced=already + raced,
            accounts_failed=failed,
            accounts=len(creator_ids),
        )

    def _fetch_accounts(
        self, platform: str, todo: Sequence[tuple[str, PlatformAccount | None]]
    ) -> tuple[list[tuple[str, CreatorMetrics]], tuple[AccountSyncFailure, ...], PlatformError | None]:
        """The figures of each account in ``todo``, the accounts that failed, and what stopped the batch early."""
        refusal = _cannot_measure(self._kit, platform, Capability.METRICS)
        if refusal is not None:
            failures = tuple(AccountSyncFailure(creator_id=c, platform=platform, error=refusal) for c, _ in todo)
            return [], failures, None
        client = self._kit.plugins.platform(platform)
        fetched: list[tuple[str, CreatorMetrics]] = []
        failed: list[AccountSyncFailure] = []
        for creator_id, account in todo:
            if account is None:
                error = ItemError(kind=ErrorKind.NOT_FOUND, message=f"{creator_id} has no {platform} account here")
                failed.append(AccountSyncFailure(creator_id=creator_id, platform=platform, error=error))
                continue
            try:
                fetched.append((creator_id, client.fetch_creator_metrics(account)))
            except _BATCH_FAILURES as error:
                return fetched, tuple(failed), error
            except (NotFound, PlatformError) as error:
                item = ItemError.from_exception(error)
                failed.append(AccountSyncFailure(creator_id=creator_id, platform=platform, error=item))
        return fetched, tuple(failed), None

    def _keep_accounts(
        self,
        actor: Actor,
        platform: str,
        fetched: Sequence[tuple[str, CreatorMetrics]],
        slot: datetime,
        synced_by: str,
    ) -> tuple[int, int]:
        """Write the account snapshots not written yet, one audit event per creator; (written, found written)."""

        def work(change: Change) -> tuple[int, int]:
            written = 0
            for creator_id, metrics in fetched:
                key = account_key(creator_id, platform, slot)
                if change.get(ACCOUNT_SNAPSHOT_KIND, key) is not None:
                    continue
                snapshot = AccountSnapshot(
                    creator_id=creator_id,
                    platform=platform,
                    slot=slot,
                    fetched_at=change.now,
                    metrics=metrics,
                    synced_by=synced_by,
                )
                change.insert(
                    ACCOUNT_SNAPSHOT_KIND, snapshot, key=key, workspace=creator_id, parent=creator_id, state=platform
                )
                payload = {"platform": platform, "slot": slot.isoformat(), "as_of": metrics.as_of.isoformat()}
                change.audit(
                    "creator.metrics_sync",
                    "creator",
                    creator_id,
                    {**payload, "synced_by": synced_by},
                    workspace=creator_id,
                )
                written += 1
            return written, len(fetched) - written

        for attempt in (1, 2):  # a writer that raced us: read again which snapshots it wrote, write the rest
            try:
                return self._write(actor, "sync_metrics", work)
            except ConflictError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def account_history(self, actor: Actor, creator_id: str, platform: str) -> tuple[AccountSnapshot, ...]:
        """The creator's account snapshots on ``platform``, slot by slot: for whoever may see the creator's page."""
        self._kit.creators.overview(actor, creator_id)  # NotFound / PermissionDenied as the page says

        def work(view: View) -> tuple[AccountSnapshot, ...]:
            snapshots = view.find(ACCOUNT_SNAPSHOT_KIND, AccountSnapshot, parent=creator_id, state=platform)
            return tuple(sorted(snapshots, key=lambda snapshot: snapshot.slot))

        return self._read(Actor.system("metrics-history"), work)

    def batches(self, posts: Iterable[PublishedPost]) -> list[tuple[str, tuple[str, ...]]]:
        """``posts`` as (platform, post ids) batches of at most ``batch_size``, platform by platform."""
        return _batched(((post.platform, post.id) for post in posts), self.settings.batch_size)

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


def _batched(items: Iterable[tuple[str, str]], size: int) -> list[tuple[str, tuple[str, ...]]]:
    """(platform, id) pairs as (platform, ids) batches of at most ``size``, platform by platform, in order."""
    by_platform: dict[str, list[str]] = {}
    for platform, item in items:
        by_platform.setdefault(platform, []).append(item)
    return [
        (platform, tuple(ids[start : start + size]))
        for platform, ids in sorted(by_platform.items())
        for start in range(0, len(ids), size)
    ]


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


def _accounts_missing(
    view: View, platform: str, creator_ids: Sequence[str], slot: datetime
) -> list[tuple[str, PlatformAccount | None]]:
    """The creators of ``creator_ids`` whose account snapshot of ``slot`` is not kept yet, with their account."""
    missing: list[tuple[str, PlatformAccount | None]] = []
    for creator_id in creator_ids:
        if view.get(ACCOUNT_SNAPSHOT_KIND, account_key(creator_id, platform, slot)) is not None:
            continue
        record = view.get("creator", creator_id)  # a deal's creator whose profile is gone fails that account alone
        account = None if record is None else view.entity(record, CreatorProfile).account_on(platform)
        missing.append((creator_id, account))
    return missing


def _cannot_measure(
    kit: Creatorkit, platform: str, capability: Capability = Capability.POST_METRICS
) -> ItemError | None:
    """Why ``platform`` cannot give ``capability``'s figures here (not enabled, not offered), or None when it can."""
    try:
        client = kit.plugins.platform(platform)
    except PluginError as error:
        return ItemError(kind=ErrorKind.NOT_SUPPORTED, message=f"platform {platform!r} is not enabled here: {error}")
    if not client.supports(capability):
        what = "post metrics" if capability is Capability.POST_METRICS else "account metrics"
        return ItemError(kind=ErrorKind.NOT_SUPPORTED, message=f"platform {platform!r} gives no {what}")
    return None
