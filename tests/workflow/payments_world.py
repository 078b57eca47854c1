"""The world ``test_payments_state_machine`` plays in: its parties, each sequence's deal, the provider under test
and the faults the machine injects (a crash between the provider's success and the core's commit).

:func:`populate` writes the parties once per database (a verified brand with one published brief per currency, a
contract template, a creator on no roster and one on an agency's roster that takes a cut, everyone's signing
keys); the suite keeps that as the state each sequence starts from. A sequence then agrees one deal with drawn
terms (:func:`agree_deal`) and moves it.

The provider is a parameter (:data:`PROVIDERS`): each entry says how to build the plugin and how to read its own
books, so that the machine can check that no operation moved twice there, whichever provider it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import attrs
from hypothesis import strategies as st

from creatorkit import Actor, Creatorkit, Money, hookimpl
from creatorkit.entities import (
    Budget,
    CancellationTerms,
    Contract,
    CreatorProfile,
    Deliverable,
    DeliverableType,
    MilestoneTrigger,
    OperationKind,
    PaymentCapabilities,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    PriceTier,
    Product,
    ProviderOperation,
    ProviderRequest,
    RateCard,
    ScheduleKind,
    Scope,
    Terms,
    Timeline,
    VerificationStatus,
    WebhookRequest,
)
from creatorkit.money import allocate, currency_exponent
from creatorkit.payments import from_provider_units, granularity
from creatorkit.signing import generate_keypair, sign_contract_hash
from creatorkit_echo import EchoPayments, webhooks

from .payments_model import DealTerms, Fees

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system()
BRAND = Actor.brand("brand_lumen")
AGENCY = Actor.agency("agency_stellar")
SOLO = Actor.creator("creator_ana")  # on no roster: no agency cut
REPRESENTED = Actor.creator("creator_bo")  # on the agency's roster, which takes AGENCY_CUT_BP of every payout
AGENCY_CUT_BP = 1_500
#: Drawn from: no decimals (JPY, KRW), two (USD), three (KWD, BHD); each sequence uses those the provider takes.
CURRENCIES = ("JPY", "KRW", "USD", "KWD", "BHD")
#: Every rate a sequence draws (commission, agency cut, kill fees) is a multiple of this many basis points, so a
#: coarse currency's amounts can be drawn such that every part of every split is one the provider represents.
RATE_STEP_BP = 500
CAPTION = "Vitamin C glow, every morning #ad"
ELEMENTS = ("product close-up",)


@attrs.frozen
class Parties:
    """What :func:`populate` wrote that a sequence needs: signing keys and the brief of each currency."""

    keys: dict[str, str]  # party id -> private signing key
    briefs: dict[str, str]  # currency -> published brief id
    template_id: str


def _creator(id: str, name: str, handle: str) -> CreatorProfile:
    account = PlatformAccount(platform="echo", account_id=f"echo-{handle}", handle=handle, display_name=name)
    tier = PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=Money(120_000, "USD"), label="video")
    return CreatorProfile(
        id=id,
        display_name=name,
        country="US",
        languages=("en",),
        categories=("beauty",),
        accounts=(account,),
        rate_card=RateCard(tiers=(tier,), negotiable=True),
    )


def populate(kit: Creatorkit, currencies: tuple[str, ...]) -> Parties:
    """Write the parties every sequence starts with (see the module docstring)."""
    parties = kit.parties
    parties.register_brand(SYSTEM, name="Lumen Cosmetics", country="US", id=BRAND.id)
    parties.set_brand_verification(SYSTEM, BRAND.id, VerificationStatus.VERIFIED)
    parties.register_agency(SYSTEM, name="Stellar Talent", id=AGENCY.id)
    parties.register_manager(SYSTEM, agency_id=AGENCY.id, name="Mina Park", id="mgr_mina")
    parties.register_creator(SYSTEM, _creator(SOLO.id, "Ana Costa", "echo_creator_03"))
    parties.register_creator(SYSTEM, _creator(REPRESENTED.id, "Bo Lee", "echo_creator_04"))
    keys = {}
    for actor in (BRAND, SOLO, REPRESENTED):
        private, public = generate_keypair()
        parties.set_signing_key(actor, public)
        keys[actor.id] = private
    entry = kit.roster.propose(
        AGENCY, manager_id="mgr_mina", creator_id=REPRESENTED.id, scopes=[Scope.VIEW_STATS], agency_cut_bp=AGENCY_CUT_BP
    )
    kit.roster.accept(REPRESENTED, entry.id)
    briefs = {}
    for currency in currencies:
        brief = kit.briefs.create(
            BRAND,
            name=f"Spring Glow launch ({currency})",
            product=Product(name="Glow Serum", description="Vitamin C serum", category="beauty"),
            budget=Budget(total=Money(10 ** (currency_exponent(currency) + 9), currency)),
            timeline=Timeline(publish_from=START + timedelta(days=14), publish_until=START + timedelta(days=45)),
            deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
        )
        briefs[currency] = kit.briefs.publish(BRAND, brief.id).id
    template = kit.contracts.create_template(BRAND, name="Standard", body="For {{ contract.price }}.")
    return Parties(keys=keys, briefs=briefs, template_id=template.id)


def agree_deal(kit: Creatorkit, parties: Parties, currency: str, creator: Actor) -> Contract:
    """A deal in ``currency`` with ``creator``, agreed and its contract sent (CONTRACT_SENT, not signed), on terms a
    sequence then amends to its own (:func:`amend_to`): the contract."""
    deal = kit.outreach.invite(
        BRAND, brief_id=parties.briefs[currency], creator_id=creator.id, platform="echo", body="Join us!"
    )
    kit.outreach.respond(creator, deal.id, accept=True)
    price = Money(100 * 10 ** currency_exponent(currency), currency)
    milestone = PaymentMilestone(label="fee", amount=price, trigger=MilestoneTrigger.ON_SIGNATURE)
    terms = Terms(
        price=price,
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="echo"),),
        payment=PaymentSchedule(kind=ScheduleKind.PREPAY, milestones=(milestone,)),
        publish_by=START + timedelta(days=40),
    )
    offer = kit.negotiation.propose(BRAND, deal.id, terms)
    kit.negotiation.accept(creator, offer.id)
    return kit.contracts.draft(BRAND, deal.id, template_id=parties.template_id, draft_due=START + timedelta(days=20))


def amend_to(kit: Creatorkit, contract: Contract, terms: DealTerms) -> Contract:
    """The brand amends the sent contract to ``terms`` (schedule, price, cancellation, revisions): the new version."""
    return kit.contracts.amend(
        BRAND,
        contract.id,
        payment=terms.schedule(),
        cancellation=terms.cancellation,
        revision_limit=terms.revision_limit,
    )


def sign(kit: Creatorkit, parties: Parties, actor: Actor, contract: Contract) -> None:
    signature = sign_contract_hash(parties.keys[actor.id], contract.content_hash)
    kit.contracts.sign(actor, contract.id, signature=signature, contract_hash=contract.content_hash)


# --- drawing a deal's terms --------------------------------------------------------------------------------------


def unit_of(currency: str, capabilities: PaymentCapabilities, provider: str) -> int:
    """The step a sequence's amounts in ``currency`` are drawn in: 1 where the provider takes every minor unit;
    for a coarser one (KWD in tens of fils), a step such that every split at RATE_STEP_BP-multiple rates of an
    amount drawn in it is representable too."""
    step = granularity(currency, capabilities, provider=provider)
    return 1 if step == 1 else step * 10_000 // RATE_STEP_BP


TRIGGERS = (
    MilestoneTrigger.ON_SIGNATURE,
    MilestoneTrigger.ON_DRAFT_APPROVED,
    MilestoneTrigger.ON_PUBLICATION,
    MilestoneTrigger.ON_KPI_REPORT,
)
#: What the provider keeps leaves room for the platform's share: echo_pay lets at most 80 % of a fund, net of its
#: own 1 %, reach receivers, so a creator-side commission takes at least 25 % and a brand-side one adds 30 %.
FEES = st.one_of(
    st.builds(Fees, rate_bp=st.sampled_from([2_500, 3_000])),
    st.builds(Fees, rate_bp=st.just(3_000), brand_side=st.just(True), per_project_fee=st.sampled_from([0, 1, 2_500])),
)
KILL_FEES = st.sampled_from([0, 1_000, 2_500, 4_000, 5_000, 10_000])
CANCELLATIONS = st.builds(
    CancellationTerms,
    kill_fee_bp=KILL_FEES,
    kill_fee_after_draft_bp=st.none() | KILL_FEES,
    refund_unreleased_escrow=st.booleans(),
)


@st.composite
def deal_terms(draw: st.DrawFn, currencies: tuple[str, ...], units: dict[str, int]) -> DealTerms:
    """A deal's terms: a currency, a schedule of one to three milestones, cancellation terms, fees, an agency cut.

    Prices run from 1,000 to 10 million minor units (odd ones often, so that splits round), at least 100 of
    them in each milestone. In a coarse currency each milestone is a whole number of its unit (see
    :func:`unit_of`) and the price a multiple of 10,000 / RATE_STEP_BP units, so that its kill fee is one too.
    """
    currency = draw(st.sampled_from(currencies))
    unit = units[currency]
    kind = draw(st.sampled_from(list(ScheduleKind)))
    count = 1 if kind is ScheduleKind.PREPAY else draw(st.integers(1 if kind is ScheduleKind.POSTPAY else 2, 3))
    scale = unit * (10_000 // RATE_STEP_BP) if unit > 1 else 1
    price = draw(st.integers(-(-1_000 // scale), 10_000_000 // scale)) * scale
    weights = draw(st.lists(st.integers(1, 9), min_size=count, max_size=count))
    amounts = [part * unit for part in allocate(price // unit, weights)]
    if min(amounts) < 100:
        amounts = [part * unit for part in allocate(price // unit, [1] * count)]
    triggers = sorted(draw(st.lists(st.sampled_from(TRIGGERS), min_size=count, max_size=count)), key=TRIGGERS.index)
    fees = draw(FEES)
    if unit > 1:
        fees = attrs.evolve(fees, per_project_fee=fees.per_project_fee // unit * unit)
    return DealTerms(
        currency=currency,
        kind=kind,
        milestones=tuple(zip(amounts, triggers, strict=True)),
        cancellation=draw(CANCELLATIONS),
        fees=fees,
        agency_cut_bp=draw(st.sampled_from([0, AGENCY_CUT_BP])),
    )


# --- the provider under test -------------------------------------------------------------------------------------


class SimulatedCrash(Exception):
    """The process died committing what the provider answered (the provider moved the money; the core never
    recorded it). Deliberately not a CreatorkitError: nothing in the kit catches it."""


@attrs.define
class CrashSwitch:
    """Arms a crash of the next store commit that records a provider's success (see ``crashing_commits``)."""

    armed: bool = False
    recording: bool = False  # the open transaction writes a success's ledger entries

    def before_commit(self) -> None:
        if self.recording:
            self.recording = False
            if self.armed:
                self.armed = False
                raise SimulatedCrash("the store's commit of the provider's success failed")


