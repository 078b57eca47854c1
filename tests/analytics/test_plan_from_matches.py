"""The budget planner from a brief's matches: ``kit.matching.plan`` prices and predicts every matched creator
from what discovery and the store know, with no candidates file, and says who it left out and why."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from workflow.test_aftercare import complete_published_deals
from workflow.test_metrics_sync import live

from creatorkit import Creatorkit, Money
from creatorkit.analytics import plan_budget
from creatorkit.config import Config
from creatorkit.entities import AudienceDimension, AudienceTarget, PlanStrategy
from creatorkit.errors import ValidationError
from creatorkit.host import PluginHost
from creatorkit_echo import EchoPlatform
from world import Clock, World

from .test_matching import brief_with

AGE, GENDER = AudienceDimension.AGE, AudienceDimension.GENDER


@pytest.fixture
def kit(store: Any, clock: Clock) -> Creatorkit:
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    return Creatorkit(store=store, plugins=plugins, config=Config(), clock=clock)


def test_a_brief_is_planned_from_its_matches_without_a_file(world: World) -> None:
    result, inputs = world.kit.matching.plan(world.brand, world.brief.id, population=5_000_000, top=30)
    assert inputs.segment.key == "everyone" and inputs.segment.population == 5_000_000
    matched = world.kit.matching.match(world.brand, world.brief.id, top=30)
    assert len(inputs.candidates) + len(inputs.left_out) == len(matched.matches) == 24  # echo's whole population
    by_id = {m.creator_id: m for m in matched.matches}
    for candidate in inputs.candidates:
        basis = inputs.basis[candidate.creator_id]
        assert candidate.platform == by_id[candidate.creator_id].best.platform == "echo"
        assert candidate.price.currency == "USD" and candidate.price.amount > 0
        assert basis.share == 1.0 and candidate.reach[0].people == basis.views > 0
        assert basis.source.startswith("echo's mean views per post (platform, as of ")
    # The plan is the planner's own answer over those candidates: nothing is decided twice.
    again = plan_budget(
        inputs.candidates, [inputs.segment], world.brief.budget.total, fees=world.kit.payments.fee_policy
    )
    assert result.plan == again.plan and result.alternatives == again.alternatives
    assert result.plan.cost.amount <= world.brief.budget.total.amount and result.plan.unique_reach > 0
    assert {a.strategy for a in result.alternatives} == {
        PlanStrategy.ONE_TOP,
        PlanStrategy.SEVERAL_MID,
        PlanStrategy.MANY_MICRO,
    }


def test_the_target_group_share_scales_each_reach(world: World) -> None:
    young_women = (
        AudienceTarget(dimension=AGE, keys=("18-24", "25-34")),
        AudienceTarget(dimension=GENDER, keys=("female",)),
    )
    brief = brief_with(world, target_audience=young_women)
    _, inputs = world.kit.matching.plan(world.brand, brief.id, population=5_000_000)
    assert inputs.segment.key == "age 18-24, 25-34; gender female"
    assert inputs.candidates
    everyone = {c.profile.account_on("echo").handle: c for c in EchoPlatform().creators}  # type: ignore[union-attr]
    for candidate in inputs.candidates:
        basis = inputs.basis[candidate.creator_id]
        handle = candidate.creator_id.removeprefix("echo:").removesuffix("@echo")
        if handle not in everyone:
            continue  # a registered creator, under its own id
        audience = everyone[handle].audience
        assert audience is not None
        ages = audience.breakdown(AGE)
        genders = audience.breakdown(GENDER)
        assert ages is not None and genders is not None
        young = sum(s.share for s in ages.shares if s.key in ("18-24", "25-34"))
        women = sum(s.share for s in genders.shares if s.key == "female")
        assert basis.share == pytest.approx(young * women)
        assert candidate.reach[0].people == round(basis.views * basis.share)


def test_a_creator_with_the_brands_history_is_predicted_with_an_interval(world: World) -> None:
    first = world.brief
    # Six deals of the brand's with Ana, one post each, on six briefs. Echo keeps three posts per account, so the
    # other three are echo_creator_04's: the planner reads the posts of the creator's deals on the platform.
    for number in range(6):
        world.brief = brief_with(world, name=f"{first.name} #{number}")
        live(world, world.creator, ("echo_creator_03", "echo_creator_04")[number // 3], post=number % 3 + 1)
    world.clock.advance(days=8)  # the posts settle: a week old when read
    assert world.kit.metrics.sync(world.system).synced == 6
    complete_published_deals(world)
    brief = brief_with(world, timeline=attrs.evolve(first.timeline))
    _, inputs = world.kit.matching.plan(world.brand, brief.id, population=50_000_000, top=50)
    ana = next(c for c in inputs.candidates if c.creator_id == world.creator.id)
    basis = inputs.basis[ana.creator_id]
    assert basis.source == "predicted from 6 posts of the brand's past deals on echo"
    assert basis.low is not None and basis.high is not None and basis.low <= basis.views <= basis.high
    reach = ana.reach[0]
    assert (reach.low, reach.people, reach.high) == (basis.low, basis.views, basis.high)
    others = [c for c in inputs.candidates if c.creator_id != world.creator.id]
    assert others and all(inputs.basis[c.creator_id].low is None for c in others)


def test_who_cannot_be_planned_is_left_out_by_name(world: World) -> None:
    euro = brief_with(world, budget=attrs.evolve(world.brief.budget, total=Money(1_000_000, "EUR")))
    inputs = world.kit.matching.plan_inputs(world.brand, euro.id, population=5_000_000)
    assert not inputs.candidates and inputs.left_out
    assert all(why == "priced in USD, the budget is in EUR" for why in inputs.left_out.values())
    assert all(f"left out {creator}: priced in USD" in " ".join(inputs.warnings) for creator in inputs.left_out)
    with pytest.raises(ValidationError) as refused:
        world.kit.matching.plan(world.brand, euro.id, population=5_000_000)
    assert refused.value.problems[0].path == "candidates"
    assert "priced in USD, the budget is in EUR" in str(refused.value)


@pytest.mark.parametrize("population", [0, -5, 1.5, 10])
def test_a_population_that_cannot_hold_the_reach_is_refused(world: World, population: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        world.kit.matching.plan(world.brand, world.brief.id, population=population)
    assert refused.value.problems[0].path == "population"
