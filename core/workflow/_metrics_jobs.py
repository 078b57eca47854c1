"""The metrics sync on PostgreSQL: each batch of a round is a job that ``creatorkit worker`` processes share.

The queue is Procrastinate's, in the store's own database: no broker to run beside it, and what a job claims is
claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never run one job. It was chosen over Celery or
RQ (a broker besides PostgreSQL), and over a table of our own, for what it already does well: queueing locks (one
queued job per key, so a round queued twice in a slot queues each batch once), retries with backoff, a worker
that runs sync tasks in threads, periodic tasks deferred once per tick however many workers run, and a job table
that says which worker ran what and how often.

A job may still run twice (a worker killed after the platform answered, before the job was marked done): the
batch's snapshots are keyed by post and slot (:mod:`._metrics_sync`), so the second run finds them and writes
nothing. That, and not the queue alone, is what makes each post's snapshot of a slot exist exactly once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from ..converter import unstructure
from ..entities import Actor, MetricsSyncReport

if TYPE_CHECKING:
    from .._kit import Creatorkit

__all__ = ["METRICS_QUEUE", "MetricsQueue"]

METRICS_QUEUE = "creatorkit_metrics"
_BATCH_TASK = "creatorkit.metrics.sync_batch"
_ACCOUNTS_TASK = "creatorkit.metrics.sync_accounts"
_ROUND_TASK = "creatorkit.metrics.round"
#: A batch that failed as a whole (the platform down, throttled past its retries) is tried again this often.
_RETRY = procrastinate.RetryStrategy(max_attempts=6, exponential_wait=5)
#: Who the jobs act as: the sync is the system's, across every workspace.
_WORKER = Actor.system("metrics-worker")


class MetricsQueue:
    """The job queue of one kit whose store is on PostgreSQL at ``conninfo`` (the store's URL, unmasked).

    ``with queue.opened():`` around :meth:`defer_batch`; :meth:`run_worker` opens it itself.
    """

    def __init__(self, kit: Creatorkit, conninfo: str) -> None:
        self._kit = kit
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
        self._batch = self.app.task(name=_BATCH_TASK, queue=METRICS_QUEUE, pass_context=True, retry=_RETRY)(
            self._run_batch
        )
        self._accounts = self.app.task(name=_ACCOUNTS_TASK, queue=METRICS_QUEUE, pass_context=True, retry=_RETRY)(
            self._run_account_batch
        )
        round_task = self.app.task(name=_ROUND_TASK, queue=METRICS_QUEUE)(self._run_round)
        self.app.periodic(cron=kit.config.metrics.cron, periodic_id="metrics-round")(round_task)

    def opened(self) -> Any:
        """The queue opened for deferring jobs from synchronous code, its schema installed if it was missing."""
        return _Opened(self)

    def install(self) -> bool:
        """Create the queue's tables in the database unless they exist; whether it created them."""
        connector = self.app.connector.get_sync_connector()
        found = connector.execute_query_one("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present")
        if found["present"]:
            return False
        self.app.schema_manager.apply_schema()
        return True

    def defer_batch(self, platform: str, post_ids: Sequence[str], slot: datetime) -> MetricsSyncReport:
        """Queue one batch of a round, once per slot: a batch already queued (and not yet run) is not queued again."""
        queued = self._defer(self._batch, "metrics", platform, post_ids, slot, post_ids=list(post_ids))
        return MetricsSyncReport(slot=slot, queued=len(post_ids), jobs=queued, posts=len(post_ids))

    def defer_account_batch(self, platform: str, creator_ids: Sequence[str], slot: datetime) -> MetricsSyncReport:
        """Queue one batch of a round's accounts, once per slot, like :meth:`defer_batch`."""
        queued = self._defer(
            self._accounts, "metrics-accounts", platform, creator_ids, slot, creator_ids=list(creator_ids)
        )
        return MetricsSyncReport(slot=slot, accounts_queued=len(creator_ids), jobs=queued, accounts=len(creator_ids))

    def _defer(self, task: Any, kind: str, platform: str, ids: Sequence[str], slot: datetime, **arguments: Any) -> int:
        """Defer ``task`` under a queueing lock naming the batch and the slot: 1 job queued, or 0 if one waits."""
        digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:24]
        stamp = slot.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        try:
            task.configure(queueing_lock=f"{kind}:{platform}:{stamp}:{digest}").defer(
                platform=platform, slot=slot.isoformat(), **arguments
            )
        except AlreadyEnqueued:
            return 0
        return 1

    def run_worker(self, *, name: str, concurrency: int = 1, until_empty: bool = False) -> None:
        """Process jobs until stopped (Ctrl-C, SIGTERM) or, with ``until_empty``, until none is left."""
        with self.app.open():
            self.install()
        self.app.run_worker(
            queues=[METRICS_QUEUE],
            name=name,
            concurrency=concurrency,
            wait=not until_empty,
            install_signal_handlers=True,
        )

    def _run_batch(self, context: procrastinate.JobContext, platform: str, post_ids: list[str], slot: str) -> Any:
        job = context.job.id if context.job is not None else "?"
        report = self._kit.metrics.sync_batch(
            _WORKER, platform, post_ids, datetime.fromisoformat(slot), synced_by=f"{context.worker_name}/job {job}"
        )
        return unstructure(report)

    def _run_account_batch(
        self, context: procrastinate.JobContext, platform: str, creator_ids: list[str], slot: str
    ) -> Any:
        job = context.job.id if context.job is not None else "?"
        report = self._kit.metrics.sync_account_batch(
            _WORKER, platform, creator_ids, datetime.fromisoformat(slot), synced_by=f"{context.worker_name}/job {job}"
        )
        return unstructure(report)

    def _run_round(self, timestamp: int) -> Any:
        """The periodic round: queue the batches still due now (a batch already queued is not queued again).

        The slot is the clock's, not the tick's ``timestamp``: Procrastinate may defer a tick's job ahead of it.
        A batch running while the round looks is queued again, and that job finds its posts synced and writes nothing.
        """
        return unstructure(self._kit.metrics.sync(_WORKER, queue=self))


class _Opened:
    def __init__(self, queue: MetricsQueue) -> None:
        self._queue = queue
        self._context: Any = None

    def __enter__(self) -> MetricsQueue:
        self._context = self._queue.app.open()
        self._context.__enter__()
        try:
            self._queue.install()
        except BaseException as error:  # a database that refuses the schema: close what was opened, then say so
            self._context.__exit__(type(error), error, error.__traceback__)
            raise
        return self._queue

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)
