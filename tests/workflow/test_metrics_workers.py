"""The metrics sync on PostgreSQL: two ``creatorkit worker`` processes share 2,000 posts, each synced exactly once.

The posts are written straight into the store (2,000 deals walked through the workflow would take minutes and prove
nothing more here); the workers are real processes running the real CLI against the real server, on a sandbox
marketplace big enough for every post to be a different one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

import samples
from creatorkit import Actor, Creatorkit
from creatorkit.converter import unstructure
from creatorkit.entities import DealState, PublishedPost
from creatorkit.workflow._metrics_sync import SNAPSHOT_KIND
from creatorkit_echo import EchoPlatform
from databases import PostgresDatabase, postgres_url_or_skip

POSTS = 2_000
BATCH = 50
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def database() -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(postgres_url_or_skip())
    try:
        yield db
    finally:
        db.close()


def write_config(folder: Path, url: str) -> Path:
    # A slow platform (150 ms per call): 40 batches take long enough for both workers to be running.
    path = folder / "creatorkit.toml"
    path.write_text(
        f'[creatorkit]\nstore = "{url}"\n\n'
        f'[platforms.echo]\nmode = "sandbox"\ncreators = {POSTS // 3 + 1}\nlatency_ms = 150\n\n'
        # The worker's own periodic round would queue again a batch being run (a job that then writes nothing):
        # kept off its schedule here, so that the jobs counted are the round's 40.
        f'[metrics]\nbatch_size = {BATCH}\ncron = "0 0 1 1 *"\n',
        encoding="utf-8",
    )
    return path


def seed_posts(kit: Creatorkit, count: int = POSTS) -> list[str]:
    """``count`` live deals, each with its post on a different sandbox post."""
    marketplace = EchoPlatform(size=POSTS // 3 + 1)
    platform_ids = [
        f"{creator.profile.accounts[0].account_id}-p{n}" for creator in marketplace.creators for n in (1, 2, 3)
    ]
    brand = samples.deal.brand_id
    post_ids = []
    with kit.store._write_transaction() as tx:
        for i in range(count):
            deal = attrs.evolve(samples.deal, id=f"deal_{i:05d}", platform="echo", state=DealState.PUBLISHED)
            post = PublishedPost(
                id=f"post_{i:05d}",
                deal_id=deal.id,
                submission_id=f"sub_{i:05d}",
                platform="echo",
                platform_post_id=platform_ids[i],
                url=f"https://echo.example/{platform_ids[i]}",
                published_at=NOW - timedelta(days=2),
            )
            tx.insert("deal", deal.id, unstructure(deal), workspace=brand, state=deal.state.value, now=NOW)
            tx.insert("post", post.id, unstructure(post), workspace=brand, parent=deal.id, now=NOW)
            post_ids.append(post.id)
    return post_ids


def start_worker(config: Path, name: str) -> subprocess.Popen[str]:
    creatorkit = Path(sys.executable).parent / "creatorkit"
    command = [str(creatorkit), "--config", str(config), "worker", "--until-empty", "--name", name]
    return subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.postgres
def test_two_workers_sync_every_post_exactly_once(database: PostgresDatabase, tmp_path: Path) -> None:
    config = write_config(tmp_path, database.url)
    system = Actor.system("test")
    with Creatorkit.open(config, clock=lambda: NOW) as kit:
        post_ids = seed_posts(kit)
        with kit.metrics_queue().opened() as queue:
            queued = kit.metrics.sync(system, queue=queue)
            # The round queued again in the same slot queues nothing new: each batch is queued once.
            again = kit.metrics.sync(system, queue=queue)
    assert (queued.posts, queued.queued, queued.jobs) == (POSTS, POSTS, POSTS // BATCH)
    assert (again.queued, again.jobs) == (POSTS, 0)

    workers = [start_worker(config, name) for name in ("worker-a", "worker-b")]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    rows = database.execute("SELECT parent, doc->>'synced_by' FROM documents WHERE kind = %s", (SNAPSHOT_KIND,))
    per_post = Counter(parent for parent, _ in rows)
    assert sorted(per_post) == sorted(post_ids)  # every post synced ...
    assert set(per_post.values()) == {1}  # ... exactly once
    by_worker = Counter(synced_by.split("/")[0] for _, synced_by in rows)
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker  # and the two shared the work
    jobs = database.execute(
        "SELECT status, attempts, count(*) FROM procrastinate_jobs WHERE task_name = %s GROUP BY status, attempts",
        ("creatorkit.metrics.sync_batch",),
    )
    assert jobs == [("succeeded", 1, POSTS // BATCH)]  # no job ran twice or failed

    with Creatorkit.open(config, clock=lambda: NOW) as kit:
        assert kit.metrics.due(system) == []
        history: Any = kit.metrics.post_history(system, post_ids[0])
        assert len(history) == 1 and history[0].metrics.views is not None
        # The chain holds the workers' events; the only documents it does not cover are the deals seeded above.
        report = kit.audit.verify()
        assert report.chain.ok and report.chain.events == POSTS // BATCH
        assert "post_snapshot" not in str(report.state)


def test_a_worker_refuses_a_sqlite_store(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from creatorkit.cli import main

    path = tmp_path / "creatorkit.toml"
    path.write_text(f'[creatorkit]\nstore = "sqlite:///{tmp_path / "kit.db"}"\n', encoding="utf-8")
    Creatorkit.open(path).close()
    result = CliRunner().invoke(main, ["--config", str(path), "worker", "--until-empty"])
    assert result.exit_code == 2 and "SQLite" in result.output and "creatorkit sync" in result.output


def test_sync_on_sqlite_reads_the_posts_in_process(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from creatorkit.cli import main

    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'kit.db'}")
    with Creatorkit.open(config) as kit:
        post_ids = seed_posts(kit, 7)
    first = CliRunner().invoke(main, ["--config", str(config), "sync"])
    assert first.exit_code == 0, first.output
    assert "7 post(s) due, 7 synced, 0 failed" in first.output
    again = CliRunner().invoke(main, ["--config", str(config), "sync", "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["posts"] == 0
    with Creatorkit.open(config) as kit:
        assert [len(kit.metrics.post_history(Actor.system(), post_id)) for post_id in post_ids] == [1] * 7


ACCOUNTS = 120


def seed_accounts(kit: Creatorkit) -> list[str]:
    """``ACCOUNTS`` creators with an echo account each, every one in a signed deal not yet published."""
    marketplace = EchoPlatform(size=ACCOUNTS)
    brand = samples.deal.brand_id
    creator_ids = []
    with kit.store._write_transaction() as tx:
        for i, known in enumerate(marketplace.creators[:ACCOUNTS]):
            creator = attrs.evolve(known.profile, id=f"cr_{i:04d}")
            deal = attrs.evolve(
                samples.deal, id=f"deal_a{i:04d}", creator_id=creator.id, platform="echo", state=DealState.EXECUTED
            )
            tx.insert("creator", creator.id, unstructure(creator), workspace=creator.id, now=NOW)
            tx.insert(
                "deal", deal.id, unstructure(deal), workspace=brand, parent=creator.id, state=deal.state.value, now=NOW
            )
            creator_ids.append(creator.id)
    return creator_ids


@pytest.mark.postgres
def test_two_workers_read_every_account_exactly_once(database: PostgresDatabase, tmp_path: Path) -> None:
    config = write_config(tmp_path, database.url)
    system = Actor.system("test")
    with Creatorkit.open(config, clock=lambda: NOW) as kit:
        creator_ids = seed_accounts(kit)
        with kit.metrics_queue().opened() as queue:
            queued = kit.metrics.sync(system, queue=queue)
    assert (queued.posts, queued.accounts, queued.accounts_queued, queued.jobs) == (0, ACCOUNTS, ACCOUNTS, 3)

    workers = [start_worker(config, name) for name in ("worker-a", "worker-b")]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    rows = database.execute("SELECT parent, doc->>'synced_by' FROM documents WHERE kind = %s", ("account_snapshot",))
    per_creator = Counter(parent for parent, _ in rows)
    assert sorted(per_creator) == sorted(creator_ids) and set(per_creator.values()) == {1}
    jobs = database.execute(
        "SELECT status, attempts, count(*) FROM procrastinate_jobs WHERE task_name = %s GROUP BY status, attempts",
        ("creatorkit.metrics.sync_accounts",),
    )
    assert jobs == [("succeeded", 1, 3)]
    with Creatorkit.open(config, clock=lambda: NOW) as kit:
        assert kit.metrics.due_accounts(system) == []
        assert len(kit.metrics.account_history(system, creator_ids[0], "echo")) == 1
        assert kit.audit.verify().chain.ok
