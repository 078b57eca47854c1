"""A small world for the workflow tests: a verified brand, an agency with a manager, creators, a published brief.

Stores: SQLite always; PostgreSQL too when CREATORKIT_TEST_POSTGRES_URL is set (CI sets it), so every service
test runs on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Actor, Creatorkit, Money
from creatorkit.config import Config
from creatorkit.entities import (
    AuditEvent,
    Budget,
    CampaignBrief,
    ContentRules,
    CreatorProfile,
    Deal,
    Deliverable,
    DeliverableType,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    PriceTier,
    Product,
    RateCard,
    ScheduleKind,
    Scope,
    Terms,
    Timeline,
    VerificationStatus,
)
from creatorkit.host import PluginHost
from creatorkit.signing import generate_keypair
from creatorkit_echo import EchoPlatform

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the tests move by hand; services read time only through the kit's clock."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """An empty database of each dialect; the store suite's helpers own the PostgreSQL schema per test."""
    from databases import PostgresDatabase, SqliteDatabase, postgres_url_or_skip

    db = SqliteDatabase(tmp_path / "kit.db") if request.param == "sqlite" else PostgresDatabase(postgres_url_or_skip())
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def store(database: Any) -> Any:
    return database.open()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[Any]:
    return []


@pytest.fixture
def denials(kit: Creatorkit) -> Callable[..., list[AuditEvent]]:
    """``denials(action=None, *, by=None)``: the recorded refusals (``denied.<action>`` audit events), in order.

    ``action`` keeps those of one action (``"propose_roster_entry"``), ``by`` those of one actor.
    """

    def find(action: str | None = None, *, by: Actor | str | None = None) -> list[AuditEvent]:
        return [
            event
            for event in kit.store.iter_audit()
            if event.action.startswith("denied.")
            and (action is None or event.action == f"denied.{action}")
            and (by is None or event.actor_id == str(by))
        ]

    return find


@pytest.fixture
def kit(store: Any, clock: Clock, events: list[Any]) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")

    class Listener:
        from creatorkit import hookimpl

        @hookimpl
        def creatorkit_on_event(self, event: Any) -> None:
            events.append(event)

    plugins.add_listener(Listener(), name="test-listener")
    return Creatorkit(store=store, plugins=plugins, config=Config(), clock=clock)


@attrs.define
class World:
    kit: Creatorkit
    clock: Clock
    system: Actor
    brand: Actor
    unverified_brand: Actor
    agency: Actor
    manager: Actor
    other_agency: Actor
    other_manager: Actor
    creator: Actor
    other_creator: Actor
    roster_entry_id: str
    brief: CampaignBrief
    keys: dict[str, tuple[str, str]]

    def terms(self, price: int = 150_000, schedule: ScheduleKind = ScheduleKind.POSTPAY, **changes: Any) -> Terms:
        money = Money(price, "USD")
        if schedule is ScheduleKind.MILESTONES:
            half = money.allocate([1, 1])
            milestones: tuple[PaymentMilestone, ...] = (
                PaymentMilestone(label="on signature", amount=half[0], trigger=MilestoneTrigger.ON_SIGNATURE),
                PaymentMilestone(label="on publication", amount=half[1], trigger=MilestoneTrigger.ON_PUBLICATION),
            )
        else:
            trigger = (
                MilestoneTrigger.ON_PUBLICATION if schedule is ScheduleKind.POSTPAY else MilestoneTrigger.ON_SIGNATURE
            )
            milestones = (PaymentMilestone(label="fee", amount=money, trigger=trigger),)
        terms = Terms(
            price=money,
            deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
            payment=PaymentSchedule(kind=schedule, milestones=milestones),
            publish_by=START + timedelta(days=40),
            revision_limit=2,
        )
        return attrs.evolve(terms, **changes) if changes else terms

    def invite(self, creator: Actor | None = None, **kw: Any) -> Deal:
        return self.kit.outreach.invite(
            self.brand,
            brief_id=self.brief.id,
            creator_id=(creator or self.creator).id,
            platform="echo",
            body=kw.pop("body", "Hi {{ creator.display_name }}, join {{ brief.name }}!"),
            **kw,
        )

    def agree(self, **terms: Any) -> Deal:
        """A deal taken to AGREED: invited, accepted, offered by the brand, accepted by the creator."""
        deal = self.invite()
        self.kit.outreach.respond(self.creator, deal.id, accept=True)
        offer = self.kit.negotiation.propose(self.brand, deal.id, self.terms(**terms))
        return self.kit.negotiation.accept(self.creator, offer.id)


