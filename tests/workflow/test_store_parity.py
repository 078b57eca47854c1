"""The workflow behaves alike on SQLite and PostgreSQL: one open deal per brief and creator, and text either store
refuses is refused by both, as a ValidationError naming the field, with nothing written."""

from __future__ import annotations

import multiprocessing
from typing import Any

import attrs
import pytest

from creatorkit import Actor, ConflictError, NotFound, StoreError, ValidationError
from creatorkit.entities import Deal, DealState
from creatorkit.store import _migrations as migrations
from creatorkit.workflow._states import FINAL_STATES
from world import World

_OPEN = [state for state in DealState if state not in FINAL_STATES]


def _audit_head(world: World) -> int:
    return world.kit.store.audit_head()[0]


@pytest.mark.parametrize("bad", ["Spring\x00Glow", "Spring \udc80Glow"], ids=["nul", "surrogate"])
def test_a_brief_name_no_store_can_keep_is_refused_naming_it(world: World, bad: str) -> None:
    head = _audit_head(world)
    with pytest.raises(ValidationError) as caught:
        world.kit.briefs.create(
            world.brand,
            name=bad,
            product=world.brief.product,
            budget=world.brief.budget,
            timeline=world.brief.timeline,
            deliverables=world.brief.deliverables,
        )
    assert [problem.path for problem in caught.value.problems] == ["name"]
    assert _audit_head(world) == head


def test_a_message_with_a_nul_is_refused_and_nothing_is_sent(world: World) -> None:
    deal = world.invite()
    head = _audit_head(world)
    with pytest.raises(ValidationError) as caught:
        world.kit.outreach.send_message(world.brand, deal.id, "see you\x00 soon")
    assert [problem.path for problem in caught.value.problems] == ["body"]
    assert _audit_head(world) == head
    assert world.kit.outreach.thread(world.brand, deal.id) == []


def test_a_creator_profile_with_a_nul_is_refused_naming_the_nested_field(world: World) -> None:
    profile = world.kit.creators.overview(world.creator, world.creator.id).profile
    account = attrs.evolve(profile.accounts[0], handle="ana\x00")
    with pytest.raises(ValidationError) as caught:
        world.kit.parties.register_creator(world.system, attrs.evolve(profile, id="creator_nul", accounts=(account,)))
    assert [problem.path for problem in caught.value.problems] == ["accounts[0].handle"]


@pytest.mark.parametrize("bad", ["deal_\x00", "deal_\udc80"], ids=["nul", "surrogate"])
def test_an_id_no_store_can_hold_is_not_found_on_both_stores(world: World, bad: str) -> None:
    with pytest.raises(NotFound):
        world.kit.deals.get(world.brand, bad)


