"""Money in a deal: prices, budgets and milestones are never negative, the milestones pay exactly the price, and
a deal's price is in its brief's currency and within the brief's per-creator cap.

Each rule that holds for the value itself is the entity's (a Terms, a PaymentMilestone, a Budget cannot even be
built wrong); the services report the same rules with the path from their own argument. What depends on the
brief a deal is on is the services' to check, when an offer is made or a contract amended.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Money
from creatorkit.converter import unstructure
from creatorkit.entities import (
    BriefStatus,
    Budget,
    ContractStatus,
    DealState,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentSchedule,
    ScheduleKind,
    Terms,
)
from creatorkit.entities._common import FieldValueError
from creatorkit.errors import ValidationError
from world import START, World


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def milestone(amount: int, currency: str = "USD", trigger: str = "on_publication") -> dict[str, Any]:
    """A milestone as plain data, the form an app receives from its own users."""
    return {"label": "part", "amount": {"amount": amount, "currency": currency}, "trigger": trigger, "due": None}


def negotiating(world: World) -> Any:
    deal = world.invite()
    return world.kit.outreach.respond(world.creator, deal.id, accept=True)


def brief_fields(world: World, budget: Any) -> dict[str, Any]:
    return {
        "name": "Refund drop",
        "product": world.brief.product,
        "budget": budget,
        "timeline": world.brief.timeline,
        "deliverables": world.brief.deliverables,
    }


def sent_contract(world: World, **terms: Any) -> tuple[Any, Any]:
    deal = world.agree(**terms)
    template = world.kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    contract = world.kit.contracts.draft(
        world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20)
    )
    return deal, contract


# -- milestones ----------------------------------------------------------------------------------------------


def test_a_negative_milestone_is_refused_even_when_the_sum_is_the_price(world):
    kit = world.kit
    deal = negotiating(world)
    data = unstructure(world.terms(price=120_000, schedule=ScheduleKind.MILESTONES))
    data["payment"]["milestones"] = [milestone(-80_000, trigger="on_signature"), milestone(200_000)]

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, data)

    assert raised.value.paths == ["terms.payment.milestones[0].amount"]
    assert "-800.00 USD" in str(raised.value)
    assert kit.negotiation.offers(world.brand, deal.id) == []
    with pytest.raises(FieldValueError) as built:  # nor can an app build such a milestone
        PaymentMilestone(label="refund", amount=usd(-80_000), trigger=MilestoneTrigger.ON_SIGNATURE)
    assert built.value.field == "amount"


def test_milestones_that_do_not_add_up_to_the_price_name_the_schedule(world):
    kit = world.kit
    deal = negotiating(world)
    data = unstructure(world.terms(price=120_000, schedule=ScheduleKind.MILESTONES))
    data["payment"]["milestones"] = [milestone(60_000, trigger="on_signature"), milestone(50_000)]

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, data)

    assert raised.value.paths == ["terms.payment.milestones"]
    assert "1100.00 USD" in str(raised.value) and "1200.00 USD" in str(raised.value)
    assert kit.negotiation.offers(world.brand, deal.id) == []


def test_a_zero_price_is_refused_by_the_terms_themselves(world):
    kit = world.kit
    deal = negotiating(world)
    data = unstructure(world.terms())
    data["price"]["amount"] = 0

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, data)

    assert raised.value.paths == ["terms.price"] and "more than zero" in str(raised.value)
    with pytest.raises(FieldValueError):
        world.terms(price=0)
    assert kit.negotiation.offers(world.brand, deal.id) == []


# -- budgets -------------------------------------------------------------------------------------------------


def test_a_negative_budget_is_refused_so_no_brand_publishes_one(world):
    kit = world.kit
    negative = {"total": {"amount": -500, "currency": "USD"}, "per_creator_max": None, "includes_fees": True}
    before = kit.store.audit_head()

    with pytest.raises(ValidationError) as raised:
        kit.briefs.create(world.unverified_brand, **brief_fields(world, negative))

    assert raised.value.paths == ["budget.total"] and raised.value.what == "brief"
    assert kit.store.audit_head() == before
    draft = kit.briefs.create(world.unverified_brand, **brief_fields(world, Budget(total=usd(0))))
    with pytest.raises(ValidationError) as raised:
        kit.briefs.update(world.unverified_brand, draft.id, budget=negative)
    assert raised.value.paths == ["budget.total"]
    assert kit.briefs.get(world.unverified_brand, draft.id).budget.total == usd(0)


def test_a_zero_budget_stays_an_unpaid_task_an_unverified_brand_may_publish(world):
    kit = world.kit
    brief = kit.briefs.create(world.unverified_brand, **brief_fields(world, Budget(total=usd(0))))
    assert kit.briefs.publish(world.unverified_brand, brief.id).status is BriefStatus.PUBLISHED


def test_a_per_creator_cap_is_more_than_zero(world):
    zero_cap = {"total": {"amount": 500_000, "currency": "USD"}, "per_creator_max": {"amount": 0, "currency": "USD"}}
    with pytest.raises(ValidationError) as raised:
        world.kit.briefs.create(world.brand, **brief_fields(world, {**zero_cap, "includes_fees": True}))
    assert raised.value.paths == ["budget.per_creator_max"]


# -- amendments ----------------------------------------------------------------------------------------------


def test_an_amendment_cannot_slip_in_a_negative_milestone(world):
    kit = world.kit
    deal, v1 = sent_contract(world, price=120_000)
    schedule = {"kind": "milestones", "milestones": [milestone(-80_000, trigger="on_signature"), milestone(200_000)]}

    with pytest.raises(ValidationError) as raised:
        kit.contracts.amend(world.brand, v1.id, payment=schedule)

    assert raised.value.paths == ["payment.milestones[0].amount"]
    assert [c.id for c in kit.contracts.versions(world.brand, deal.id)] == [v1.id]
    assert kit.contracts.get(world.brand, v1.id).status is ContractStatus.SENT


def test_an_amended_schedule_sets_the_new_price_to_its_total(world):
    kit = world.kit
    deal, v1 = sent_contract(world, price=120_000)
    schedule = {"kind": "milestones", "milestones": [milestone(60_000, trigger="on_signature"), milestone(90_000)]}

    v2 = kit.contracts.amend(world.brand, v1.id, payment=schedule)

    assert v2.price == usd(150_000) == v2.clauses.payment.total
    moved = kit.deals.get(world.brand, deal.id)
    assert (moved.state, moved.price, moved.contract_id) == (DealState.CONTRACT_SENT, usd(150_000), v2.id)


# -- the brief's currency and per-creator cap ----------------------------------------------------------------


def terms_in(world: World, currency: str, amount: int) -> Terms:
    price = Money(amount, currency)
    fee = PaymentMilestone(label="fee", amount=price, trigger=MilestoneTrigger.ON_PUBLICATION)
    return attrs.evolve(
        world.terms(), price=price, payment=PaymentSchedule(kind=ScheduleKind.POSTPAY, milestones=(fee,))
    )


def capped_deal(world: World, cap: int) -> Any:
    """A deal in negotiation on a published brief of 10,000 USD that pays one creator at most ``cap`` cents."""
    kit = world.kit
    budget = Budget(total=usd(1_000_000), per_creator_max=usd(cap))
    brief = kit.briefs.create(world.brand, **brief_fields(world, budget))
    kit.briefs.publish(world.brand, brief.id)
    deal = kit.outreach.invite(world.brand, brief_id=brief.id, creator_id=world.creator.id, platform="echo", body="Hi")
    return kit.outreach.respond(world.creator, deal.id, accept=True)


@pytest.mark.parametrize(("currency", "amount"), [("EUR", 150_000), ("JPY", 150_000)])
def test_an_offer_in_another_currency_than_the_briefs_is_refused_naming_both(world, currency, amount):
    kit = world.kit
    deal = negotiating(world)

    for side in (world.brand, world.manager):
        with pytest.raises(ValidationError) as raised:
            kit.negotiation.propose(side, deal.id, terms_in(world, currency, amount))
        assert raised.value.paths == ["terms.price.currency"]
        assert currency in str(raised.value) and "USD" in str(raised.value)

    assert kit.negotiation.offers(world.brand, deal.id) == []
    assert kit.deals.get(world.brand, deal.id).state is DealState.NEGOTIATING


def test_an_offer_above_the_per_creator_cap_is_refused_naming_the_cap(world):
    kit = world.kit
    deal = capped_deal(world, cap=100_000)

    with pytest.raises(ValidationError) as raised:
        kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_001))
    assert raised.value.paths == ["terms.price"]
    assert "1000.00 USD" in str(raised.value) and "per_creator_max" in str(raised.value)

    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=100_000))  # the cap itself is allowed
    with pytest.raises(ValidationError) as raised:  # and the creator's side cannot counter above it either
        kit.negotiation.propose(world.manager, deal.id, world.terms(price=120_000))
    assert raised.value.paths == ["terms.price"]
    agreed = kit.negotiation.accept(world.creator, offer.id)
    assert agreed.price == usd(100_000)


def test_an_amendment_is_held_to_the_briefs_currency_and_cap(world):
    kit = world.kit
    deal, v1 = sent_contract(world, price=120_000)
    in_euros = {"kind": "postpay", "milestones": [milestone(120_000, "EUR")]}

    with pytest.raises(ValidationError) as raised:
        kit.contracts.amend(world.brand, v1.id, payment=in_euros)

    assert raised.value.paths == ["payment.milestones"]
    assert "EUR" in str(raised.value) and "USD" in str(raised.value)
    assert [c.id for c in kit.contracts.versions(world.brand, deal.id)] == [v1.id]


def test_an_amendment_cannot_raise_the_price_above_the_cap(world):
    kit = world.kit
    deal = capped_deal(world, cap=130_000)
    offer = kit.negotiation.propose(world.brand, deal.id, world.terms(price=120_000))
    kit.negotiation.accept(world.creator, offer.id)
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    v1 = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))

    with pytest.raises(ValidationError) as raised:
        kit.contracts.amend(world.brand, v1.id, payment={"kind": "postpay", "milestones": [milestone(130_001)]})

    assert raised.value.paths == ["payment.milestones"] and "1300.00 USD" in str(raised.value)
    assert kit.contracts.amend(world.brand, v1.id, payment={"kind": "postpay", "milestones": [milestone(130_000)]})


def test_an_invitations_proposed_price_keeps_the_briefs_rules(world: World) -> None:
    """The price a brand proposes with its invitation is the deal's price until an offer is agreed."""
    for price, path in (
        (Money(-1, "USD"), "proposed_price"),
        (Money(150_000, "EUR"), "proposed_price.currency"),
    ):
        with pytest.raises(ValidationError) as refused:
            world.invite(proposed_price=price)
        assert path in refused.value.paths
    deal = world.invite(proposed_price=Money(150_000, "USD"))
    assert deal.price == Money(150_000, "USD")


def test_an_unpaid_brief_pays_nobody(world: World) -> None:
    """An unverified brand may publish a brief without a budget; no deal on it may then be paid."""
    kit = world.kit
    brief = kit.briefs.create(
        world.unverified_brand,
        name="Gifting only",
        product=world.brief.product,
        budget=attrs.evolve(world.brief.budget, total=Money(0, "USD"), per_creator_max=None),
        timeline=world.brief.timeline,
        deliverables=world.brief.deliverables,
    )
    kit.briefs.publish(world.unverified_brand, brief.id)
    deal = kit.outreach.invite(
        world.unverified_brand, brief_id=brief.id, creator_id=world.creator.id, platform="echo", body="Hi!"
    )
    kit.outreach.respond(world.creator, deal.id, accept=True)
    with pytest.raises(ValidationError) as refused:
        kit.negotiation.propose(world.unverified_brand, deal.id, world.terms())
    assert "whole budget" in str(refused.value)
