"""The metrics round reads the creators' accounts too: one snapshot per account and slot, from signing until the
posts stop being measured, kept as the creator's latest figures."""

from __future__ import annotations

from typing import Any

import pytest

from creatorkit.entities import CreatorMetrics, Deal, ErrorKind
from creatorkit.errors import NotFound, PermissionDenied, RateLimited
from creatorkit.workflow._metrics_sync import ACCOUNT_SNAPSHOT_KIND, account_key
from world import World

from .test_aftercare import agreed_with
from .test_content import to_production
from .test_metrics_sync import live, with_metrics


def test_a_round_reads_each_running_deals_account_once_per_slot(world: World) -> None:
    kit = world.kit
    deal = live(world, world.creator, "echo_creator_03")
    first = kit.metrics.sync(world.system)
    assert (first.accounts, first.accounts_synced, first.accounts_failed) == (1, 1, ())
    again = kit.metrics.sync(world.system)
    assert (again.accounts, again.accounts_synced) == (0, 0)
    assert kit.metrics.due_accounts(world.system) == []
    world.clock.advance(days=1)
    assert kit.metrics.due_accounts(world.system) == [(deal.creator_id, "echo")]
    second = kit.metrics.sync(world.system)
    assert second.accounts_synced == 1
    history = kit.metrics.account_history(world.brand, deal.creator_id, "echo")
    assert [s.slot for s in history] == [first.slot, second.slot]
    assert all(isinstance(s.metrics, CreatorMetrics) and s.synced_by == "in-process" for s in history)
    assert history[0].metrics.followers is not None and history[1].fetched_at == world.clock.now
    # The round's snapshot is the creator page's latest figure.
    latest = kit.creators.overview(world.brand, deal.creator_id).metrics
    assert latest == (history[-1].metrics,)


def test_accounts_are_read_from_signing_not_before(world: World) -> None:
    kit = world.kit
    agreed = agreed_with(world, world.creator)
    assert kit.metrics.due_accounts(world.system) == []  # agreed, not signed: no campaign yet
    to_production(world, agreed)
    assert kit.metrics.due_accounts(world.system) == [(agreed.creator_id, "echo")]
    report = kit.metrics.sync(world.system)
    assert (report.posts, report.accounts_synced) == (0, 1)  # the starting point of its follower growth


def test_a_running_deals_account_is_read_after_its_posts_stop_being_measured(world: World) -> None:
    kit = world.kit
    with_metrics(world, track_days=10)
    deal = live(world, world.creator, "echo_creator_03")
    world.clock.advance(days=11)
    assert kit.metrics.due(world.system) == []  # the post is past track_days
    # The deal is still published, not completed: its creator's account is read while it runs.
    assert kit.metrics.due_accounts(world.system) == [(deal.creator_id, "echo")]


def test_a_brand_round_reads_no_accounts(world: World) -> None:
    live(world, world.creator, "echo_creator_03")
    report = world.kit.metrics.sync(world.brand)
    assert (report.posts, report.synced, report.accounts) == (1, 1, 0)
    with pytest.raises(PermissionDenied, match="only the system"):
        world.kit.metrics.sync_account_batch(world.brand, "echo", [world.creator.id], world.kit.metrics.slot())


def test_an_account_batch_run_twice_writes_nothing_the_second_time_and_verifies(world: World) -> None:
    kit = world.kit
    live(world, world.creator, "echo_creator_03")
    live(world, world.other_creator, "echo_creator_04")
    ids = [world.creator.id, world.other_creator.id]
    slot = kit.metrics.slot()
    first = kit.metrics.sync_account_batch(world.system, "echo", ids, slot, synced_by="w1/job 7")
    second = kit.metrics.sync_account_batch(world.system, "echo", ids, slot, synced_by="w2/job 7")
    assert (first.accounts_synced, second.accounts_synced, second.accounts_already_synced) == (2, 0, 2)
    with kit.store.read() as tx:
        events = [e for e in tx.iter_audit_events() if e.action == "creator.metrics_sync"]
        kept = sorted(r.id for r in tx.find(ACCOUNT_SNAPSHOT_KIND))
    assert sorted(str(e.workspace_id) for e in events) == sorted(ids)  # each in its creator's trail
    assert kept == sorted(account_key(creator_id, "echo", slot) for creator_id in ids)
    assert kit.audit.verify().ok


def test_an_unknown_account_is_that_accounts_failure(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = world.kit
    live(world, world.creator, "echo_creator_03")
    live(world, world.other_creator, "echo_creator_04")
    client = kit.plugins.platform("echo")
    real = client.fetch_creator_metrics

    def fetch(account: Any, **kwargs: Any) -> Any:
        if account.handle == "echo_creator_04" or account.account_id.endswith("04"):
            raise NotFound("account", account.account_id)
        return real(account, **kwargs)

    monkeypatch.setattr(client, "fetch_creator_metrics", fetch)
    monkeypatch.setattr(kit.plugins, "platform", lambda name: client)
    report = kit.metrics.sync(world.system)
    assert (report.accounts, report.accounts_synced, len(report.accounts_failed)) == (2, 1, 1)
    failure = report.accounts_failed[0]
    assert failure.error.kind is ErrorKind.NOT_FOUND and failure.platform == "echo"


def test_a_throttled_batch_keeps_what_it_read_and_the_retry_reads_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = world.kit
    first_deal = live(world, world.creator, "echo_creator_03")
    live(world, world.other_creator, "echo_creator_04")
    client = kit.plugins.platform("echo")
    real = client.fetch_creator_metrics
    calls: list[str] = []

    def fetch(account: Any, **kwargs: Any) -> Any:
        calls.append(account.account_id)
        if len(calls) == 2:
            raise RateLimited("echo", "slow down", wait=30)
        return real(account, **kwargs)

    monkeypatch.setattr(client, "fetch_creator_metrics", fetch)
    monkeypatch.setattr(kit.plugins, "platform", lambda name: client)
    ids = sorted([world.creator.id, world.other_creator.id])
    slot = kit.metrics.slot()
    with pytest.raises(RateLimited):
        kit.metrics.sync_account_batch(world.system, "echo", ids, slot)
    assert len(kit.metrics.due_accounts(world.system)) == 1  # the first one is kept
    retry = kit.metrics.sync_account_batch(world.system, "echo", ids, slot)
    assert (retry.accounts_synced, retry.accounts_already_synced) == (1, 1)
    assert calls[2] == calls[1]  # only the throttled account is asked again
    assert first_deal.creator_id in ids


def test_an_unknown_creator_has_no_account_history(world: World) -> None:
    deal: Deal = live(world, world.creator, "echo_creator_03")
    world.kit.metrics.sync(world.system)
    assert len(world.kit.metrics.account_history(world.creator, deal.creator_id, "echo")) == 1
    with pytest.raises(NotFound):
        world.kit.metrics.account_history(world.brand, "cr_nobody", "echo")


def test_a_creator_without_the_account_fails_alone(world: World) -> None:
    kit = world.kit
    live(world, world.creator, "echo_creator_03")
    slot = kit.metrics.slot()
    report = kit.metrics.sync_account_batch(world.system, "echo", ["cr_unknown", world.creator.id], slot)
    assert (report.accounts, report.accounts_synced) == (2, 1)
    assert [(f.creator_id, f.error.kind) for f in report.accounts_failed] == [("cr_unknown", ErrorKind.NOT_FOUND)]
