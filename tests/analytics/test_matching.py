"""Matching a brief end to end over the sandboxes: discovery across the enabled platforms, the platforms' filter
reports applied locally, one person's accounts linked, past results with the brand, a ranking plugin, and
every way a brief can go unanswered said in the result."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from creatorkit import Creatorkit
from creatorkit.analytics import CatalogRecord
from creatorkit.config import AnalyticsSettings, Config
from creatorkit.entities import (
    AudienceDimension,
    AudienceTarget,
    CampaignBrief,
    CreatorProfile,
    Denominator,
    PlatformAccount,
)
from creatorkit.host import PluginHost
from creatorkit.matching import Found, MatchResult, link
from creatorkit_echo import EchoPlatform
from world import Clock, World

AGE = AudienceDimension.AGE


@pytest.fixture
def kit(store: Any, clock: Clock) -> Creatorkit:
    """Two platforms: echo and a second echo marketplace (echo2) with the same kind of synthetic creators."""
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    plugins.register(EchoPlatform("echo2"), name="echo2")
    return Creatorkit(store=store, plugins=plugins, config=Config(), clock=clock)


def brief_with(world: World, **changes: Any) -> CampaignBrief:
    """The world's brief, changed and stored as a new published brief of the same brand."""
    fields = {
        "name": world.brief.name,
        "product": world.brief.product,
        "budget": world.brief.budget,
        "timeline": world.brief.timeline,
        "deliverables": world.brief.deliverables,
        "content_rules": world.brief.content_rules,
        **changes,
    }
    brief = world.kit.briefs.create(world.brand, **fields)
    return world.kit.briefs.publish(world.brand, brief.id)


def settings(world: World, **changes: Any) -> None:
    world.kit.config = attrs.evolve(world.kit.config, analytics=AnalyticsSettings(**changes))


def match(world: World, brief: CampaignBrief | None = None, **kw: Any) -> MatchResult:
    return world.kit.matching.match(world.brand, (brief or world.brief).id, **kw)


# -- end to end -----------------------------------------------------------------------------------------------


def test_a_brief_runs_from_discovery_across_platforms_to_a_ranked_explained_list(world: World) -> None:
    result = match(world, top=10)
    assert set(result.platforms) == {"echo", "echo2"}
    assert all(p.pages >= 1 and p.error is None for p in result.platforms.values())
    assert len(result.matches) == 10
    assert [m.rank for m in result.matches] == list(range(1, 11))
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    names = {c.name for c in result.matches[0].components}
    assert {"engagement", "price", "availability", "past_results", "quality_gate", "brand_safety"} <= names
    for component in result.matches[0].components:
        assert component.explanation
    assert {p for m in result.matches for p in m.platforms} <= {"echo", "echo2"}
    assert result.considered >= 2 * 24 - result.excluded.get("duplicate", 0)


def test_pages_are_read_up_to_the_configured_limit(world: World) -> None:
    settings(world, page_size=5, discovery_pages=2)
    result = match(world)
    assert result.platforms["echo"].pages == 2 and result.platforms["echo"].returned == 10
    assert result.platforms["echo"].more
    assert any("echo: read 2 page(s), the limit of [analytics] discovery_pages" in w for w in result.warnings)
    settings(world, page_size=5, discovery_pages=10)
    assert match(world).platforms["echo"].returned == 24 and not match(world).platforms["echo"].more


def test_what_a_platform_ignored_is_applied_locally_and_changes_the_result(world: World) -> None:
    young = AudienceTarget(dimension=AGE, keys=("18-24",), min_share=0.3)
    brief = brief_with(world, target_audience=(young,))
    result = match(world, brief, top=50)
    check = next(c for c in result.platforms["echo"].checks if c.filter == "audience.age")
    assert check.platform_status == "ignored" and check.applied and check.removed
    everyone = EchoPlatform().creators
    passing = [c for c in everyone if c.audience and c.audience.breakdown(AGE).share_bounds(["18-24"])[0] >= 0.3]
    assert 0 < len(passing) < len(everyone)
    assert result.platforms["echo"].kept == len(passing)
    assert result.platforms["echo"].returned == len(everyone)
    echo_ids = {m.creator_id for m in result.matches if m.platforms == ("echo",)}
    assert len(echo_ids) <= len(passing)
    unfiltered = match(world, top=50)
    assert unfiltered.platforms["echo"].kept == len(everyone)


def test_one_persons_accounts_on_two_platforms_are_one_creator(world: World) -> None:
    maya = CreatorProfile(
        id="creator_maya",
        display_name="Maya",
        accounts=(
            PlatformAccount(platform="echo", account_id="echo-0006", handle="echo_creator_06"),
            PlatformAccount(platform="echo2", account_id="echo2-0011", handle="echo_creator_11"),
        ),
    )
    world.kit.parties.register_creator(world.system, maya)
    result = match(world, top=100)
    found = [m for m in result.matches if m.creator_id == "creator_maya"]
    assert len(found) == 1
    assert set(found[0].platforms) == {"echo", "echo2"} and len(found[0].accounts) == 2
    assert any("registered creator creator_maya lists" in why for why in found[0].linked_by)
    assert found[0].score == max(a.score for a in found[0].accounts)
    # The same handle (and the same profile id) on two platforms is not a link: echo_creator_07 is two creators,
    # told apart by platform.
    sevens = {m.creator_id: m.platforms for m in result.matches if m.creator_id.startswith("echo:echo_creator_07")}
    assert sevens == {"echo:echo_creator_07@echo": ("echo",), "echo:echo_creator_07@echo2": ("echo2",)}
    # A creator registered with one account is found under their own id.
    ana = next(m for m in result.matches if m.creator_id == "creator_ana")
    assert ana.platforms == ("echo",) and ana.display_name == "Ana Costa"
    assert len({m.creator_id for m in result.matches}) == len(result.matches)


def test_the_same_email_links_profiles_found_apart() -> None:
    def found(platform: str, email: str | None) -> Found:
        account = PlatformAccount(platform=platform, account_id=f"{platform}-1", handle="same")
        profile = CreatorProfile(id=f"{platform}:1", display_name="X", accounts=(account,), email=email)
        record = CatalogRecord(
            creator_id=profile.id,
            platform=platform,
            followers=1,
            engagement_rate=0.1,
            engagement_denominator=Denominator.VIEWS,
        )
        return Found(record=record, source=platform, account=account, profile=profile)

    people = link([found("echo", "Ana@Example.com"), found("tiktok", " ana@example.com"), found("ig", None)], [])
    assert [p.members for p in people] == [(0, 1), (2,)]
    assert people[0].reasons == ("the same e-mail address",)


def test_zz_show(world: World) -> None:
    result = match(world, top=3)
    for m in result.matches:
        print(m.rank, m.creator_id, m.platforms, round(m.score, 3), m.linked_by)
        for c in m.components:
            print("   ", c.name, c.score, c.weight, c.explanation)
    print(result.excluded, result.warnings, result.considered)