def crashing_commits(switch: CrashSwitch, write_entries: Callable[..., None]) -> Callable[..., None]:
    """``_payments._write_entries`` telling ``switch`` that this transaction records a success."""

    @functools.wraps(write_entries)
    def recorded(*args: Any, **kwargs: Any) -> None:
        write_entries(*args, **kwargs)
        switch.recording = True

    return recorded


class ProviderUnderTest(Protocol):
    """How the machine drives one payment provider and reads its own books.

    One per suite: ``plugin`` is registered once, and :meth:`reset` gives each sequence a provider with no history
    (the provider outlives a crash of the kit's process, as a real one does).
    """

    name: str
    plugin: object
    capabilities: PaymentCapabilities
    timeouts: bool  # whether it can be told to time out after success
    pending: bool  # whether it can be told to leave the next movement pending
    webhooks: bool  # whether the machine can make its webhook deliveries (webhook_request)

    def reset(self) -> None: ...

    def configure(self, *, timeout_after_success: bool) -> None: ...

    def pend_next(self) -> None: ...

    def movements(self) -> dict[str, ProviderRequest]:
        """Every operation the provider accepted (and moved money for), by operation id, as first asked."""
        ...

    def received(self, currency: str) -> dict[str, Money]:
        """What each receiver account holds at the provider."""
        ...

    def answers(self) -> Iterator[ProviderOperation]:
        """Its latest answer for each operation (what a webhook tells about)."""
        ...

    def webhook_request(self, answer: ProviderOperation, event_id: str, at: datetime) -> WebhookRequest: ...


