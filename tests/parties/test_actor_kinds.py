"""A party kind given as its plain value (``"brand"``) is that kind; any other value is a typed error at once.

The services compare kinds by identity, so a plain string used to pass construction and fail later with an
AttributeError (``Actor("system", "system")``) or, worse, be taken for no kind at all.
"""

from __future__ import annotations

import pytest

from creatorkit import Actor
from creatorkit.entities import Agency, Brand, PartyKind, TalentManager
from creatorkit.errors import NotFound, ValidationError


@pytest.mark.parametrize("kind", list(PartyKind))
def test_an_actor_built_with_the_kinds_value_is_the_same_actor(kind):
    actor = Actor("someone", kind._value_)
    assert actor.kind is kind
    assert actor == Actor("someone", kind) and hash(actor) == hash(Actor("someone", kind))
    assert str(actor) == f"{kind._value_}:someone"


@pytest.mark.parametrize("bad", ["sytem", "Brand", "", None, 3])
def test_an_unknown_kind_is_refused_at_construction_naming_the_field(bad):
    with pytest.raises(ValidationError) as raised:
        Actor("someone", bad)
    assert raised.value.paths == ["kind"] and raised.value.what == "actor"
    assert all(kind._value_ in str(raised.value) for kind in PartyKind)


def test_string_kinds_act_like_the_members(world):
    kit = world.kit
    system = Actor("system", "system")
    brand = kit.parties.register_brand(system, name="Plain Strings Ltd", id="brand_plain")
    assert kit.parties.get(Actor(brand.id, "brand"), PartyKind.BRAND, brand.id) == brand
    assert [b.id for b in kit.briefs.list(Actor(world.brand.id, "brand"))] == [world.brief.id]
    deal = world.invite()
    assert kit.deals.get(Actor(world.creator.id, "creator"), deal.id).id == deal.id
    with pytest.raises(NotFound):  # and an outsider given as strings is still an outsider
        kit.deals.get(Actor(world.other_creator.id, "creator"), deal.id)


def test_parties_get_takes_the_kind_as_its_value(world):
    kit = world.kit
    agency = kit.parties.get(world.manager, "agency", world.agency.id)
    assert isinstance(agency, Agency) and agency.id == world.agency.id
    manager = kit.parties.get(world.agency, "talent_manager", world.manager.id)
    assert isinstance(manager, TalentManager)
    brand = kit.parties.get(world.creator, "brand", world.brand.id)
    assert isinstance(brand, Brand)
    with pytest.raises(NotFound):  # the string kind follows the same visibility rules
        kit.parties.get(world.other_manager, "agency", world.agency.id)


@pytest.mark.parametrize("bad", ["agencies", "system", "platform", 7])
def test_parties_get_refuses_a_kind_that_names_no_party_record(world, bad):
    with pytest.raises(ValidationError) as raised:
        world.kit.parties.get(world.system, bad, world.agency.id)
    assert raised.value.paths == ["kind"]
