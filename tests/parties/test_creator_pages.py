"""The creator page: one call returns the overview a manager sees (stats, rate card, audience, core metrics,
availability, past collaborations); editing rates and availability needs the edit_rates scope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from creatorkit import Actor, Money
from creatorkit.entities import (
    AudienceDimension,
    AudienceKind,
    AvailabilityWindow,
    Budget,
    CreatorProfile,
    DeliverableType,
    Denominator,
    MetricSource,
    PastCollaboration,
    Period,
    PlatformAccount,
    PriceTier,
    Product,
    RateCard,
    Scope,
    Window,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from world import World

ECHO_AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def profile_of(world: World) -> CreatorProfile:
    return world.kit.creators.overview(world.creator, world.creator.id).profile


def rate_card(*tiers: tuple[DeliverableType, int, str], negotiable: bool = True) -> RateCard:
    prices = tuple(PriceTier(deliverable=d, price=Money(amount, currency)) for d, amount, currency in tiers)
    return RateCard(tiers=prices, negotiable=negotiable)


def register(world: World, id: str, handle: str, **fields: Any) -> Actor:
    profile = CreatorProfile(
        id=id,
        display_name="Cy Novak",
        accounts=(PlatformAccount(platform="echo", account_id=f"echo-{handle}", handle=handle),),
        **fields,
    )
    world.kit.parties.register_creator(world.system, profile)
    return Actor.creator(id)


# -- the overview ----------------------------------------------------------------------------------------------


def test_one_call_returns_the_overview_a_manager_sees(world):
    kit = world.kit
    kit.creators.set_availability(
        world.manager,
        world.creator.id,
        [
            AvailabilityWindow(starts=date(2026, 4, 1), ends=date(2026, 4, 30), note="April"),
        ],
    )
    kit.creators.add_past_collaboration(
        world.creator,
        world.creator.id,
        PastCollaboration(
            brand_name="Old Brand",
            completed_on=date(2025, 12, 1),
            platform="echo",
            deliverable=DeliverableType.SHORT_VIDEO,
        ),
    )
    kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    declined = world.invite()
    kit.outreach.respond(world.creator, declined.id, accept=False)
    world.clock.advance(days=1)
    world.invite()

    overview = kit.creators.overview(world.manager, world.creator.id)
    profile = overview.profile
    assert profile.display_name == "Ana Costa"
    assert profile.accounts[0].handle == "echo_creator_03"
    assert profile.rate_card.price_for(DeliverableType.SHORT_VIDEO) == Money(120_000, "USD")
    assert profile.rate_card.negotiable is True
    assert [w.note for w in profile.availability] == ["April"]
    assert [c.brand_name for c in profile.past_collaborations] == ["Old Brand"]
    assert overview.deals_by_tab == {"pending": 1, "active": 0, "finished": 0, "inactive": 1}
    assert overview.completed_collaborations == 1
    (metrics,) = overview.metrics
    assert metrics.platform == "echo" and metrics.as_of == ECHO_AS_OF
    assert metrics.followers.value > 0 and metrics.average_views.value > 0
    (audience,) = overview.audience  # in canonical buckets: echo's coarse "35+" stays whole
    age = audience.breakdown(AudienceDimension.AGE)
    assert age is not None and [s.key for s in age.shares][-1] == "35+"
    assert age.kind is AudienceKind.FOLLOWERS and age.timeframe == Window.days(30)
    country = audience.breakdown(AudienceDimension.COUNTRY)
    assert country is not None and country.truncated and country.top_n == 3
    # The creator reads the same page.
    assert kit.creators.overview(world.creator, world.creator.id) == overview


def test_the_overview_needs_the_view_stats_scope(world):
    kit = world.kit
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.NEGOTIATE, Scope.EDIT_RATES])
    with pytest.raises(PermissionDenied) as raised:
        kit.creators.overview(world.manager, world.creator.id)
    assert "view_stats" in raised.value.reason
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS])
    assert kit.creators.overview(world.manager, world.creator.id).profile.id == world.creator.id


def test_a_refused_overview_is_recorded(world, denials):
    kit = world.kit
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.NEGOTIATE])
    with pytest.raises(PermissionDenied):
        kit.creators.overview(world.manager, world.creator.id)
    assert [e.actor_id for e in denials("view_creator")] == [str(world.manager)]


def test_who_may_see_a_creator_page(world):
    kit = world.kit
    with pytest.raises(NotFound):  # not on this manager's roster
        kit.creators.overview(world.manager, world.other_creator.id)
    with pytest.raises(NotFound):
        kit.creators.overview(world.other_manager, world.creator.id)
    with pytest.raises(PermissionDenied):
        kit.creators.overview(world.other_creator, world.creator.id)
    with pytest.raises(NotFound):
        kit.creators.overview(world.manager, "creator_nope")


def test_a_brand_sees_the_public_page_without_contact_details(world):
    kit = world.kit
    cy = register(world, "creator_cy", "echo_creator_05", email="cy@private.example")
    kit.roster.accept(
        cy,
        kit.roster.propose(world.agency, manager_id=world.manager.id, creator_id=cy.id, scopes=[Scope.VIEW_STATS]).id,
    )
    assert kit.creators.overview(cy, cy.id).profile.email == "cy@private.example"
    assert kit.creators.overview(world.manager, cy.id).profile.email == "cy@private.example"
    public = kit.creators.overview(world.brand, cy.id).profile
    assert public.email is None and public.display_name == "Cy Novak"


def test_a_brand_does_not_see_other_brands_deals_on_a_creator_page(world):
    kit = world.kit
    brief = kit.briefs.create(
        world.unverified_brand,
        name="Fresh tasting",
        product=Product(name="Granola"),
        budget=Budget(total=Money(0, "USD")),
        timeline=world.brief.timeline,
        deliverables=world.brief.deliverables,
    )
    kit.briefs.publish(world.unverified_brand, brief.id)
    kit.outreach.invite(
        world.unverified_brand,
        brief_id=brief.id,
        creator_id=world.creator.id,
        platform="echo",
        body="Hi {{ creator.display_name }}",
    )
    assert kit.creators.overview(world.manager, world.creator.id).deals_by_tab["pending"] == 1
    assert kit.creators.overview(world.brand, world.creator.id).deals_by_tab["pending"] == 0


# -- the rate card ---------------------------------------------------------------------------------------------


def test_a_manager_with_edit_rates_updates_the_rate_card(world):
    kit = world.kit
    world.clock.advance(days=2)
    card = rate_card(
        (DeliverableType.SHORT_VIDEO, 150_000, "USD"), (DeliverableType.STORY, 40_000, "USD"), negotiable=False
    )
    updated = kit.creators.update_rate_card(world.manager, world.creator.id, card)
    assert updated.rate_card.tiers == card.tiers
    assert updated.rate_card.negotiable is False
    assert updated.rate_card.updated_at == world.clock.now
    assert profile_of(world).rate_card == updated.rate_card
    assert kit.creators.overview(world.manager, world.creator.id).profile.rate_card.price_for(
        DeliverableType.STORY
    ) == Money(40_000, "USD")
    (event,) = [e for e in kit.store.iter_audit() if e.action == "creator.update_rate_card"]
    assert event.actor_id == str(world.manager) and event.on_behalf_of == world.creator.id
    assert event.entity_id == world.creator.id


def test_the_creator_edits_their_own_rate_card(world):
    card = rate_card((DeliverableType.LIVESTREAM, 300_000, "USD"))
    world.kit.creators.update_rate_card(world.creator, world.creator.id, card)
    edited = profile_of(world).rate_card
    assert edited is not None and edited.tiers == card.tiers
    (event,) = [e for e in world.kit.store.iter_audit() if e.action == "creator.update_rate_card"]
    assert event.on_behalf_of is None


def test_editing_rates_needs_the_edit_rates_scope(world, denials):
    kit = world.kit
    before = profile_of(world).rate_card
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, Scope.NEGOTIATE])
    with pytest.raises(PermissionDenied) as raised:
        kit.creators.update_rate_card(world.manager, world.creator.id, rate_card((DeliverableType.STORY, 1, "USD")))
    assert "edit_rates" in raised.value.reason
    with pytest.raises(PermissionDenied):
        kit.creators.set_availability(
            world.manager, world.creator.id, [AvailabilityWindow(starts=date(2026, 5, 1), ends=date(2026, 5, 2))]
        )
    assert [e.actor_id for e in denials("update_rate_card")] == [str(world.manager)]
    assert [e.actor_id for e in denials("set_availability")] == [str(world.manager)]
    assert profile_of(world).rate_card == before
    assert profile_of(world).availability == ()


@pytest.mark.parametrize("who", ["brand", "other_creator", "agency"])
def test_others_cannot_edit_a_rate_card(world, who, denials):
    before = profile_of(world).rate_card
    with pytest.raises(PermissionDenied):
        world.kit.creators.update_rate_card(
            getattr(world, who), world.creator.id, rate_card((DeliverableType.STORY, 1, "USD"))
        )
    assert denials("update_rate_card")[0].actor_id == str(getattr(world, who))
    assert profile_of(world).rate_card == before


def test_another_agencys_manager_cannot_find_the_creator_to_edit(world):
    with pytest.raises(NotFound):
        world.kit.creators.update_rate_card(
            world.other_manager, world.creator.id, rate_card((DeliverableType.STORY, 1, "USD"))
        )


def test_mixed_currencies_are_refused(world):
    before = profile_of(world).rate_card
    with pytest.raises(ValidationError) as raised:
        world.kit.creators.update_rate_card(
            world.manager,
            world.creator.id,
            rate_card((DeliverableType.SHORT_VIDEO, 150_000, "USD"), (DeliverableType.STORY, 30_000, "EUR")),
        )
    assert raised.value.paths == ["rate_card.tiers"]
    assert profile_of(world).rate_card == before


# -- availability and track record -----------------------------------------------------------------------------


def test_availability_windows_are_kept_in_order(world):
    april = AvailabilityWindow(starts=date(2026, 4, 1), ends=date(2026, 4, 10))
    march = AvailabilityWindow(starts=date(2026, 3, 20), ends=date(2026, 3, 31))  # ends the day before april starts
    updated = world.kit.creators.set_availability(world.manager, world.creator.id, [april, march])
    assert updated.availability == (march, april)
    assert profile_of(world).availability == (march, april)
    assert profile_of(world).availability[0].covers(date(2026, 3, 25))


@pytest.mark.parametrize(
    "second",
    [
        AvailabilityWindow(starts=date(2026, 4, 10), ends=date(2026, 4, 15)),  # shares the last day (inclusive)
        AvailabilityWindow(starts=date(2026, 4, 5), ends=date(2026, 4, 6)),  # inside
        AvailabilityWindow(starts=date(2026, 3, 1), ends=date(2026, 5, 1)),  # around
    ],
)
def test_overlapping_availability_is_refused(world, second):
    first = AvailabilityWindow(starts=date(2026, 4, 1), ends=date(2026, 4, 10))
    with pytest.raises(ValidationError) as raised:
        world.kit.creators.set_availability(world.manager, world.creator.id, [first, second])
    assert raised.value.paths == ["availability"]
    assert profile_of(world).availability == ()


def test_past_collaborations_count_on_the_page(world):
    kit = world.kit
    for i, brand in enumerate(("A", "B")):
        kit.creators.add_past_collaboration(
            world.manager,
            world.creator.id,
            PastCollaboration(brand_name=brand, completed_on=date(2025, 10 + i, 1), campaign_name=f"campaign {brand}"),
        )
    overview = kit.creators.overview(world.manager, world.creator.id)
    assert [c.brand_name for c in overview.profile.past_collaborations] == ["A", "B"]
    assert overview.completed_collaborations == 2


# -- metrics from the platform plugin --------------------------------------------------------------------------


def test_refresh_metrics_keeps_the_platforms_snapshot_with_denominator_source_and_as_of(world):
    kit = world.kit
    fetched = kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    assert fetched.platform == "echo" and fetched.as_of == ECHO_AS_OF

    (shown,) = kit.creators.overview(world.manager, world.creator.id).metrics
    assert shown == fetched
    rate = shown.engagement_rate
    assert rate.denominator is Denominator.VIEWS
    assert rate.source is MetricSource.PLATFORM
    assert rate.as_of == ECHO_AS_OF
    assert 0 < rate.value < 1
    for count in (shown.followers, shown.average_views):
        assert count.source is MetricSource.PLATFORM and count.as_of == ECHO_AS_OF
    (event,) = [e for e in kit.store.iter_audit() if e.action == "creator.metrics_snapshot"]
    assert event.actor_id == str(world.manager) and event.on_behalf_of == world.creator.id
    # Another creator's page is unaffected.
    assert kit.creators.overview(world.other_creator, world.other_creator.id).metrics == ()


def test_refresh_metrics_over_a_period_keeps_its_own_snapshot(world):
    kit = world.kit
    default = kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    period = Period(start=datetime(2026, 10, 25, tzinfo=UTC), end=datetime(2026, 11, 1, tzinfo=UTC))
    windowed = kit.creators.refresh_metrics(world.manager, world.creator.id, "echo", period=period)

    assert default.period is None and windowed.period == period
    assert [day.day for day in windowed.daily] == period.days()
    assert all(day.saves is None for day in windowed.daily)  # echo reports no saves: None, never 0
    assert len([e for e in kit.store.iter_audit() if e.action == "creator.metrics_snapshot"]) == 2
    (shown,) = kit.creators.overview(world.manager, world.creator.id).metrics
    assert shown == windowed


def test_refreshing_twice_with_unchanged_platform_figures_is_fine(world):
    kit = world.kit
    kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    world.clock.advance(hours=1)
    try:
        kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    except StateError as exc:  # ConflictError is a StateError
        pytest.fail(f"second refresh failed: {exc}")
    assert len(kit.creators.overview(world.manager, world.creator.id).metrics) == 1


def test_refreshing_needs_view_stats_and_stores_nothing_when_refused(world):
    kit = world.kit
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.NEGOTIATE])
    with pytest.raises(PermissionDenied):
        kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    with pytest.raises(NotFound):
        kit.creators.refresh_metrics(world.other_manager, world.creator.id, "echo")
    assert kit.creators.overview(world.creator, world.creator.id).metrics == ()
    assert not [e for e in kit.store.iter_audit() if e.action == "creator.metrics_snapshot"]


def test_a_refused_refresh_is_recorded(world, denials):
    kit = world.kit
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.NEGOTIATE])
    with pytest.raises(PermissionDenied):
        kit.creators.refresh_metrics(world.manager, world.creator.id, "echo")
    assert [e.actor_id for e in denials("refresh_metrics")] == [str(world.manager)]


def test_refreshing_a_creator_the_platform_does_not_know(world):
    kit = world.kit
    ghost = register(world, "creator_ghost", "not_on_echo")
    with pytest.raises(NotFound) as raised:
        kit.creators.refresh_metrics(ghost, ghost.id, "echo")
    assert raised.value.id == "not_on_echo"
    assert kit.creators.overview(ghost, ghost.id).metrics == ()


def test_refreshing_a_platform_the_creator_is_not_on(world):
    kit = world.kit
    kit.parties.register_creator(world.system, CreatorProfile(id="creator_offline", display_name="Off Line"))
    offline = Actor.creator("creator_offline")
    with pytest.raises(ValidationError) as raised:
        kit.creators.refresh_metrics(offline, offline.id, "echo")
    assert raised.value.paths == ["platform"]
