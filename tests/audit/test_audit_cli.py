"""The agency's CLI on a store the tests create: the campaign board, audit verify (and tampering), evidence export."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from creatorkit.cli import main
from creatorkit.entities import DealState
from world import World


@pytest.fixture
def config_file(world: World, database: Any, tmp_path: Path) -> Path:
    """A creatorkit.toml pointing at the test's store (no plugins: the CLI reads, it does not call platforms)."""
    url = f"sqlite:///{database.path}" if database.dialect == "sqlite" else database.url
    path = tmp_path / "creatorkit.toml"
    path.write_text(f'[creatorkit]\nstore = "{url}"\nacting_as = "agency:{world.agency.id}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), *args])


def _first_deals(world: World) -> tuple[Any, Any]:
    agreed = world.agree()
    invited = world.invite(world.other_creator)
    return agreed, invited


def test_campaign_board_lists_the_agencys_deals_with_what_needs_action(world: World, config_file: Path) -> None:
    agreed, _invited = _first_deals(world)
    result = run(config_file, "campaigns", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # The agency's roster holds Ana only: Bo's deal with the same brand is another workspace's business.
    assert [row["deal_id"] for row in rows] == [agreed.id]
    row = rows[0]
    assert row["campaign"] == "Spring Glow launch"
    assert row["brand"] == "Lumen Cosmetics"
    assert row["creator"] == "Ana Costa"
    assert row["price"] == {"amount": 150_000, "currency": "USD"}
    assert row["state"] == "agreed" and row["tab"] == "pending"
    assert row["needs_action_by"] == "brand" and row["next_step"] == "send the contract"
    assert row["deadline"] is not None

    as_brand = run(config_file, "campaigns", "--as", f"brand:{world.brand.id}", "--tab", "pending")
    assert as_brand.exit_code == 0, as_brand.output
    assert "Ana Costa" in as_brand.output and "Bo Lee" in as_brand.output
    assert "1,500.00 USD" not in as_brand.output and "1500.00 USD" in as_brand.output

    inactive = run(config_file, "campaigns", "--tab", "inactive")
    assert inactive.exit_code == 0 and "no deals on the inactive tab" in inactive.output


def test_campaigns_needs_to_know_who_is_acting(world: World, tmp_path: Path, database: Any) -> None:
    path = tmp_path / "bare.toml"
    url = f"sqlite:///{database.path}" if database.dialect == "sqlite" else database.url
    path.write_text(f'[creatorkit]\nstore = "{url}"\n', encoding="utf-8")
    result = run(path, "campaigns")
    assert result.exit_code == 2 and "--as" in result.output
    bad = run(path, "campaigns", "--as", "boss:1")
    assert bad.exit_code == 2 and "KIND one of" in bad.output
    system = run(path, "campaigns", "--as", "system:anything")
    assert system.exit_code == 2, "the CLI never acts as the system"


def test_audit_verify_passes_on_an_intact_store(world: World, config_file: Path) -> None:
    world.agree()
    result = run(config_file, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


@pytest.mark.parametrize("tampering", ["change", "delete", "truncate"])
def test_audit_verify_names_the_first_broken_event(
    world: World, config_file: Path, database: Any, tampering: str
) -> None:
    world.agree()
    rows = database.execute("SELECT sequence FROM audit_events ORDER BY sequence")
    middle, last = rows[len(rows) // 2][0], rows[-1][0]
    if tampering == "change":
        database.tamper("UPDATE audit_events SET actor_id = ? WHERE sequence = ?", ("brand:someone_else", middle))
        expected = middle
    elif tampering == "delete":
        database.tamper("DELETE FROM audit_events WHERE sequence = ?", (middle,))
        expected = middle
    else:
        database.tamper("DELETE FROM audit_events WHERE sequence = ?", (last,))
        expected = last
    result = run(config_file, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {expected}" in result.output


def test_the_audit_table_refuses_changes_while_its_guard_is_in_place(world: World, database: Any) -> None:
    world.agree()
    with pytest.raises(Exception, match="append-only"):
        database.execute("UPDATE audit_events SET actor_id = 'x' WHERE sequence = 1")


def test_evidence_bundle_holds_the_deal_story_with_a_manifest_of_hashes(
    world: World, config_file: Path, tmp_path: Path
) -> None:
    deal = world.agree()
    world.kit.outreach.send_message(world.brand, deal.id, "Contract coming today.")
    out = tmp_path / "evidence.zip"
    result = run(config_file, "audit", "export", deal.id, "--out", str(out), "--as", f"brand:{world.brand.id}")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest, name
        events = json.loads(bundle.read("events.json"))
        messages = json.loads(bundle.read("messages.json"))
        offers = json.loads(bundle.read("offers.json"))
        stored = json.loads(bundle.read("deal.json"))
    assert manifest["deal_id"] == deal.id and manifest["chain"]["ok"] is True
    assert stored["state"] == str(DealState.AGREED)
    actions = [event["action"] for event in events]
    assert actions[:3] == ["deal.invite", "deal.accept_invitation", "offer.propose"]
    assert "deal.accept_offer" in actions
    assert [m["body"] for m in messages] == ["Contract coming today."]
    assert offers[0]["doc"]["status"] == "accepted"


def test_an_outsider_cannot_export_another_workspaces_evidence(world: World, config_file: Path, tmp_path: Path) -> None:
    deal = world.agree()
    result = run(
        config_file,
        "audit",
        "export",
        deal.id,
        "--out",
        str(tmp_path / "x.zip"),
        "--as",
        f"brand:{world.unverified_brand.id}",
    )
    assert result.exit_code == 1
    assert "not found" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_deadlines_command_applies_timeout_rules(world: World, config_file: Path) -> None:
    deal = world.invite()
    world.clock.advance(days=30)
    # The CLI reads the real clock, which is earlier than the test clock; move the deadline into the past instead.
    with world.kit.store._write_transaction() as tx:
        record = tx.require("deal", deal.id)
        tx.update(
            "deal", deal.id, dict(record.doc, deadline="2020-01-01T00:00:00+00:00"), expected_version=record.version
        )
    result = run(config_file, "deadlines")
    assert result.exit_code == 0, result.output
    assert f"{deal.id}: expired" in result.output
