"""Datetimes from the caller are timezone-aware, or refused where they come in with the argument's name.

Every stored time is aware, and comparing a naive one with them fails deep inside a call (a TypeError, or an
entity's complaint about a field the caller never named). The kit's clock, ``process_deadlines(now=...)`` and
each public method that takes a datetime check what they are given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from creatorkit.entities import DealState
from creatorkit.errors import ValidationError
from world import START, World

NAIVE = datetime(2026, 3, 10, 9, 0)


def test_process_deadlines_refuses_a_naive_now_naming_it(world):
    kit = world.kit
    deal = world.invite()  # waits for the creator, with a deadline to compare with

    for bad in (NAIVE, "2026-03-10T09:00:00+00:00", START.date()):
        with pytest.raises(ValidationError) as raised:
            kit.deals.process_deadlines(now=bad)
        assert raised.value.paths == ["now"] and raised.value.what == "deadline run"

    assert kit.deals.get(world.brand, deal.id).state is DealState.INVITED
    late = START + timedelta(days=kit.config.workflow.invitation_response_days + 1)
    run = kit.deals.process_deadlines(now=late)
    assert [d.id for d in run.moved] == [deal.id] and run.moved[0].state is DealState.EXPIRED


def test_a_time_in_another_zone_is_as_good_as_utc(world):
    from zoneinfo import ZoneInfo

    deal = world.invite()
    late = START + timedelta(days=world.kit.config.workflow.invitation_response_days + 1)
    run = world.kit.deals.process_deadlines(now=late.astimezone(ZoneInfo("Asia/Tokyo")))
    assert [d.id for d in run.moved] == [deal.id]


@pytest.mark.parametrize("reading", [NAIVE, 1_772_442_000.0], ids=["naive", "a-timestamp"])
def test_a_clock_that_returns_no_aware_datetime_is_named(world, reading):
    kit = world.kit
    deal = world.invite()
    before = kit.store.audit_head()
    world.clock.now = reading

    calls = [
        lambda: kit.outreach.respond(world.creator, deal.id, accept=True),  # a write
        lambda: kit.negotiation.status(world.brand, deal.id),  # a read that asks the time
        lambda: world.invite(world.other_creator),  # a call that asks the time before its transaction
        lambda: kit.deals.process_deadlines(),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as raised:
            call()
        assert raised.value.paths == ["clock"] and raised.value.what == "kit clock"

    assert kit.store.audit_head() == before
    world.clock.now = START
    assert kit.outreach.respond(world.creator, deal.id, accept=True).state is DealState.NEGOTIATING


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("bad", [NAIVE, "2026-04-01T18:00:00Z"], ids=["naive", "a-string"])
def test_an_event_takes_aware_times_only(world, field, bad):
    times: dict[str, Any] = {"starts_at": START + timedelta(days=30), "ends_at": START + timedelta(days=30, hours=3)}
    times[field] = bad
    with pytest.raises(ValidationError) as raised:
        world.kit.aftercare.create_event(world.brand, name="Launch night", **times)
    assert raised.value.paths == [field]


def test_every_datetime_argument_of_the_services_is_checked(world: World):
    """The other public methods that take a datetime: each names its argument for a naive one."""
    kit = world.kit
    deal = world.agree()
    template = kit.contracts.create_template(world.brand, name="Standard", body="For {{ contract.price }}.")
    with pytest.raises(ValidationError) as raised:
        kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=NAIVE)
    assert raised.value.paths == ["draft_due"]
    assert kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
