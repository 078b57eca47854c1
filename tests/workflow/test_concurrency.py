"""Two processes updating one deal on PostgreSQL: exactly one wins, the other gets a ConflictError."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from creatorkit.entities import DealState
from world import World

pytestmark = pytest.mark.postgres


def _contend(url: str, deal_id: str, barrier: Any, results: Any) -> None:
    """One process: read the deal, wait until the other has read it too, then try to move it."""
    from creatorkit import Actor, ConflictError, Creatorkit
    from creatorkit.store import open_store
    from creatorkit.workflow._machine import apply, load_deal

    kit = Creatorkit(store=open_store(url))
    system = Actor.system("contender")

    def work(change: Any) -> Any:
        deal, _ = load_deal(change, system, deal_id)
        barrier.wait(timeout=30)
        return apply(change, deal, "expire")

    try:
        kit.deals._write(system, "expire", work)
        results.put("won")
    except ConflictError as exc:
        results.put(f"conflict: {exc}")
    finally:
        kit.close()


def test_two_processes_cannot_both_move_one_deal(world: World, database: Any) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; two processes cannot interleave there")
    deal = world.invite()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_contend, args=(database.url, deal.id, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes[1] == "won", outcomes
    assert outcomes[0].startswith("conflict:") and "changed concurrently" in outcomes[0], outcomes
    final = world.kit.deals.get(world.system, deal.id)
    assert final.state is DealState.EXPIRED
    assert final.version == deal.version + 1
