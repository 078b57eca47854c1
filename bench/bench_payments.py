"""Benchmark: one milestone release through a payment provider, end to end, as a deal's approval drives it.

Each deal is agreed on a staged schedule (30 % on signature, 70 % on approval) and signed, which funds its escrow
and releases the first milestone; its draft is submitted; then the brand approves it. The approval commits and
``kit.payments`` releases the second milestone: the provider's release call, the ledger entries that split it into
platform fee and creator net, their audit events, the operation's record, one commit. Only that release is timed
(``kit.payments.sync`` as the approval calls it), once per deal, on a SQLite file; p50 and p95 are reported.

``provider`` is the payment provider's plugin name (loaded from its entry point, as an app's config would): the
built-in ``ledger_escrow`` by default, its books in a SQLite file of their own beside the workspace's (so each
release commits twice: the provider's books, then the workspace's record); ``echo_pay`` (in memory) for
comparison.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
from bench_workflow import START, _InstantPlatform, _setup

from creatorkit import Actor, Creatorkit, Money
from creatorkit.config import Config
from creatorkit.entities import MilestoneTrigger, PaymentMilestone, PaymentSchedule, ScheduleKind
from creatorkit.host import PluginHost
from creatorkit.signing import sign_contract_hash
from creatorkit.store import open_store

NAMES = {"bench_payments_release": ["payments.release_p50_ms"]}

PRICE = Money(150_000, "USD")
#: A flat 25 % commission (echo_pay, for comparison, lets at most 80 % of a fund reach receivers).
FEES = {"policy": "flat", "rate_bp": 2_500}


def _staged() -> PaymentSchedule:
    first, rest = PRICE.allocate([30, 70])
    return PaymentSchedule(
        kind=ScheduleKind.MILESTONES,
        milestones=(
            PaymentMilestone(label="on signing", amount=first, trigger=MilestoneTrigger.ON_SIGNATURE),
            PaymentMilestone(label="on approval", amount=rest, trigger=MilestoneTrigger.ON_DRAFT_APPROVED),
        ),
    )


def _kit(folder: Path, provider: str, settings: Mapping[str, Any]) -> Creatorkit:
    money = {"provider": provider, "fees": FEES}
    config = Config.from_mapping({"payments": {provider: dict(settings)}, "money": money})
    plugins = PluginHost.from_config(config)
    plugins.register(_InstantPlatform(), name="bench")
    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    return Creatorkit(store=store, plugins=plugins, config=config, clock=lambda: START)


def _submitted_deal(kit: Creatorkit, world: dict[str, Any], creator_id: str) -> str:
    """A deal from invitation to its draft awaiting review: signed, so funded and its first milestone released."""
    brand, creator = world["brand"], Actor.creator(creator_id)
    deal = kit.outreach.invite(
        brand, brief_id=world["brief"].id, creator_id=creator_id, platform="bench", body="Join {{ brief.name }}!"
    )
    kit.outreach.respond(creator, deal.id, accept=True)
    offer = kit.negotiation.propose(brand, deal.id, attrs.evolve(world["terms"], payment=_staged()))
    kit.negotiation.accept(creator, offer.id)
    contract = kit.contracts.draft(
        brand, deal.id, template_id=world["template"].id, draft_due=START + timedelta(days=20)
    )
    for actor, key in ((brand, world["brand_key"]), (creator, world["creator_keys"][creator_id])):
        signature = sign_contract_hash(key, contract.content_hash)
        kit.contracts.sign(actor, contract.id, signature=signature, contract_hash=contract.content_hash)
    kit.content.submit_draft(creator, deal.id, caption="Glow all day #ad", elements=("close-up",))
    return deal.id


def _approve_timed(kit: Creatorkit, brand: Actor, deal_id: str) -> float:
    """Approve the deal's draft; the seconds of the one release (``kit.payments.sync``) the approval drives."""
    payments = kit.payments
    sync = payments.sync
    timed: list[tuple[float, Any]] = []

    def timing(actor: Actor, synced: str) -> Any:
        started = time.perf_counter()
        result = sync(actor, synced)
        timed.append((time.perf_counter() - started, result))
        return result

    payments.sync = timing  # type: ignore[method-assign,assignment]
    try:
        kit.content.review(brand, deal_id, approve=True)
    finally:
        del payments.sync
    if len(timed) != 1 or len(timed[0][1].succeeded) != 1:
        raise AssertionError(f"the approval of {deal_id} did not drive exactly one release: {timed}")
    return timed[0][0]


def bench_payments_release(
    deals: int = 300, provider: str = "ledger_escrow", settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """p50 and p95 of ``deals`` releases, each driven by one deal's approval (what signing syncs is not timed)."""
    with tempfile.TemporaryDirectory() as folder:
        if settings is None and provider == "ledger_escrow":
            settings = {"store": f"sqlite:///{Path(folder) / 'escrow.db'}"}
        kit = _kit(Path(folder), provider, settings or {})
        world = _setup(kit, deals + 1)
        _approve_timed(kit, world["brand"], _submitted_deal(kit, world, "creator_0"))  # warm-up
        releases = [
            _approve_timed(kit, world["brand"], _submitted_deal(kit, world, f"creator_{i}"))
            for i in range(1, deals + 1)
        ]
        problems = kit.ledger.verify(Actor.system())
        if problems:
            raise AssertionError(f"the benchmark left an unsound ledger: {problems[:3]}")
        kit.close()
    ms = sorted(s * 1000 for s in releases)
    return {
        "name": "payments.release_p50_ms",
        "value": round(statistics.median(ms), 3),
        "unit": "ms",
        "goal": "<= 5 ms",
        "p95_ms": round(ms[max(0, round(len(ms) * 0.95) - 1)], 3),
        "provider": provider,
        "deals": deals,
        "note": "the release an approval drives: provider call, ledger entries, audit events, one commit",
    }
