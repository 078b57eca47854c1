"""``creatorkit plan BRIEF --budget AMOUNT --candidates FILE``: the brief from the store, the fees from the config,
the candidates from the file; the table, the JSON, and the refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from creatorkit import Creatorkit
from creatorkit.cli import main
from world import Clock, World

pytestmark = pytest.mark.usefixtures("clean_env")

# A 10 % service fee charged to the brand on top of each price.
CONFIG = """\
[creatorkit]
store = "sqlite:///ck.db"

[platforms.echo]

[money.fees]
policy = "flat"
side = "brand"
rate_bp = 1000
"""


def price(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def reach(people: int) -> list[dict[str, Any]]:
    return [{"segment": "women_18_24", "people": people}]


CANDIDATES = {
    "segments": [{"key": "women_18_24", "population": 1000}],
    "candidates": [
        {"creator_id": "mega", "platform": "echo", "followers": 2_000_000, "price": price(1000), "reach": reach(500)},
        {"creator_id": "mid_a", "platform": "echo", "followers": 200_000, "price": price(500), "reach": reach(300)},
        {"creator_id": "mid_b", "platform": "echo", "followers": 300_000, "price": price(500), "reach": reach(300)},
    ],
}


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[Creatorkit]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    (tmp_path / "candidates.json").write_text(json.dumps(CANDIDATES))
    with Creatorkit.open("creatorkit.toml", clock=clock) as opened:
        yield opened


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_plan_compares_the_kinds_of_plan_with_fees_included(world: World) -> None:
    brand = f"brand:{world.brand.id}"
    # 11.00 USD buys both mid-tier creators at 5.50 each with the 10 % fee; the mega one costs 11.00.
    result = run("plan", world.brief.id, "--budget", "11.00 USD", "--candidates", "candidates.json", "--as", brand)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Spring Glow launch: budget 11.00 USD with fees, segments women_18_24"
    rows = {line.split()[0]: line.split() for line in lines[3:7]}
    assert rows["best"][1:5] == ["2", "11.00", "USD", "510"]
    assert rows["one_top"][1:5] == ["1", "11.00", "USD", "500"]
    assert rows["several_mid"][1:5] == ["2", "11.00", "USD", "510"]
    assert "none: no micro or nano (under 100K followers) candidate" in " ".join(rows["many_micro"])
    assert "0.021569 USD" in lines[3]  # 1,100 cents / 510 people


def test_the_json_has_every_plan_and_the_exact_cost_per_person(world: World) -> None:
    brand = f"brand:{world.brand.id}"
    result = run("plan", world.brief.id, "--budget", "11", "--candidates", "candidates.json", "--as", brand, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["budget_plan"]["plan"]["unique_reach"] == 510
    assert [c["cost"]["amount"] for c in data["budget_plan"]["plan"]["creators"]] == [550, 550]
    assert data["cost_per_reached"]["best"] == {"amount": "0.021569", "currency": "USD", "minor_units": "110/51"}
    assert data["cost_per_reached"]["many_micro"] is None


def test_without_budget_the_briefs_is_used_and_a_budget_in_another_currency_is_refused(world: World) -> None:
    brand = f"brand:{world.brand.id}"
    result = run("plan", world.brief.id, "--candidates", "candidates.json", "--as", brand, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["budget_plan"]["budget"] == {"amount": 1_000_000, "currency": "USD"}
    refused = run("plan", world.brief.id, "--budget", "11 EUR", "--candidates", "candidates.json", "--as", brand)
    assert refused.exit_code == 1
    assert "candidates[0].price" in refused.output and "is in USD, the budget in EUR" in refused.output


def test_a_bad_candidates_file_names_the_field(world: World, tmp_path: Path) -> None:
    broken = dict(CANDIDATES, candidates=[dict(CANDIDATES["candidates"][0], followers="many")])
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    result = run("plan", world.brief.id, "--candidates", "broken.json", "--as", f"brand:{world.brand.id}")
    assert result.exit_code == 1
    assert "followers" in result.output


def test_without_a_file_the_briefs_matches_are_planned(world: World) -> None:
    brand = f"brand:{world.brand.id}"
    result = run("plan", world.brief.id, "--population", "5000000", "--top", "12", "--as", brand)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Spring Glow launch: budget 10000.00 USD with fees, segments everyone"
    assert {line.split()[0] for line in lines[3:7]} == {"best", "one_top", "several_mid", "many_micro"}
    assert "candidates: 12 of the brief's matches; reach of one post in the group of" in result.output
    assert "5,000,000 people, from the brand's past deals for 0, the platforms' views per post for 12" in result.output
    as_json = run("plan", world.brief.id, "--population", "5000000", "--top", "12", "--as", brand, "--json")
    data = json.loads(as_json.output)
    assert data["candidates"]["segment"] == {"key": "everyone", "population": 5_000_000}
    assert len(data["candidates"]["reach"]) == 12 and data["candidates"]["left_out"] == {}
    chosen = data["budget_plan"]["plan"]["creators"]
    assert chosen and all(c["creator_id"] in data["candidates"]["reach"] for c in chosen)
    # 10 % on top of each price: what the brand pays is the price and the fee, rounded as the deal will be.
    assert all(c["cost"]["amount"] == c["price"]["amount"] * 11 // 10 for c in chosen if c["price"]["amount"] % 10 == 0)


@pytest.mark.parametrize("options", [[], ["--population", "5000", "--candidates", "candidates.json"]])
def test_the_candidates_come_from_the_matches_or_a_file_never_both(world: World, options: list[str]) -> None:
    result = run("plan", world.brief.id, *options, "--as", f"brand:{world.brand.id}")
    assert result.exit_code == 2
    assert "give --population PEOPLE (to plan from the brief's matches) or --candidates FILE, not both" in result.output