def _creator(id: str, name: str, handle: str) -> CreatorProfile:
    return CreatorProfile(
        id=id,
        display_name=name,
        country="US",
        languages=("en",),
        categories=("beauty",),
        accounts=(PlatformAccount(platform="echo", account_id=f"echo-{handle}", handle=handle, display_name=name),),
        rate_card=RateCard(
            tiers=(
                PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=Money(120_000, "USD"), label="21-60 s video"),
            ),
            negotiable=True,
        ),
    )


@pytest.fixture
def world(kit: Creatorkit, clock: Clock) -> World:
    system = Actor.system()
    parties = kit.parties
    brand = parties.register_brand(system, name="Lumen Cosmetics", country="US", id="brand_lumen")
    parties.set_brand_verification(system, brand.id, VerificationStatus.VERIFIED)
    unverified = parties.register_brand(system, name="Fresh Start Foods", id="brand_fresh")
    agency = parties.register_agency(system, name="Stellar Talent", id="agency_stellar")
    manager = parties.register_manager(system, agency_id=agency.id, name="Mina Park", id="mgr_mina")
    other_agency = parties.register_agency(system, name="Rival Media", id="agency_rival")
    other_manager = parties.register_manager(system, agency_id=other_agency.id, name="Rex Rival", id="mgr_rex")
    creator = parties.register_creator(system, _creator("creator_ana", "Ana Costa", "echo_creator_03"))
    other_creator = parties.register_creator(system, _creator("creator_bo", "Bo Lee", "echo_creator_04"))
    keys = {}
    for actor in (
        Actor.brand(brand.id),
        Actor.creator(creator.id),
        Actor.manager(manager.id),
        Actor.creator(other_creator.id),
    ):
        private, public = generate_keypair()
        parties.set_signing_key(actor, public)
        keys[actor.id] = (private, public)
    entry = kit.roster.propose(
        Actor.agency(agency.id),
        manager_id=manager.id,
        creator_id=creator.id,
        scopes=[Scope.VIEW_STATS, Scope.EDIT_RATES, Scope.NEGOTIATE, Scope.MANAGE_CONTENT],
    )
    kit.roster.accept(Actor.creator(creator.id), entry.id)
    brief = kit.briefs.create(
        Actor.brand(brand.id),
        name="Spring Glow launch",
        product=Product(name="Glow Serum", description="Vitamin C serum", category="beauty"),
        budget=Budget(total=Money(1_000_000, "USD")),
        timeline=Timeline(publish_from=START + timedelta(days=14), publish_until=START + timedelta(days=45)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
        content_rules=ContentRules(
            key_selling_points=("vitamin C",),
            banned_words=("cure", "miracle"),
            required_elements=("product close-up",),
            disclosure_tags=("#ad",),
        ),
    )
    brief = kit.briefs.publish(Actor.brand(brand.id), brief.id)
    return World(
        kit=kit,
        clock=clock,
        system=system,
        brand=Actor.brand(brand.id),
        unverified_brand=Actor.brand(unverified.id),
        agency=Actor.agency(agency.id),
        manager=Actor.manager(manager.id),
        other_agency=Actor.agency(other_agency.id),
        other_manager=Actor.manager(other_manager.id),
        creator=Actor.creator(creator.id),
        other_creator=Actor.creator(other_creator.id),
        roster_entry_id=entry.id,
        brief=brief,
        keys=keys,
    )


__all__ = ["START", "Clock", "World", "date"]
