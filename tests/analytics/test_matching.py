"""Matching a brief end to end over the sandboxes: discovery across the enabled platforms, the platforms' filter
reports applied locally, one person's accounts linked, past results with the brand, a ranking plugin, and
every way a brief can go unanswered said in the result."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from workflow.test_aftercare import complete_published_deals
from workflow.test_metrics_sync import live

from creatorkit import Actor, Creatorkit, Money, hookimpl
from creatorkit.analytics import CatalogRecord
from creatorkit.config import AnalyticsSettings, Config
from creatorkit.entities import (
    AudienceDimension,
    AudienceTarget,
    Budget,
    CampaignBrief,
    CreatorProfile,
    CreatorRequirements,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    FilterOutcome,
    FilterStatus,
    Kpi,
    KpiMetric,
    PlatformAccount,
)
from creatorkit.errors import ConfigError, PermissionDenied, ValidationError
from creatorkit.host import PluginHost
from creatorkit.matching import Found, MatchResult, check_match_brief, link
from creatorkit.testing import network_disabled
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
    assert result.considered == 2 * 24 == sum(result.excluded.values()) + result.scored


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

    def young_share(candidate: Any) -> float:
        return float(candidate.audience.breakdown(AGE).share_bounds(["18-24"])[0])

    passing = [c for c in everyone if young_share(c) >= 0.3]
    assert 0 < len(passing) < len(everyone)
    assert result.platforms["echo"].kept == len(passing)
    assert result.excluded["audience.age"] == 2 * (len(everyone) - len(passing))  # echo2 ignores it too
    assert result.considered == sum(result.excluded.values()) + result.scored
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


# -- local sources, brand safety and past results ---------------------------------------------------------------


@attrs.define
class ListSource:
    records_given: list[CatalogRecord]
    name: str = "imported"

    def records(self, brief: CampaignBrief) -> list[CatalogRecord]:
        return self.records_given


def local(creator_id: str, **fields: Any) -> CatalogRecord:
    values: dict[str, Any] = {
        "platform": "echo",
        "followers": 50_000,
        "engagement_rate": 0.06,
        "engagement_denominator": Denominator.VIEWS,
        "price": Money(50_000, "USD"),
        **fields,
    }
    return CatalogRecord(creator_id=creator_id, **values)


def test_a_local_source_is_held_to_every_filter_and_brand_safety_vetoes(world: World) -> None:
    world.kit.matching.sources.append(
        ListSource(
            [
                local("creator_clean", recent_captions=("Morning routine #ad",)),
                local("creator_risky", recent_captions=("This MIRACLE cream!",)),
                local("creator_pricey", price=Money(2_000_000, "USD")),
            ]
        )
    )
    result = match(world, top=100)
    ids = {m.creator_id for m in result.matches}
    assert "creator_clean" in ids and "creator_risky" not in ids and "creator_pricey" not in ids
    assert result.excluded["brand_safety"] == 1 and result.excluded["price"] == 1
    clean = next(m for m in result.matches if m.creator_id == "creator_clean")
    safety = next(c for c in clean.components if c.name == "brand_safety")
    assert safety.explanation == "no banned word in 1 recent captions"
    discovered = next(m for m in result.matches if m.creator_id.startswith("echo:"))
    unknown = next(c for c in discovered.components if c.name == "brand_safety")
    assert unknown.explanation.startswith("not checked") and not unknown.veto


def test_past_results_with_the_brand_come_from_its_completed_deals(world: World) -> None:
    kpis = (Kpi(metric=KpiMetric.VIEWS, target_count=1), Kpi(metric=KpiMetric.VIEWS, target_count=10**12))
    world.brief = brief_with(world, kpis=kpis)
    live(world, world.creator, "echo_creator_03")
    assert world.kit.metrics.sync(world.system).synced == 1
    complete_published_deals(world)
    result = match(world, brief_with(world), top=100)
    ana = next(m for m in result.matches if m.creator_id == "creator_ana")
    past = next(c for c in ana.components if c.name == "past_results")
    assert past.score == 0.5 and past.weight > 0
    assert past.explanation == "met 50% of KPI targets in earlier campaigns with brand_lumen"
    bo = next(m for m in result.matches if m.creator_id == "creator_bo")
    assert next(c for c in bo.components if c.name == "past_results").explanation.startswith("not scored")


# -- ranking plugins --------------------------------------------------------------------------------------------


def install_ranking_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution with one entry point in creatorkit.ranking, importable from ``tmp_path``."""
    (tmp_path / "by_followers_ranking.py").write_text(
        textwrap.dedent(
            """
            from creatorkit.analytics import Scorer
            from creatorkit.entities import Match, ScoreComponent

            class ByFollowers(Scorer):
                def __init__(self, *, weights, safety):
                    self.weights = weights

                def score(self, brief, candidate, *, as_of):
                    share = min(1.0, candidate.followers / 3_000_000)
                    reach = ScoreComponent(name="reach", score=share, weight=1.0, explanation="followers / 3M")
                    return Match(brief_id=brief.id, creator_id=candidate.creator_id, platform=candidate.platform,
                                 score=share, components=(reach,), as_of=as_of)
            """
        )
    )
    info = tmp_path / "by_followers_ranking-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: by-followers-ranking\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[creatorkit.ranking]\nby_followers = by_followers_ranking:ByFollowers\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_ranking_plugin_replaces_the_scorer(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_ranking_plugin(tmp_path, monkeypatch)
    settings(world, ranking="by_followers")
    result = match(world, top=5)
    assert result.ranking == "by_followers"
    everyone = sorted((c.metrics.followers.value for c in EchoPlatform().creators), reverse=True)  # type: ignore[union-attr]
    assert [m.score for m in result.matches] == sorted((min(1.0, f / 3_000_000) for f in everyone * 2), reverse=True)[
        :5
    ]
    assert all([c.name for c in m.components] == ["reach"] for m in result.matches)
    sys.modules.pop("by_followers_ranking", None)