@pytest.mark.parametrize("bad", ["brand\x00", "brand_\udc80"], ids=["nul", "surrogate"])
def test_an_actor_id_no_store_can_record_is_refused_where_it_is_made(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Actor.brand(bad)
    assert [problem.path for problem in caught.value.problems] == ["id"]


def test_the_open_deal_index_covers_every_open_state() -> None:
    """The index's predicate names the final states as migration 5 knew them; a new one needs a migration."""
    assert set(migrations.FINAL_DEAL_STATES) == {str(state) for state in FINAL_STATES}


def test_the_database_refuses_a_second_open_deal_written_past_the_service(world: World) -> None:
    """The service checks first; the unique index holds even for a write that skipped the check."""
    deal = world.invite()
    with world.kit.store.read() as tx:
        doc = tx.require("deal", deal.id).doc
    with pytest.raises(ConflictError), world.kit.store._write_transaction() as tx:
        _insert_twin(tx, deal, doc)
    # A closed deal no longer counts: the creator can be invited again.
    world.kit.outreach.respond(world.creator, deal.id, accept=False)
    again = world.invite()
    assert again.state is DealState.INVITED and again.id != deal.id


def _insert_twin(tx: Any, deal: Deal, doc: dict[str, Any]) -> None:
    """A second open deal of ``deal``'s brief and creator, written past the service's check."""
    twin = {**doc, "id": "deal_twin"}
    tx.insert("deal", "deal_twin", twin, parent=deal.creator_id, subject=deal.brief_id, state="invited")


def _undo_migrations_after_5(database: Any) -> None:
    """What the migrations after 5 made is gone, as in a store from before them: only 5 is then pending."""
    database.execute(f"DROP TABLE {migrations.WEBHOOK_EVENTS_TABLE}")  # migration 6
    for table in (migrations.LEDGER_POSTINGS_TABLE, migrations.LEDGER_ENTRIES_TABLE, migrations.LEDGER_ACCOUNTS_TABLE):
        database.execute(f"DROP TABLE {table}")  # migration 7, with its triggers
    if database.dialect == "postgresql":
        database.execute("DROP FUNCTION ledger_immutable()")
    for table in (migrations.CATALOG_CREATORS_TABLE, migrations.CATALOG_BUCKETS_TABLE):
        database.execute(f"DROP TABLE {table}")  # migration 8
    database.execute("DELETE FROM schema_migrations WHERE version > 5")


def test_a_store_from_before_the_rule_learns_each_deals_brief_when_it_migrates(
    world: World, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = world.invite()
    world.kit.close()
    database.execute(f"DROP INDEX {migrations.OPEN_DEAL_INDEX}")
    database.execute("ALTER TABLE documents DROP COLUMN subject")
    _undo_migrations_after_5(database)
    database.execute("DELETE FROM schema_migrations WHERE version = 5")
    store = database.open()  # migrates to 5 again: the deal's brief is copied into its subject
    assert database.execute("SELECT subject FROM documents WHERE id = ?", (deal.id,)) == [(deal.brief_id,)]
    with store.read() as tx:
        doc = tx.require("deal", deal.id).doc
    with pytest.raises(ConflictError), store._write_transaction() as tx:
        _insert_twin(tx, deal, doc)
    store.close()


def _invite_at_the_same_time(url: str, brief_id: str, creator_id: str, barrier: Any, results: Any) -> None:
    """One process: pass the service's open-deal check, wait for the other to pass it too, then write."""
    from creatorkit import Actor, Creatorkit, StateError
    from creatorkit.host import PluginHost
    from creatorkit.store import open_store
    from creatorkit.workflow import _outreach
    from creatorkit_echo import EchoPlatform

    check = _outreach._no_open_deal
    waited: list[bool] = []

    def check_then_wait(view: Any, brief: str, creator: str) -> None:
        check(view, brief, creator)
        if not waited:  # only the first check: the one a race slips past
            waited.append(True)
            barrier.wait(timeout=30)

    _outreach._no_open_deal = check_then_wait  # type: ignore[assignment]
    plugins = PluginHost()
    plugins.register(EchoPlatform(), name="echo")
    kit = Creatorkit(store=open_store(url), plugins=plugins)
    try:
        deal = kit.outreach.invite(
            Actor.brand("brand_lumen"), brief_id=brief_id, creator_id=creator_id, platform="echo", body="Hi!"
        )
        results.put(f"invited {deal.id}")
    except StateError as exc:
        results.put(f"refused: {exc}")
    except BaseException as exc:  # the test names what broke, rather than time out waiting
        results.put(f"failed: {exc!r}")
        raise
    finally:
        kit.close()


def test_two_concurrent_invitations_open_one_deal(world: World, database: Any) -> None:
    """On PostgreSQL both invitations read before either writes; the database's index stops the second."""
    context = multiprocessing.get_context("spawn")
    creator = world.other_creator.id
    for _round in range(3):
        barrier, results = context.Barrier(2), context.Queue()
        args = (database.url, world.brief.id, creator, barrier, results)
        workers = [context.Process(target=_invite_at_the_same_time, args=args) for _ in range(2)]
        if database.dialect == "sqlite":
            pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: the second process never reads early")
        for worker in workers:
            worker.start()
        outcomes = sorted(results.get(timeout=60) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes[0].startswith("invited "), outcomes
        assert outcomes[1].startswith("refused: ") and "already has an open deal for this brief" in outcomes[1]
        winner = outcomes[0].removeprefix("invited ")
        assert f"deal {winner}" in outcomes[1]
        open_deals = world.kit.deals.visible_deals(world.other_creator, states=_OPEN)
        assert [deal.id for deal in open_deals] == [winner]
        world.kit.outreach.respond(world.other_creator, winner, accept=False)
    assert world.kit.audit.verify().ok


def test_a_store_holding_two_open_deals_for_one_brief_refuses_to_migrate(world: World, database: Any) -> None:
    """Such a store (PostgreSQL before the index) is named, with its duplicates, instead of guessed at."""
    deal = world.invite()
    store = world.kit.store
    database.execute(f"DROP INDEX {migrations.OPEN_DEAL_INDEX}")
    with store._write_transaction() as tx:  # as two racing invitations left it
        doc = tx.require("deal", deal.id).doc
        _insert_twin(tx, deal, doc)
    world.kit.close()
    _undo_migrations_after_5(database)
    database.execute("DELETE FROM schema_migrations WHERE version = 5")
    with pytest.raises(StoreError) as caught:
        database.open()
    message = str(caught.value)
    assert f"creator {deal.creator_id}, brief {world.brief.id}: 2 open deals" in message
    assert "cancel all but one" in message
