"""A campaign to report on: a brand, a brief with KPI targets and a target audience, N creators whose posts are
live on a sandbox whose figures grow day by day, and D daily sync rounds of snapshots.

Echo's own post figures stand still (its clock is its data set's ``AS_OF``); :class:`GrowingEcho` is echo with
post figures that grow with the days since publication, read at the kit's clock, so that views over time rise as
a real post's do. Everything else — invitations, audiences, follower counts — is echo's. The deals go to
production through the test shortcut of ``tests/workflow/test_content.py`` (the contract flow is not what a
report is about); from there on every step is the product's: draft, approval, publication, metrics sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from creatorkit import Actor, Creatorkit, Money, hookimpl
from creatorkit.entities import (
    AudienceDimension,
    AudienceTarget,
    Budget,
    ContentRules,
    Count,
    CreatorProfile,
    Deal,
    DealState,
    Deliverable,
    DeliverableType,
    Kpi,
    KpiMetric,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    PostMetricsBatch,
    PostMetricsRequest,
    Product,
    ScheduleKind,
    Terms,
    Timeline,
    VerificationStatus,
)
from creatorkit.workflow._machine import apply, load_deal
from creatorkit_echo import EchoPlatform

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: When the posts go live: the first day of the brief's publishing window.
LIVE = START + timedelta(days=14)


class GrowingEcho(EchoPlatform):
    """Echo whose post figures at a moment are echo's figures × the share of them reached by then, and whose
    accounts gain followers: ``follows_per_day`` of echo's count a day since :data:`START`, read at the clock.

    A post reaches a quarter of its figures on the day it is published and all of them after ``ramp_days``.
    """

    def __init__(self, clock: Callable[[], datetime], size: int = 24, ramp_days: int = 30) -> None:
        super().__init__(size=size)
        self.clock, self.ramp_days = clock, ramp_days
        self.follows_per_day = 0.002

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: Any, period: Any, context: Any) -> Any:
        metrics = super().creatorkit_fetch_creator_metrics(account, period, context)
        now = self.clock()
        days = (now - START).total_seconds() / 86_400
        followers = metrics.followers
        assert followers is not None  # echo knows every account's followers
        grown = attrs.evolve(followers, value=int(followers.value * (1 + self.follows_per_day * days)), as_of=now)
        return attrs.evolve(metrics, followers=grown, as_of=now)

    @hookimpl
    def creatorkit_fetch_post_metrics_batch(self, request: PostMetricsRequest) -> PostMetricsBatch:
        batch = super().creatorkit_fetch_post_metrics_batch(request)
        now = self.clock()
        published = {post.platform_post_id: post.published_at for post in request.posts}
        results = []
        for result in batch.results:
            if result.metrics is not None:
                days = max(0.0, (now - published[result.platform_post_id]).total_seconds() / 86_400)
                share = min(1.0, 0.25 + 0.75 * days / self.ramp_days)
                result = attrs.evolve(result, metrics=_scaled(result.metrics, share, now))
            results.append(result)
        return attrs.evolve(batch, results=tuple(results))


def _scaled(metrics: Any, share: float, now: datetime) -> Any:
    def grown(figure: Count | None) -> Count | None:
        return None if figure is None else attrs.evolve(figure, value=int(figure.value * share), as_of=now)

    counts = {name: grown(getattr(metrics, name)) for name in ("views", "likes", "comments", "shares", "saves")}
    return attrs.evolve(metrics, as_of=now, **counts)


@attrs.define
class Campaign:
    kit: Creatorkit
    clock: Any
    platform: EchoPlatform
    brand: Actor
    brief_id: str
    creators: list[Actor]
    deals: list[Deal]


def register_creator(kit: Creatorkit, platform: EchoPlatform, index: int, name: str | None = None) -> Actor:
    """The creator behind echo's creator ``index`` (their audience and followers are echo's), as ``creator_NN``."""
    echo = platform.creators[index]
    account = echo.profile.accounts[0]
    profile = CreatorProfile(
        id=f"creator_{index:02d}",
        display_name=name or echo.profile.display_name,
        country="US",
        languages=("en",),
        categories=("beauty",),
        accounts=(PlatformAccount(platform="echo", account_id=account.account_id, handle=account.handle),),
    )
    kit.parties.register_creator(Actor.system(), profile)
    return Actor.creator(profile.id)


def _terms(price: int) -> Terms:
    money = Money(price, "USD")
    return Terms(
        price=money,
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
        payment=PaymentSchedule(
            kind=ScheduleKind.POSTPAY,
            milestones=(PaymentMilestone(label="fee", amount=money, trigger=MilestoneTrigger.ON_PUBLICATION),),
        ),
        publish_by=START + timedelta(days=40),
        revision_limit=2,
    )


def _to_production(kit: Creatorkit, brand: Actor, deal: Deal) -> None:
    """TEST SHORTCUT (as in tests/workflow/test_content.py): the contract's send, execution and production start."""
    system = Actor.system()

    def send(change: Any) -> Deal:
        return apply(change, load_deal(change, brand, deal.id)[0], "send_contract", payload={"test_shortcut": True})

    def start(change: Any) -> Deal:
        current = load_deal(change, system, deal.id)[0]
        for action in ("execute", "start_production"):
            current = apply(change, current, action, payload={"test_shortcut": True})
        return current

    kit.deals._write(brand, "test", send)
    kit.deals._write(system, "test", start)