def test_the_weights_come_from_the_config(world: World) -> None:
    settings(world, weights={"price": 0.0, "audience": 0.0, "engagement": 0.0, "category": 0.0})
    result = match(world, top=3)
    assert all(m.score == 0 for m in result.matches)  # nothing weighed is known for echo's creators
    settings(world, weights={"price": 1.0})
    price = next(c for c in match(world, top=1).matches[0].components if c.name == "price")
    assert price.weight == 1.0


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"ranking": "no_such_ranking"}, "analytics.ranking"),
        ({"weights": {"pricee": 0.2}}, "analytics.weights.pricee"),
        ({"weights": {"min_credibility": 1.5}}, "analytics.weights.min_credibility"),
    ],
)
def test_a_bad_analytics_setting_is_a_config_error_naming_its_key(
    world: World, changes: dict[str, Any], path: str
) -> None:
    settings(world, **changes)
    with pytest.raises(ConfigError) as raised:
        match(world)
    assert [p.path for p in raised.value.problems] == [path]


def test_the_config_file_takes_an_analytics_table() -> None:
    config = Config.from_toml(
        '[analytics]\nranking = "default"\ndiscovery_pages = 3\n[analytics.weights]\nprice = 0.4\n'
    )
    assert config.analytics.discovery_pages == 3 and config.analytics.weights == {"price": 0.4}
    with pytest.raises(ConfigError) as raised:
        Config.from_toml("[analytics]\npage_size = 0\n")
    assert [p.path for p in raised.value.problems] == ["analytics.page_size"]


# -- bad input and unanswered briefs ----------------------------------------------------------------------------


def test_contradictory_filters_and_unknown_categories_name_the_field(world: World) -> None:
    wanted = world.brief.requirements
    contradictory = attrs.evolve(world.brief, requirements=attrs.evolve(wanted, min_followers=500, max_followers=10))
    with pytest.raises(ValidationError) as raised:
        check_match_brief(contradictory)
    assert raised.value.paths == ["requirements.max_followers"]
    unknown = attrs.evolve(world.brief, requirements=attrs.evolve(wanted, categories=("cooking",)))
    with pytest.raises(ValidationError) as raised:
        check_match_brief(unknown)
    assert raised.value.paths == ["requirements.categories"]
    too_much = attrs.evolve(
        world.brief,
        target_audience=(
            AudienceTarget(dimension=AGE, keys=("18-24",), min_share=0.7),
            AudienceTarget(dimension=AGE, keys=("25-34",), min_share=0.6),
        ),
    )
    with pytest.raises(ValidationError) as raised:
        check_match_brief(too_much)
    assert raised.value.paths == ["target_audience[1].min_share"]


