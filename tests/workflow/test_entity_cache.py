"""The kit's entity cache: what it serves is what is stored, whatever was written and rolled back before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from creatorkit import Actor, Creatorkit, Money
from creatorkit._change import Change, EntityCache
from creatorkit.audit import verify_chain
from creatorkit.config import Config
from creatorkit.converter import unstructure
from creatorkit.entities import CreatorProfile, DealState, DeliverableType, PriceTier, RateCard
from creatorkit.host import PluginHost
from creatorkit.store import Record
from world import World


class Rollback(Exception):
    """Raised inside a call after its writes, so that its transaction is rolled back."""


def record(version: int, doc: dict[str, Any]) -> Record:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return Record("creator", "c1", None, None, None, version, doc, moment, moment)


def rate_card(amount: int) -> RateCard:
    return RateCard(tiers=(PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=Money(amount, "USD")),))


def test_a_rolled_back_write_is_not_served_for_another_write_at_the_same_version(world: World, database: Any) -> None:
    """A write this kit rolled back left its entity in the cache under the next version; another writer then
    stored a different document at that version. The cache must serve what is stored, not what was rolled back."""
    kit, creator_id = world.kit, world.creator.id
    before = kit.creators.overview(world.creator, creator_id).profile

    def write_then_fail(change: Change) -> None:
        record = change.require("creator", creator_id)
        rolled_back = attrs.evolve(change.entity(record, CreatorProfile), rate_card=rate_card(111))
        change.replace("creator", rolled_back, expected_version=record.version)
        raise Rollback

    with pytest.raises(Rollback):
        kit.creators._write(world.creator, "test", write_then_fail)

    other = Creatorkit(store=database.open(), plugins=PluginHost(), config=Config(), clock=world.clock)
    try:
        other.creators.update_rate_card(world.creator, creator_id, rate_card(222))
    finally:
        other.close()

    seen = kit.creators.overview(world.creator, creator_id).profile
    assert seen.rate_card is not None and seen.rate_card.tiers[0].price == Money(222, "USD")
    assert seen != attrs.evolve(before, rate_card=rate_card(111))


def test_an_entry_is_served_only_for_the_document_it_was_built_from() -> None:
    cache = EntityCache(size=16)
    profile = CreatorProfile(id="c1", display_name="Ana")
    doc = unstructure(profile)
    cache.remember("creator", "c1", 2, doc, profile)

    same = record(2, dict(doc))
    assert cache.entity(same, CreatorProfile) is profile  # an equal document: the entry serves

    changed = record(2, {**doc, "display_name": "Bo"})
    assert cache.entity(changed, CreatorProfile).display_name == "Bo"


def test_what_is_derived_from_a_document_is_recomputed_for_a_document_read_anew() -> None:
    cache = EntityCache()
    profile = CreatorProfile(id="c1", display_name="Ana")
    doc = unstructure(profile)
    cache.remember("creator", "c1", 1, doc, profile, {"name_length": 3})
    calls: list[dict[str, Any]] = []

    def name_length(document: dict[str, Any]) -> int:
        calls.append(document)
        return len(document["display_name"])

    stored = record(1, doc)
    assert cache.derived(stored, "name_length", name_length) == 3 and calls == []
    # The same version, read again from the database (after someone edited the row underneath): another object.
    edited = record(1, {**doc, "display_name": "Anabel"})
    assert cache.derived(edited, "name_length", name_length) == 6 and len(calls) == 1


def test_the_cache_stays_within_its_size() -> None:
    cache = EntityCache(size=8)
    for i in range(50):
        profile = CreatorProfile(id=f"c{i}", display_name="Ana")
        cache.remember("creator", profile.id, 1, unstructure(profile), profile)
        assert len(cache) <= 8


def test_one_kit_serves_many_threads(world: World) -> None:
    """Threads share one kit (its store hands each thread a connection of its own; the entity cache is shared):
    every thread's deals come out as that thread made them, and the audit chain stays one unbroken line."""
    kit, threads = world.kit, 6
    creators = [
        kit.parties.register_creator(world.system, attrs.evolve(_profile(world), id=f"creator_t{i}"))
        for i in range(threads)
    ]
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []
    agreed: dict[str, Any] = {}

    def negotiate(creator: CreatorProfile) -> None:
        try:
            barrier.wait(timeout=30)
            actor = Actor.creator(creator.id)
            for round_ in range(3):
                deal = kit.outreach.invite(
                    world.brand, brief_id=world.brief.id, creator_id=creator.id, platform="echo", body="Join us?"
                )
                kit.outreach.respond(actor, deal.id, accept=True)
                offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000 + round_))
                agreed[deal.id] = kit.negotiation.accept(actor, offer.id)
                kit.deals.board(world.brand)  # reads interleaved with the other threads' writes
                if round_ < 2:
                    kit.deals.cancel(world.brand, deal.id, reason="next round")
        except BaseException as exc:  # reported below, with the thread's creator
            failures.append(exc)

    workers = [threading.Thread(target=negotiate, args=(creator,)) for creator in creators]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures, failures
    assert len(agreed) == threads * 3
    for deal_id, deal in agreed.items():
        stored = kit.deals.get(world.brand, deal_id)
        assert stored.price is not None and stored.price == deal.price
        assert stored.state in (DealState.AGREED, DealState.CANCELLED)
    assert sum(d.state is DealState.AGREED for d in kit.deals.visible_deals(world.brand)) == threads
    report = verify_chain(kit.store)
    assert report.ok and report.events == kit.store.audit_head()[0]


def _profile(world: World) -> CreatorProfile:
    return world.kit.creators.overview(world.creator, world.creator.id).profile
