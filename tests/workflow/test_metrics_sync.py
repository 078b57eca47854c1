"""The metrics sync: each due post read once per slot into a snapshot, resumable, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Actor
from creatorkit.config import Config, MetricsSettings
from creatorkit.entities import Deal, ErrorKind, PostSnapshot
from creatorkit.errors import ConfigError, NotFound, PermissionDenied, ValidationError
from creatorkit.workflow._metrics_sync import SNAPSHOT_KIND, slot_of, snapshot_key
from creatorkit_echo import EchoPlatform
from world import START, World

from .test_aftercare import agreed_with
from .test_content import to_production


def live(world: World, creator: Actor, handle: str, *, post: int = 1, known: bool = True) -> Deal:
    """A deal of ``creator`` whose post is live, on a post echo knows (or, with ``known=False``, one it does not)."""
    kit = world.kit
    deal = to_production(world, agreed_with(world, creator))
    kit.content.submit_draft(creator, deal.id, caption="Glow #ad", elements=("product close-up",))
    kit.content.review(world.brand, deal.id, approve=True)
    platform_post_id = EchoPlatform().post_ids(handle)[post - 1] if known else f"gone-{deal.id}"
    kit.content.record_published(creator, deal.id, platform_post_id=platform_post_id, url="https://echo.example/p")
    return kit.deals.get(world.brand, deal.id)


def with_metrics(world: World, **settings: Any) -> None:
    """The kit's ``[metrics]`` settings changed (the world's kit is built from a default Config)."""
    world.kit.config = attrs.evolve(world.kit.config, metrics=MetricsSettings(**settings))
    world.kit.__dict__.pop("metrics", None)


@pytest.fixture
def two_live(world: World) -> tuple[Deal, Deal]:
    return live(world, world.creator, "echo_creator_03"), live(world, world.other_creator, "echo_creator_04")


def post_of(world: World, deal: Deal) -> Any:
    post = world.kit.content.post(world.brand, deal.id)
    assert post is not None
    return post


def test_a_round_keeps_one_snapshot_per_post_and_slot(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    first = kit.metrics.sync(world.system)
    assert (first.posts, first.synced, first.already_synced, first.failed) == (2, 2, 0, ())
    assert first.slot == slot_of(world.clock.now, 24)
    # Run again in the same slot: nothing is due, nothing is read or written twice.
    again = kit.metrics.sync(world.system)
    assert (again.posts, again.synced) == (0, 0)
    assert kit.metrics.due(world.system) == []
    world.clock.advance(days=1)
    second = kit.metrics.sync(world.system)
    assert second.synced == 2 and second.slot == first.slot + timedelta(days=1)
    history = kit.metrics.post_history(world.brand, post_of(world, two_live[0]).id)
    assert [snapshot.slot for snapshot in history] == [first.slot, second.slot]
    assert all(isinstance(s, PostSnapshot) and s.synced_by == "in-process" for s in history)
    assert history[0].metrics.platform_post_id == post_of(world, two_live[0]).platform_post_id
    assert history[0].metrics.views is not None
    assert [snapshot.fetched_at for snapshot in history] == [START, START + timedelta(days=1)]  # the kit's clock


def test_each_batch_is_audited_and_verifies(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    kit.metrics.sync(world.system)
    with kit.store.read() as tx:
        events = [event for event in tx.iter_audit_events() if event.action == "metrics.sync"]
    assert len(events) == 1 and events[0].workspace_id == world.brand.id
    # The event covers the snapshots its call wrote (kind, key, version, hash), which verification checks.
    assert events[0].documents is not None
    for deal in two_live:
        assert snapshot_key(post_of(world, deal).id, kit.metrics.slot()) in events[0].documents
    assert kit.audit.verify().ok


def test_a_round_resumes_after_a_crash_without_reading_a_post_twice(
    world: World, two_live: tuple[Deal, Deal], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = world.kit
    with_metrics(world, batch_size=1)
    service = kit.metrics
    asked: list[tuple[str, ...]] = []
    real_fetch = service._fetch

    def fetch(platform: str, posts: Any) -> Any:
        asked.append(tuple(post.id for post in posts))
        if len(asked) == 2:
            raise KeyboardInterrupt("the process dies in the second batch")
        return real_fetch(platform, posts)

    monkeypatch.setattr(service, "_fetch", fetch)
    with pytest.raises(KeyboardInterrupt):
        service.sync(world.system)
    resumed = service.sync(world.system)
    assert (resumed.posts, resumed.synced) == (1, 1)
    assert asked[0] != asked[2] and asked[1] == asked[2]  # the crashed batch alone is asked again
    slot = resumed.slot
    with kit.store.read() as tx:
        kept = [record.id for record in tx.find(SNAPSHOT_KIND)]
    assert sorted(kept) == sorted(snapshot_key(post_of(world, d).id, slot) for d in two_live)


def test_a_batch_run_twice_writes_nothing_the_second_time(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    ids = [post_of(world, deal).id for deal in two_live]
    slot = kit.metrics.slot()
    first = kit.metrics.sync_batch(world.system, "echo", ids, slot, synced_by="w1/job 1")
    second = kit.metrics.sync_batch(world.system, "echo", ids, slot, synced_by="w2/job 1")
    assert (first.synced, second.synced, second.already_synced) == (2, 0, 2)
    assert {s.synced_by for s in kit.metrics.post_history(world.system, ids[0])} == {"w1/job 1"}


def test_a_post_the_platform_does_not_know_fails_alone_and_is_tried_again(world: World) -> None:
    kit = world.kit
    good = live(world, world.creator, "echo_creator_03")
    gone = live(world, world.other_creator, "echo_creator_04", known=False)
    report = kit.metrics.sync(world.system)
    assert report.synced == 1 and [f.post_id for f in report.failed] == [post_of(world, gone).id]
    assert report.failed[0].error.kind is ErrorKind.NOT_FOUND
    assert [p.id for p in kit.metrics.due(world.system)] == [post_of(world, gone).id]
    assert kit.metrics.post_history(world.brand, post_of(world, good).id)


def test_a_platform_no_longer_enabled_is_a_stated_failure(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    post = post_of(world, two_live[0])
    report = kit.metrics.sync_batch(world.system, "echo", [post.id], kit.metrics.slot())
    assert report.synced == 1
    world.kit.plugins.unregister("echo")
    world.clock.advance(days=1)
    later = kit.metrics.sync(world.system)
    assert later.synced == 0 and {f.error.kind for f in later.failed} == {ErrorKind.NOT_SUPPORTED}
    assert "echo" in later.failed[0].error.message


def test_posts_past_the_tracking_window_are_no_longer_read(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    with_metrics(world, track_days=3)
    assert len(kit.metrics.due(world.system)) == 2
    world.clock.advance(days=4)
    assert kit.metrics.due(world.system) == []


def test_a_brand_syncs_and_reads_only_its_own_posts(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    other = Actor.brand("brand_fresh")
    assert kit.metrics.due(other) == [] and kit.metrics.sync(other).posts == 0
    assert len(kit.metrics.due(world.brand)) == 2
    post = post_of(world, two_live[0])
    with pytest.raises(NotFound):
        kit.metrics.post_history(other, post.id)
    with pytest.raises(NotFound):
        kit.metrics.sync_batch(other, "echo", [post.id], kit.metrics.slot())
    with pytest.raises(PermissionDenied):
        kit.metrics.sync(world.creator)
    assert kit.metrics.post_history(world.creator, post.id) == ()  # the creator's side sees its post's figures


def test_a_batch_is_checked_before_anything_is_read(world: World, two_live: tuple[Deal, Deal]) -> None:
    kit = world.kit
    post = post_of(world, two_live[0])
    with pytest.raises(ValidationError, match="post_ids"):
        kit.metrics.sync_batch(world.system, "echo", [post.id, post.id], kit.metrics.slot())
    with pytest.raises(ValidationError, match=r"post_ids\[0\]"):
        kit.metrics.sync_batch(world.system, "tiktok", [post.id], kit.metrics.slot())
    with pytest.raises(ValidationError, match="slot"):
        kit.metrics.sync_batch(world.system, "echo", [post.id], kit.metrics.slot().replace(tzinfo=None))


def test_slots_are_aligned_whatever_the_time_zone() -> None:
    from datetime import datetime, timezone

    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2026, 3, 3, 8, 30, tzinfo=tokyo)  # 2026-03-02 23:30 UTC
    assert slot_of(moment, 24) == datetime(2026, 3, 2, tzinfo=UTC)
    assert slot_of(moment, 6) == datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert snapshot_key("post_1", slot_of(moment, 6)) == "post_1@20260302T1800Z"


def test_metrics_settings_are_checked_by_key(tmp_path: Any) -> None:
    path = tmp_path / "creatorkit.toml"
    path.write_text("[metrics]\nbatch_size = 0\nslot_hour = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Config.load(path)
    text = str(raised.value)
    assert "metrics.batch_size" in text and "slot_hour" in text
    path.write_text('[metrics]\nslot_hours = 6\ncron = "*/5 * * * *"\n', encoding="utf-8")
    assert Config.load(path).metrics == MetricsSettings(slot_hours=6, cron="*/5 * * * *")