def build_campaign(
    kit: Creatorkit,
    clock: Any,
    platform: EchoPlatform,
    *,
    creators: int = 3,
    days: int = 5,
    names: dict[int, str] | None = None,
    captions: dict[int, str] | None = None,
    kpis: tuple[Kpi, ...] | None = None,
) -> Campaign:
    """The campaign, synced once a day for ``days`` days from the day its posts went live, each creator's account
    read before the campaign and after the last round (where the clock ends). ``names`` and ``captions`` replace
    a creator's display name or caption (by index)."""
    system = Actor.system()
    brand = kit.parties.register_brand(system, name="Lumen Cosmetics", country="US", id="brand_lumen")
    kit.parties.set_brand_verification(system, brand.id, VerificationStatus.VERIFIED)
    owner = Actor.brand(brand.id)
    brief = kit.briefs.create(
        owner,
        name="Spring Glow launch",
        product=Product(name="Glow Serum", description="Vitamin C serum", category="beauty"),
        budget=Budget(total=Money(100_000_000, "USD")),
        timeline=Timeline(publish_from=LIVE, publish_until=START + timedelta(days=75)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
        content_rules=ContentRules(disclosure_tags=("#ad",)),
        target_audience=(
            AudienceTarget(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.5),
            AudienceTarget(dimension=AudienceDimension.AGE, keys=("18-24", "25-34"), min_share=0.5),
            AudienceTarget(dimension=AudienceDimension.COUNTRY, keys=("US",), min_share=0.2),
        ),
        kpis=kpis
        if kpis is not None
        else (
            Kpi(metric=KpiMetric.VIEWS, target_count=1_000_000 * creators),
            Kpi(metric=KpiMetric.ENGAGEMENT_RATE, target_rate=0.05),
            Kpi(metric=KpiMetric.CPM, target_cost=Money(1_000, "USD")),
        ),
    )
    kit.briefs.publish(owner, brief.id)
    actors, deals = [], []
    for index in range(creators):
        creator = register_creator(kit, platform, index, (names or {}).get(index))
        kit.creators.refresh_metrics(creator, creator.id, "echo")  # followers and audience, from the platform
        deal = kit.outreach.invite(owner, brief_id=brief.id, creator_id=creator.id, platform="echo", body="Hi!")
        kit.outreach.respond(creator, deal.id, accept=True)
        offer = kit.negotiation.propose(owner, deal.id, _terms(100_000 + 25_000 * index))
        kit.negotiation.accept(creator, offer.id)
        _to_production(kit, owner, deal)
        actors.append(creator)
        deals.append(deal)
    for index, (creator, deal) in enumerate(zip(actors, deals, strict=True)):
        caption = (captions or {}).get(index, f"Glow serum day one #ad ({index})")
        kit.content.submit_draft(creator, deal.id, caption=caption)
        kit.content.review(owner, deal.id, approve=True)
    clock.now = LIVE
    for index, (creator, deal) in enumerate(zip(actors, deals, strict=True)):
        post_id = platform.post_ids(platform.creators[index].profile.accounts[0].handle)[0]
        kit.content.record_published(creator, deal.id, platform_post_id=post_id, url=f"https://echo.example/{post_id}")
    for day in range(days):
        clock.now = LIVE + timedelta(days=day, hours=1)
        kit.metrics.sync(system)
    for creator in actors:  # the accounts read again at the end: follower growth over the campaign
        kit.creators.refresh_metrics(creator, creator.id, "echo")
    deals = [kit.deals.get(owner, deal.id) for deal in deals]
    assert all(deal.state is DealState.PUBLISHED for deal in deals)
    return Campaign(
        kit=kit, clock=clock, platform=platform, brand=owner, brief_id=brief.id, creators=actors, deals=deals
    )