def test_a_stored_contradictory_brief_is_refused_before_any_platform_is_asked(world: World) -> None:
    brief = brief_with(world)
    stored = attrs.evolve(brief, requirements=attrs.evolve(brief.requirements, min_followers=9, max_followers=1))
    with world.kit.store._write_transaction() as tx:
        from creatorkit.converter import unstructure

        record = tx.get("brief", brief.id)
        assert record is not None
        tx.update("brief", brief.id, unstructure(stored), expected_version=record.version)
    world.kit._entities = type(world.kit._entities)()
    with pytest.raises(ValidationError) as raised:
        match(world, brief)
    assert raised.value.paths == ["requirements.max_followers"]


def test_a_budget_in_another_currency_is_a_stated_warning(world: World) -> None:
    brief = brief_with(world, budget=Budget(total=Money(1_000_000, "EUR")))
    result = match(world, brief, top=5)
    assert result.matches
    assert any("the budget is in EUR but" in w and "no exchange rate is guessed" in w for w in result.warnings)
    assert any("echo: 48" not in w and "price" in w for w in result.warnings)
    price = next(c for c in result.matches[0].components if c.name == "price")
    assert price.explanation == "not scored: priced in USD, the budget is in EUR"


def test_a_target_no_platform_measures_is_a_stated_warning(world: World) -> None:
    interest = AudienceTarget(dimension=AudienceDimension.INTEREST, keys=("beauty",), min_share=0.0)
    result = match(world, brief_with(world, target_audience=(interest,)), top=5)
    assert result.matches
    assert any("no account found has interest audience figures" in w for w in result.warnings)


def test_no_platform_with_discovery_is_a_stated_warning(world: World) -> None:
    world.kit.plugins = PluginHost()
    result = match(world)
    assert result.matches == ()
    assert any("no enabled platform offers discovery" in w for w in result.warnings)
    assert any("no creator was found for this brief" in w for w in result.warnings)


def test_one_platforms_discovery_failure_is_a_warning_and_the_others_are_ranked(world: World) -> None:
    failing = EchoPlatform("echo2")
    world.kit.plugins = PluginHost()
    world.kit.plugins.register(EchoPlatform(), name="echo")
    world.kit.plugins.register(failing, name="echo2")
    failing.fail_discovery = True
    result = match(world, top=100)
    assert result.platforms["echo2"].error is not None and result.platforms["echo2"].pages == 0
    assert any(w.startswith("echo2: discovery failed") for w in result.warnings)
    assert {p for m in result.matches for p in m.platforms} == {"echo"}


def test_every_account_turned_away_is_a_stated_warning(world: World) -> None:
    brief = brief_with(world, budget=Budget(total=Money(1_000_000, "USD"), per_creator_max=Money(100, "USD")))
    result = match(world, brief)
    assert result.matches == ()
    assert any(w.startswith("no creator fits the brief") or "no creator was found" in w for w in result.warnings)


def test_matching_is_the_brands(world: World) -> None:
    other = world.kit.parties.register_brand(world.system, name="Other", id="brand_other")
    with pytest.raises(PermissionDenied):
        world.kit.matching.match(Actor.brand(other.id), world.brief.id)
    with pytest.raises(PermissionDenied):
        world.kit.matching.match(world.creator, world.brief.id)
    with pytest.raises(ValidationError) as raised:
        match(world, top=0)
    assert raised.value.paths == ["top"]


# -- over the TikTok sandbox ------------------------------------------------------------------------------------


@pytest.fixture
def tiktok_world(world: World) -> Iterator[World]:
    """The world with echo and the TikTok One sandbox enabled; no call may leave the process."""
    from creatorkit_tiktok import TikTokPlatform

    with network_disabled():
        world.kit.plugins = PluginHost()
        world.kit.plugins.register(EchoPlatform(), name="echo")
        world.kit.plugins.register(TikTokPlatform(), name="tiktok")
        yield world


