"""Current state against the trail: every stored document is what its last audited write made it, or verify names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from creatorkit.audit import document_digest, parse_documents, verify_store
from creatorkit.cli import main
from creatorkit.entities import DealState
from creatorkit.store import _migrations as migrations
from databases import Database
from world import World


def documents(database: Database) -> dict[tuple[str, str], tuple[int, Any]]:
    rows = database.execute("SELECT kind, id, version, doc FROM documents")
    return {(kind, id): (version, doc) for kind, id, version, doc in rows}


def test_an_untouched_store_matches_its_trail(world: World, database: Database) -> None:
    world.agree()
    report = verify_store(world.kit.store)
    assert report.ok and report.chain.ok
    assert report.state.documents == len(documents(database)) > 10
    assert (report.state.mismatched, report.state.uncovered) == (0, 0)


def test_every_document_a_call_writes_is_covered_by_an_event_of_that_call(world: World) -> None:
    kit = world.kit
    deal = world.invite()
    kit.outreach.respond(world.creator, deal.id, accept=True)
    before = kit.store.audit_head()[0]
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms())  # writes the offer and moves the deal
    events = list(kit.store.iter_audit(start=before + 1))
    assert len(events) > 1
    covered = {
        (kind, id): (version, digest) for e in events for kind, id, version, digest, *_ in parse_documents(e.documents)
    }
    with kit.store.read() as tx:
        for kind, id in (("offer", offer.id), ("deal", deal.id)):
            record = tx.require(kind, id)
            assert covered[(kind, id)] == (record.version, document_digest(record.doc)), kind
    about = {(e.entity_kind, e.entity_id): {(k, i) for k, i, *_ in parse_documents(e.documents)} for e in events}
    assert ("offer", offer.id) in about[("offer", offer.id)]  # each document goes with the event about it


def test_a_price_edited_in_the_database_shows_on_the_board_and_verify_names_the_deal(
    world: World, database: Database
) -> None:
    deal = world.agree()
    database.rewrite_document("deal", deal.id, lambda doc: doc["price"].update(amount=9_900_000))
    (row,) = [r for r in world.kit.deals.board(world.brand) if r.deal_id == deal.id]
    assert row.price is not None and row.price.amount == 9_900_000  # what the forgery does, unseen by the chain

    report = verify_store(world.kit.store)
    assert report.chain.ok and not report.ok
    assert report.state.first_bad == f"deal {deal.id}"
    assert "holds another document" in (report.state.reason or "")


def test_a_state_moved_by_hand_is_named(world: World, database: Database) -> None:
    deal = world.agree()
    completed = str(DealState.COMPLETED)
    database.rewrite_document("deal", deal.id, lambda doc: doc.update(state=completed), state=completed)
    state = verify_store(world.kit.store).state
    assert (state.ok, state.first_bad) == (False, f"deal {deal.id}")
    assert f"has state '{completed}'" in (state.reason or "")


@pytest.mark.parametrize("column", ["workspace", "parent"])
def test_a_deal_moved_to_another_workspace_or_creator_is_named(world: World, database: Database, column: str) -> None:
    deal = world.agree()
    database.rewrite_document("deal", deal.id, lambda doc: None, **{column: "someone_else"})
    state = verify_store(world.kit.store).state
    assert (state.ok, state.first_bad) == (False, f"deal {deal.id}")
    assert f"has {column} 'someone_else'" in (state.reason or "")


def test_a_version_bumped_by_hand_is_named(world: World, database: Database) -> None:
    deal = world.agree()
    database.execute("UPDATE documents SET version = version + 1 WHERE kind = 'deal' AND id = ?", (deal.id,))
    state = verify_store(world.kit.store).state
    assert state.first_bad == f"deal {deal.id}" and "is at version" in (state.reason or "")


def test_a_deleted_and_an_inserted_document_are_named(world: World, database: Database) -> None:
    deal = world.agree()
    database.execute("DELETE FROM documents WHERE kind = 'deal' AND id = ?", (deal.id,))
    state = verify_store(world.kit.store).state
    assert (state.first_bad, state.mismatched) == (f"deal {deal.id}", 1)
    assert "is gone" in (state.reason or "")

    stamp = "2026-03-02T09:00:00.000000+00:00"
    database.execute(
        "INSERT INTO documents (kind, id, version, doc, created_at, updated_at) VALUES ('deal', 'forged', 1, ?, ?, ?)",
        ("{}", stamp, stamp),
    )
    state = verify_store(world.kit.store).state
    assert state.mismatched == 2 and state.uncovered == 0
    assert state.first_bad == f"deal {deal.id}"  # the oldest damage first; the insertion is counted with it


def test_the_forgery_makes_the_cli_exit_1_naming_the_document(world: World, database: Database, tmp_path: Path) -> None:
    deal = world.agree()
    url = f"sqlite:///{database.path}" if database.dialect == "sqlite" else database.url  # type: ignore[attr-defined]
    config = tmp_path / "creatorkit.toml"
    config.write_text(f'[creatorkit]\nstore = "{url}"\n', encoding="utf-8")
    assert CliRunner().invoke(main, ["--config", str(config), "audit", "verify"]).exit_code == 0
    database.rewrite_document("deal", deal.id, lambda doc: doc["price"].update(amount=1))
    result = CliRunner().invoke(main, ["--config", str(config), "audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"current state BROKEN at deal {deal.id}" in result.output


def test_documents_from_before_coverage_are_counted_apart(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:3])
    monkeypatch.setattr(migrations, "LATEST", 3)
    old = database.open()
    with old._write_transaction() as tx:
        tx.insert("deal", "d_old", {"price": 1}, state="invited")
        tx.insert("deal", "d_later", {"price": 2}, state="invited")
    old.close()
    database.append_legacy_event(actor_id="m", action="deal.invite", entity_kind="deal", entity_id="d_old")
    monkeypatch.undo()

    store = database.open()
    with store._write_transaction() as tx:
        record = tx.require("deal", "d_later")
        tx.update("deal", "d_later", {"price": 3}, expected_version=record.version)
        tx.append_audit(actor_id="m", action="deal.update", entity_kind="deal", entity_id="d_later", payload={})
    state = verify_store(store).state
    assert state.ok and (state.documents, state.uncovered, state.uncovered_examples) == (1, 1, ("deal d_old",))
    database.rewrite_document("deal", "d_later", lambda doc: doc.update(price=4))
    assert verify_store(store).state.first_bad == "deal d_later"


def test_a_document_no_event_covers_in_a_store_born_with_coverage_is_named(database: Database) -> None:
    store = database.open()
    with store._write_transaction() as tx:  # the private path: a test can still write without an event
        tx.insert("deal", "d1", {"price": 1})
    state = verify_store(store).state
    assert (state.ok, state.first_bad, state.uncovered) == (False, "deal d1", 0)
    assert "never covered" in (state.reason or "")


def test_coverage_written_on_an_old_format_event_is_not_believed(database: Database) -> None:
    """A format-1 event's hash does not cover a documents column: coverage put there underneath counts for nothing."""
    store = database.open()
    database.append_legacy_event(actor_id="m", action="deal.invite", entity_kind="deal", entity_id="d1")
    with store._write_transaction() as tx:
        tx.insert("deal", "d1", {"price": 1})
    digest = document_digest({"price": 1})
    database.tamper(
        "UPDATE audit_events SET documents = ? WHERE sequence = 1", (f'[["deal","d1",1,"{digest}",null,null,null]]',)
    )
    report = verify_store(store)
    assert (report.state.documents, report.state.uncovered) == (0, 1)


@pytest.mark.parametrize(
    "doc",
    [
        {"n": float("nan"), "float": 1e300, "tiny": 1e-7},
        {"big": 2**70, "safe": 2**53 - 1},
        {1: "int key", "nested": [{"x": 1.0, "y": -0.0}, (1, 2)]},
        {"x": 1e16, "é": "ü", "emoji": "✨"},
    ],
)
def test_the_digest_of_a_document_is_the_digest_of_what_the_store_reads_back(
    database: Database, doc: dict[Any, Any]
) -> None:
    store = database.open()
    with store._write_transaction() as tx:
        tx.insert("note", "n1", doc)
        tx.append_audit(actor_id="m", action="note.write", entity_kind="note", entity_id="n1", payload={})
    report = verify_store(store)
    assert report.ok, report.state.reason
