"""Embedding creatorkit in an app: one deal from brief to published post, on a throwaway SQLite store.

    python examples/embedding/run_a_deal.py

Everything runs on the reference plugin ``echo`` (installed from ``examples/creatorkit-echo``), so nothing
touches the network. Read it top to bottom: it is the order an app calls the services in.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from creatorkit import Actor, Config, Creatorkit, Money, PluginHost
from creatorkit.entities import (
    Budget,
    ContentRules,
    CreatorProfile,
    Deliverable,
    DeliverableType,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    Product,
    ScheduleKind,
    Scope,
    Terms,
    Timeline,
    VerificationStatus,
)
from creatorkit.signing import generate_keypair, sign_contract_hash
from creatorkit.store import open_store


def run(folder: Path) -> dict[str, object]:
    config = Config.from_mapping({"platforms": {"echo": {}}})
    kit = Creatorkit(store=open_store(f"sqlite:///{folder / 'deals.db'}"), plugins=PluginHost.from_config(config))
    now = kit.clock()
    system = Actor.system()

    # Onboarding is the app's job; it registers parties as the system.
    brand = Actor.brand(kit.parties.register_brand(system, name="Lumen Cosmetics", country="US").id)
    kit.parties.set_brand_verification(system, brand.id, VerificationStatus.VERIFIED)
    agency = Actor.agency(kit.parties.register_agency(system, name="Stellar Talent").id)
    manager = Actor.manager(kit.parties.register_manager(system, agency_id=agency.id, name="Mina Park").id)
    ana = kit.parties.register_creator(
        system,
        CreatorProfile(
            id="creator_ana",
            display_name="Ana Costa",
            accounts=(PlatformAccount(platform="echo", account_id="echo-0003", handle="echo_creator_03"),),
        ),
    )
    creator = Actor.creator(ana.id)

    # Each party signs with its own key; the SDK keeps only the public half.
    keys = {}
    for party in (brand, creator):
        private, public = generate_keypair()
        kit.parties.set_signing_key(party, public)
        keys[party.id] = private

    # The manager works for Ana once she accepts; signing stays hers.
    entry = kit.roster.propose(
        agency, manager_id=manager.id, creator_id=ana.id, scopes=[Scope.NEGOTIATE, Scope.MANAGE_CONTENT]
    )
    kit.roster.accept(creator, entry.id)

    brief = kit.briefs.create(
        brand,
        name="Spring Glow launch",
        product=Product(name="Glow Serum"),
        budget=Budget(total=Money.of("5000.00", "USD")),
        timeline=Timeline(publish_from=now + timedelta(days=1), publish_until=now + timedelta(days=30)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="echo"),),
        content_rules=ContentRules(banned_words=("miracle",), required_elements=("product close-up",)),
    )
    kit.briefs.publish(brand, brief.id)

    deal = kit.outreach.invite(
        brand,
        brief_id=brief.id,
        creator_id=ana.id,
        platform="echo",
        body="Hi {{ creator.display_name }}, would you join {{ brief.name }}?",
    )
    kit.outreach.respond(manager, deal.id, accept=True, message="Ana would love to.")

    fee = Money.of("1200.00", "USD")
    terms = Terms(
        price=fee,
        deliverables=brief.deliverables,
        payment=PaymentSchedule(
            kind=ScheduleKind.POSTPAY,
            milestones=(PaymentMilestone(label="fee", amount=fee, trigger=MilestoneTrigger.ON_PUBLICATION),),
        ),
        publish_by=now + timedelta(days=20),
    )
    offer = kit.negotiation.propose(brand, deal.id, terms)
    kit.negotiation.accept(manager, offer.id)

    template = kit.contracts.create_template(
        brand, name="Standard", body="{{ brand.name }} engages {{ creator.display_name }} for {{ price }}."
    )
    contract = kit.contracts.draft(brand, deal.id, template_id=template.id, draft_due=now + timedelta(days=10))
    for party in (brand, creator):
        signature = sign_contract_hash(keys[party.id], contract.content_hash)
        kit.contracts.sign(party, contract.id, signature=signature, contract_hash=contract.content_hash)

    draft = kit.content.submit_draft(manager, deal.id, caption="Glow all day #ad", elements=("product close-up",))
    kit.content.review(brand, deal.id, approve=True)
    kit.content.record_published(
        manager, deal.id, platform_post_id="7301", url="https://example.invalid/7301", published_at=now
    )

    board = kit.deals.board(agency)
    verified = kit.audit.verify()  # the trail, and every stored document against it
    kit.close()
    return {
        "state": str(board[0].state),
        "checks_passed": draft.checks_passed,
        "audit_events": verified.chain.events,
        "audit_intact": verified.ok,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome = run(Path(folder))
    for key, value in outcome.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
