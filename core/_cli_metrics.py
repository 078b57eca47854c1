"""``creatorkit sync`` and ``creatorkit worker``: the metrics sync, in this process or shared by workers.

``sync`` runs the round of the current slot: on SQLite here, with a progress bar on a terminal; on PostgreSQL it
queues the round's batches for ``creatorkit worker`` (``--here`` runs them in this process instead). ``worker``
processes the queued batches, and starts a round itself on the ``[metrics] cron`` schedule; run one on each host.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any

import click

from .cli import _Context, _fail, _open_kit, _pass_context, _reports_errors, main

__all__ = ["sync", "worker"]


def _on_postgres(kit: Any) -> bool:
    return bool(kit.store.dialect == "postgresql")


@main.command()
@click.option("--here", is_flag=True, help="On PostgreSQL, read the posts in this process instead of queueing jobs.")
@click.option("--json", "as_json", is_flag=True, help="The round's report as JSON.")
@_pass_context
@_reports_errors
def sync(ctx: _Context, here: bool, as_json: bool) -> None:
    """Read every post still measured, and its creator's account, once per slot into snapshots (run it from cron,
    or let a worker)."""
    from .converter import unstructure
    from .entities import Actor

    system = Actor.system("metrics-sync")
    with _open_kit(ctx) as kit:
        due = len(kit.metrics.due(system)) + len(kit.metrics.due_accounts(system))
        show = sys.stderr.isatty() and not as_json and due > kit.config.metrics.batch_size
        with click.progressbar(length=due, label="posts and accounts", file=sys.stderr, hidden=not show) as bar:
            if _on_postgres(kit) and not here:
                with kit.metrics_queue().opened() as queue:
                    report = kit.metrics.sync(system, progress=bar.update, queue=queue)
            else:
                report = kit.metrics.sync(system, progress=bar.update)
    if as_json:
        click.echo(json.dumps(unstructure(report), indent=2))
    else:
        slot = report.slot.isoformat()
        click.echo(f"slot {slot}: {report.posts} post(s) due, {report.synced} synced, {len(report.failed)} failed")
        click.echo(
            f"{report.accounts} creator account(s) due, {report.accounts_synced} synced, "
            f"{len(report.accounts_failed)} failed"
        )
        queued = report.queued + report.accounts_queued
        if queued:
            click.echo(
                f"{report.queued} post(s) and {report.accounts_queued} account(s) queued in {report.jobs} new "
                "job(s): `creatorkit worker` reads them"
            )
        for failure in report.failed:
            click.echo(
                f"{failure.post_id} ({failure.platform}): {failure.error.kind}: {failure.error.message}", err=True
            )
        for account in report.accounts_failed:
            click.echo(
                f"{account.creator_id} ({account.platform}): {account.error.kind}: {account.error.message}", err=True
            )
    if report.failed or report.accounts_failed:
        sys.exit(1)


@main.command()
@click.option("--name", default=None, help="This worker's name in the job table (default: host and process id).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True, help="Jobs run at once.")
@click.option("--until-empty", is_flag=True, help="Stop once no job is left, instead of waiting for more.")
@_pass_context
@_reports_errors
def worker(ctx: _Context, name: str | None, concurrency: int, until_empty: bool) -> None:
    """Process the metrics sync's jobs (PostgreSQL): run one on each host; they share the work."""
    with _open_kit(ctx) as kit:
        if not _on_postgres(kit):
            _fail(
                f"the store {kit.store.url} is SQLite: there are no jobs to share; `creatorkit sync` reads "
                "the posts in its own process",
                2,
            )
        queue = kit.metrics_queue()
        queue.run_worker(
            name=name or f"{socket.gethostname()}-{os.getpid()}", concurrency=concurrency, until_empty=until_empty
        )
