"""``creatorkit match BRIEF``: the brief's creators from the config's platforms, as a table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from creatorkit import Creatorkit
from creatorkit.cli import main
from world import Clock, World

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = """\
[creatorkit]
store = "sqlite:///ck.db"

[platforms.echo]
creators = 12

[analytics]
page_size = 5

[analytics.weights]
price = 0.5
"""


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[Creatorkit]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    with Creatorkit.open("creatorkit.toml", clock=clock) as opened:
        yield opened


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_table_ranks_the_creators_with_their_top_components(world: World) -> None:
    result = run("match", world.brief.id, "--top", "4", "--as", f"brand:{world.brand.id}")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Spring Glow launch: the top 4 creators (12 accounts found, 12 scored; ranking default)"
    assert lines[1] == "discovery (kept/returned): echo 12/12"
    assert lines[2].split() == ["rank", "creator", "platforms", "score", "top", "components"]
    rows = [line.split() for line in lines[4:8]]
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert all(row[2] == "echo" and row[4] == "price" for row in rows)
    scores = [float(row[3]) for row in rows]
    assert scores == sorted(scores, reverse=True)


def test_the_json_explains_every_component(world: World) -> None:
    result = run("match", world.brief.id, "--json", "--top", "2", "--as", f"brand:{world.brand.id}")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["match_result"]
    assert document["brief_id"] == world.brief.id and document["ranking"] == "default"
    assert len(document["matches"]) == 2
    first = document["matches"][0]
    assert first["rank"] == 1 and first["platforms"] == ["echo"]
    price = next(c for c in first["components"] if c["name"] == "price")
    assert price["weight"] == 0.5 and price["explanation"].endswith("per creator")
    assert document["platforms"]["echo"]["pages"] == 3 and document["platforms"]["echo"]["returned"] == 12


def test_another_brand_is_refused_and_an_unknown_ranking_names_its_key(world: World, tmp_path: Path) -> None:
    world.kit.parties.register_brand(world.system, name="Other", id="brand_other")
    refused = run("match", world.brief.id, "--as", "brand:brand_other")
    assert refused.exit_code == 1 and "matching a brief is its brand's" in refused.output
    (tmp_path / "creatorkit.toml").write_text(CONFIG.replace("page_size = 5", 'page_size = 5\nranking = "nope"'))
    unknown = run("match", world.brief.id, "--as", f"brand:{world.brand.id}")
    assert unknown.exit_code == 1
    assert "analytics.ranking" in unknown.output and "no ranking plugin named 'nope'" in unknown.output
