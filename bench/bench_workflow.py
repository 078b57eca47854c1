"""Benchmark: whole deals from invitation to approved content on the embedded SQLite store, no network.

Each deal runs the real service calls an app makes — invite, accept, offer, accept, draft contract, two Ed25519
signatures, submit the draft (with its rule checks), approve — each one transaction with its audit events.
Only the platform is a stand-in: a plugin that answers outreach instantly, so what is timed is creatorkit.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from creatorkit import Actor, Creatorkit, Money, hookimpl
from creatorkit.entities import (
    Budget,
    Capability,
    ContentRules,
    CreatorProfile,
    Deliverable,
    DeliverableType,
    InvitationStatus,
    MilestoneTrigger,
    OutreachReceipt,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    PlatformInvitation,
    PluginKind,
    PluginMetadata,
    Product,
    ScheduleKind,
    Terms,
    Timeline,
    VerificationStatus,
)
from creatorkit.host import PluginHost
from creatorkit.signing import generate_keypair, load_private_key, sign_contract_hash
from creatorkit.store import open_store

NAMES = {"bench_workflow_deals": ["workflow.deals_per_s"]}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class _InstantPlatform:
    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="bench",
            kind=PluginKind.PLATFORM,
            display_name="bench platform",
            capabilities=frozenset({Capability.INVITATIONS, Capability.MESSAGING}),
        )

    @hookimpl
    def creatorkit_send_invitation(self, invitation: Any, account: Any) -> OutreachReceipt:
        return OutreachReceipt(platform="bench", platform_ref=invitation.id, accepted_at=START)

    @hookimpl
    def creatorkit_get_invitation(self, platform_ref: str, account: Any) -> PlatformInvitation:
        status = InvitationStatus.SENT
        return PlatformInvitation(
            platform="bench", platform_ref=platform_ref, status=status, raw_status="sent", checked_at=START
        )

    @hookimpl
    def creatorkit_send_message(self, message: Any, account: Any) -> OutreachReceipt:
        return OutreachReceipt(platform="bench", platform_ref=message.id, accepted_at=START)


def _setup(kit: Creatorkit, creators: int) -> dict[str, Any]:
    system = Actor.system()
    brand = kit.parties.register_brand(system, name="Bench Brand", id="brand_bench")
    kit.parties.set_brand_verification(system, brand.id, VerificationStatus.VERIFIED)
    brand_actor = Actor.brand(brand.id)
    brand_private, brand_public = generate_keypair()
    kit.parties.set_signing_key(brand_actor, brand_public)
    creator_keys = {}
    for i in range(creators):
        profile = CreatorProfile(
            id=f"creator_{i}",
            display_name=f"Creator {i}",
            accounts=(PlatformAccount(platform="bench", account_id=f"a{i}", handle=f"c{i}"),),
        )
        kit.parties.register_creator(system, profile)
        private, public = generate_keypair()
        kit.parties.set_signing_key(Actor.creator(profile.id), public)
        creator_keys[profile.id] = load_private_key(private)  # each signer's device holds its key loaded
    brief = kit.briefs.create(
        brand_actor,
        name="Bench launch",
        product=Product(name="Serum"),
        budget=Budget(total=Money(10**9, "USD")),
        timeline=Timeline(publish_from=START + timedelta(days=10), publish_until=START + timedelta(days=60)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="bench"),),
        content_rules=ContentRules(banned_words=("miracle",), required_elements=("close-up",)),
    )
    kit.briefs.publish(brand_actor, brief.id)
    template = kit.contracts.create_template(
        brand_actor, name="Standard", body="{{ brand.name }} engages {{ creator.display_name }} for {{ price }}."
    )
    money = Money(150_000, "USD")
    terms = Terms(
        price=money,
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="bench"),),
        payment=PaymentSchedule(
            kind=ScheduleKind.POSTPAY,
            milestones=(PaymentMilestone(label="fee", amount=money, trigger=MilestoneTrigger.ON_PUBLICATION),),
        ),
        publish_by=START + timedelta(days=40),
    )
    return {
        "brand": brand_actor,
        "brand_key": load_private_key(brand_private),
        "brief": brief,
        "template": template,
        "terms": terms,
        "creator_keys": creator_keys,
    }


def _one_deal(kit: Creatorkit, world: dict[str, Any], creator_id: str) -> None:
    brand, creator = world["brand"], Actor.creator(creator_id)
    deal = kit.outreach.invite(
        brand,
        brief_id=world["brief"].id,
        creator_id=creator_id,
        platform="bench",
        body="Hi {{ creator.display_name }}, join {{ brief.name }}!",
    )
    kit.outreach.respond(creator, deal.id, accept=True)
    offer = kit.negotiation.propose(brand, deal.id, world["terms"])
    kit.negotiation.accept(creator, offer.id)
    contract = kit.contracts.draft(
        brand, deal.id, template_id=world["template"].id, draft_due=START + timedelta(days=20)
    )
    for actor, key in ((brand, world["brand_key"]), (creator, world["creator_keys"][creator_id])):
        kit.contracts.sign(
            actor,
            contract.id,
            signature=sign_contract_hash(key, contract.content_hash),
            contract_hash=contract.content_hash,
        )
    kit.content.submit_draft(creator, deal.id, caption="Glow all day #ad", elements=("close-up",))
    kit.content.review(brand, deal.id, approve=True)


def bench_workflow_deals(deals: int = 300, rounds: int = 3) -> dict[str, Any]:
    """Best and median of ``rounds`` runs, each on a fresh store (this machine's load makes single runs noisy)."""
    runs = [_run(deals) for _ in range(rounds)]
    rates = sorted(run["rate"] for run in runs)
    return {
        "name": "workflow.deals_per_s",
        "value": rates[-1],
        "unit": "deals/s",
        "goal": ">= 300",
        "median": rates[len(rates) // 2],
        "rounds": rounds,
        "deals_per_round": deals - 1,
        "service_calls_per_deal": 10,
        "audit_chain_ok": all(run["chain_ok"] for run in runs),
        "audit_events_per_round": runs[0]["events"],
    }


def _run(deals: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        plugins = PluginHost()
        plugins.register(_InstantPlatform(), name="bench")
        kit = Creatorkit(
            store=open_store(f"sqlite:///{Path(folder) / 'bench.db'}"), plugins=plugins, clock=lambda: START
        )
        world = _setup(kit, deals)
        _one_deal(kit, world, "creator_0")  # warm-up: imports, prepared statements
        started = time.perf_counter()
        for i in range(1, deals):
            _one_deal(kit, world, f"creator_{i}")
        elapsed = time.perf_counter() - started
        report = kit.audit.verify()
        kit.close()
    return {"rate": round((deals - 1) / elapsed, 1), "chain_ok": report.ok, "events": report.chain.events}