class EchoPayWithFaults(EchoPayments):
    """echo_pay, with its ``pending_retrieves`` switch turned on for one movement at a time."""

    pend_once = False

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        if not self.pend_once or request.operation_id in self.records:
            return super().creatorkit_payment_operation(request)
        # Two retrieves to succeed: the one the core makes straight away, and the next sync's.
        self.pend_once, self.pending_retrieves = False, 2
        try:
            return super().creatorkit_payment_operation(request)
        finally:
            self.pending_retrieves = 0


class EchoPayUnderTest:
    """echo_pay (creatorkit_echo): its books are its ``records`` and receivers' ``balances``, in its own units."""

    timeouts = pending = webhooks = True

    def __init__(self, name: str = "echo_pay") -> None:
        self.name = name
        self.echo = EchoPayWithFaults(name)
        self.plugin: object = self.echo
        self.capabilities = EchoPayments.CAPABILITIES

    def reset(self) -> None:
        echo = self.echo
        echo.records, echo.sources, echo.paid, echo.balances = {}, {}, {}, {}
        echo.timeout_after_success, echo.pending_retrieves, echo.pend_once = False, 0, False

    def configure(self, *, timeout_after_success: bool) -> None:
        self.echo.timeout_after_success = timeout_after_success

    def pend_next(self) -> None:
        self.echo.pend_once = True

    def movements(self) -> dict[str, ProviderRequest]:
        return {op_id: record.request for op_id, record in self.echo.records.items()}

    def received(self, currency: str) -> dict[str, Money]:
        return {
            account: from_provider_units(units, currency, self.capabilities, provider=self.name)
            for (account, held_in), units in self.echo.balances.items()
            if held_in == currency
        }

    def answers(self) -> Iterator[ProviderOperation]:
        return (record.operation for record in self.echo.records.values())

    def webhook_request(self, answer: ProviderOperation, event_id: str, at: datetime) -> WebhookRequest:
        body = webhooks.payment_event(
            event_id,
            f"{answer.kind}.{answer.raw_status}",
            operation_id=answer.operation_id,
            provider_ref=answer.provider_ref,
            created=at,
        )
        return webhooks.payment_request(self.echo.webhook_secret, body, signed_at=at)


#: The providers the machine can run against, by name.
PROVIDERS: dict[str, Callable[[], ProviderUnderTest]] = {"echo_pay": EchoPayUnderTest}


def receivers_of(requests: list[ProviderRequest]) -> dict[str, int]:
    """What the releases among ``requests`` paid each receiver account, in minor units."""
    paid: dict[str, int] = {}
    for request in requests:
        if request.kind is OperationKind.RELEASE:
            for leg in request.legs:
                paid[leg.account_ref] = paid.get(leg.account_ref, 0) + leg.amount.amount
    return paid
