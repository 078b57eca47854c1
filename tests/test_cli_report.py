"""``creatorkit report CAMPAIGN [--format json|csv|html] [--out FILE] [--as-of DATE] [--as KIND:ID]``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from analytics.report_world import START, Campaign, GrowingEcho, build_campaign
from click.testing import CliRunner, Result

from creatorkit import Creatorkit
from creatorkit.cli import main
from creatorkit.converter import unstructure
from world import Clock

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = '[creatorkit]\nstore = "sqlite:///ck.db"\n'


@pytest.fixture
def campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Campaign]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    clock = Clock(START)
    with Creatorkit.open("creatorkit.toml", clock=clock) as kit:
        echo = GrowingEcho(clock)
        kit.plugins.register(echo, name="echo")
        yield build_campaign(kit, clock, echo, creators=2, days=3)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_json_to_stdout_by_default(campaign: Campaign) -> None:
    result = run("report", campaign.brief_id, "--as", f"brand:{campaign.brand.id}")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["campaign_report"]
    expected = unstructure(campaign.kit.reports.campaign(campaign.brand, campaign.brief_id))
    assert data["campaign"] == json.loads(json.dumps(expected["campaign"]))
    assert [c["creator_id"] for c in data["creators"]] == [a.id for a in campaign.creators]


def test_csv_parses(campaign: Campaign) -> None:
    result = run("report", campaign.brief_id, "--format", "csv", "--as", f"brand:{campaign.brand.id}")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["scope"] for r in rows} >= {"campaign", "creator", "post"}
    assert all(r["source"] for r in rows if r["scope"] == "campaign")


def test_an_html_out_file_gets_the_page(campaign: Campaign, tmp_path: Path) -> None:
    result = run("report", campaign.brief_id, "--out", "spring.html", "--as", f"brand:{campaign.brand.id}")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "spring.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="views-over-time"' in page
    assert "wrote spring.html (html," in result.stderr
    # Any other name gets the JSON, unless --format says otherwise; the file is replaced whole.
    assert run("report", campaign.brief_id, "--out", "r.txt", "--as", f"brand:{campaign.brand.id}").exit_code == 0
    assert "campaign_report" in json.loads((tmp_path / "r.txt").read_text(encoding="utf-8"))
    result = run("report", campaign.brief_id, "--format", "csv", "--out", "r.txt", "--as", f"brand:{campaign.brand.id}")
    assert result.exit_code == 0 and (tmp_path / "r.txt").read_text(encoding="utf-8").startswith("scope,subject,kpi")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_as_of_gives_the_report_as_it_stood(campaign: Campaign) -> None:
    brand = f"brand:{campaign.brand.id}"
    later = json.loads(run("report", campaign.brief_id, "--as", brand).stdout)["campaign_report"]
    day_one = run("report", campaign.brief_id, "--as-of", "2026-03-16T12:00", "--as", brand)
    assert day_one.exit_code == 0, day_one.output
    first = json.loads(day_one.stdout)["campaign_report"]
    assert first["as_of"].startswith("2026-03-16T12:00:00")
    assert first["campaign"]["views"]["value"] < later["campaign"]["views"]["value"]


def test_an_unknown_campaign_is_named(campaign: Campaign, tmp_path: Path) -> None:
    result = run("report", "brief_missing", "--out", "x.html", "--as", f"brand:{campaign.brand.id}")
    assert result.exit_code == 1
    assert "brief_missing" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_another_party_is_refused(campaign: Campaign) -> None:
    result = run("report", campaign.brief_id, "--as", f"creator:{campaign.creators[0].id}")
    assert result.exit_code == 1
    assert "only the brand that owns a campaign sees its report" in result.stderr
    assert result.stdout == ""
    assert run("report", campaign.brief_id).exit_code == 2  # nobody said who is acting