def test_a_brief_ranks_echo_and_tiktok_creators_with_tiktoks_engagement_benchmark(tiktok_world: World) -> None:
    world = tiktok_world
    settings(world, page_size=20, discovery_pages=2)
    female = AudienceTarget(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.4)
    brief = brief_with(world, target_audience=(female,))
    first = match(world, brief, top=200)
    assert first.platforms["tiktok"].pages == 2 and first.platforms["tiktok"].kept > 0
    tiktok = next(m for m in first.matches if m.platforms == ("tiktok",))
    engagement = next(c for c in tiktok.components if c.name == "engagement")
    assert engagement.weight > 0 and "by views against the" in engagement.explanation
    fit = next(c for c in tiktok.components if c.name == "audience_fit.gender")
    assert fit.weight > 0 and "target at least 40%" in fit.explanation
    # One person on both platforms, registered with both accounts, ranks once with both.
    account = next(a for a in first.matches if a.platforms == ("tiktok",)).creator_id
    handle_id = account.split(":", 1)[1]
    both = CreatorProfile(
        id="creator_maya",
        display_name="Maya",
        accounts=(
            PlatformAccount(platform="echo", account_id="echo-0008", handle="echo_creator_08"),
            PlatformAccount(platform="tiktok", account_id=handle_id, handle="unknown_handle"),
        ),
    )
    world.kit.parties.register_creator(world.system, both)
    second = match(world, brief, top=200)
    maya = [m for m in second.matches if m.creator_id == "creator_maya"]
    assert len(maya) == 1 and set(maya[0].platforms) == {"echo", "tiktok"}
    assert account not in {m.creator_id for m in second.matches}


class CoarseEcho(EchoPlatform):
    """A marketplace that searches followers only in bands of 100,000: it reports the filter approximated."""

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        page = super().creatorkit_discover_creators(attrs.evolve(query, followers=None, cursor=query.cursor))
        wanted = query.followers
        assert wanted is not None
        low = (wanted.min or 0) // 100_000 * 100_000
        coarse = [c for c in page.candidates if c.metrics and c.metrics.followers and c.metrics.followers.value >= low]
        outcome = FilterOutcome(
            filter="followers", status=FilterStatus.APPROXIMATED, note="searched in bands of 100,000 followers"
        )
        return attrs.evolve(page, candidates=tuple(coarse), filters=(*page.filters, outcome))


def test_what_a_platform_approximated_is_applied_locally_and_changes_the_result(world: World) -> None:
    world.kit.plugins = PluginHost()
    world.kit.plugins.register(CoarseEcho("coarse"), name="coarse")
    brief = brief_with(world, requirements=CreatorRequirements(min_followers=150_000))
    result = match(world, brief, top=100)
    check = next(c for c in result.platforms["coarse"].checks if c.filter == "followers")
    assert check.platform_status == "approximated" and check.removed
    followers = {c.profile.id: c.metrics.followers.value for c in CoarseEcho("coarse").creators}  # type: ignore[union-attr]
    in_band = [i for i, f in followers.items() if 100_000 <= f < 150_000]
    assert sorted(check.removed) == sorted(in_band) and in_band
    assert result.excluded["followers"] == len(in_band)
    kept = {m.creator_id.removesuffix("@coarse") for m in result.matches}
    assert kept and all(followers[i] >= 150_000 for i in kept if i in followers)


def test_the_brands_imported_catalog_is_a_local_source(world: World, tmp_path: Path) -> None:
    """Creators the brand imported (``creatorkit import creators``) are ranked beside the discovered ones, held to
    every filter of the brief: the one priced over the cap is turned away (by the catalog's own column-wise filter,
    so it is not in the match's funnel: the catalog hands over its shortlist only)."""
    path = tmp_path / "creators.csv"
    path.write_text(
        "creator_id,platform,followers,engagement_rate,engagement_denominator,price,currency\n"
        "imported_lena,echo,50000,0.06,views,500.00,USD\n"
        "imported_pricey,echo,50000,0.06,views,20000.00,USD\n",
        encoding="utf-8",
    )
    report = world.kit.catalog.import_file(world.brand, path)
    assert (report.created, report.rejected_rows) == (2, 0)
    result = match(world, top=100)
    ids = {m.creator_id for m in result.matches}
    assert "imported_lena" in ids and "imported_pricey" not in ids
    lena = next(m for m in result.matches if m.creator_id == "imported_lena")
    assert {c.name for c in lena.components} >= {"engagement", "price"}  # scored and explained like the others
