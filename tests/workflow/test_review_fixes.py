"""Access rules and contract checks that a review found missing, each pinned by a test that failed before."""

from __future__ import annotations

from typing import Any

import pytest

from creatorkit import PluginContractError, PluginHost, hookimpl
from creatorkit.entities import (
    Capability,
    Count,
    CreatorMetrics,
    MetricSource,
    PartyKind,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
    Window,
)
from creatorkit.errors import NotFound, PermissionDenied, ValidationError
from world import START, World


def _denied(world: World, action: str) -> list[Any]:
    with world.kit.store.read() as tx:
        return [e for e in tx.iter_audit_events() if e.action == f"denied.{action}"]


def test_a_refused_signing_key_is_recorded(world: World) -> None:
    from creatorkit.signing import generate_keypair

    with pytest.raises(PermissionDenied):
        world.kit.parties.set_signing_key(world.agency, generate_keypair()[1])
    assert _denied(world, "set_signing_key")


def test_an_agency_exports_evidence_for_its_creators_deals_only(world: World, tmp_path: Any) -> None:
    deal = world.invite()
    assert world.kit.audit.export(world.agency, deal.id, tmp_path / "own.zip").exists()
    with pytest.raises(NotFound):
        world.kit.audit.export(world.other_agency, deal.id, tmp_path / "other.zip")
    assert not (tmp_path / "other.zip").exists()
    assert not list(tmp_path.glob("*.partial"))


class TestPartyVisibility:
    def test_brands_are_public_and_creators_public_without_contact_details(self, world: World) -> None:
        parties = world.kit.parties
        assert parties.get(world.other_agency, PartyKind.BRAND, world.brand.id).name == "Lumen Cosmetics"
        with world.kit.store._write_transaction() as tx:
            record = tx.require("creator", world.creator.id)
            tx.update(
                "creator",
                world.creator.id,
                dict(record.doc, email="ana@private.example"),
                expected_version=record.version,
            )
        assert parties.get(world.brand, PartyKind.CREATOR, world.creator.id).email is None
        assert parties.get(world.creator, PartyKind.CREATOR, world.creator.id).email == "ana@private.example"
        assert parties.get(world.manager, PartyKind.CREATOR, world.creator.id).email == "ana@private.example"
        assert parties.get(world.other_manager, PartyKind.CREATOR, world.creator.id).email is None

    def test_an_agencys_people_are_invisible_to_other_workspaces(self, world: World) -> None:
        parties = world.kit.parties
        for outsider in (world.other_agency, world.other_manager, world.brand, world.other_creator):
            with pytest.raises(NotFound):
                parties.get(outsider, PartyKind.TALENT_MANAGER, world.manager.id)
            with pytest.raises(NotFound):
                parties.get(outsider, PartyKind.AGENCY, world.agency.id)
        # Inside the agency, and to the creators on its roster, they are known.
        assert parties.get(world.agency, PartyKind.TALENT_MANAGER, world.manager.id).name == "Mina Park"
        assert parties.get(world.creator, PartyKind.AGENCY, world.agency.id).name == "Stellar Talent"
        assert parties.get(world.manager, PartyKind.AGENCY, world.agency.id).name == "Stellar Talent"

    def test_kinds_without_a_party_record_are_a_typed_error(self, world: World) -> None:
        with pytest.raises(ValidationError) as caught:
            world.kit.parties.get(world.brand, PartyKind.SYSTEM, "system")
        assert caught.value.paths == ["kind"]


def test_a_brand_cannot_refresh_a_creators_metrics(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.kit.creators.refresh_metrics(world.brand, world.creator.id, "echo")
    assert _denied(world, "refresh_metrics")
    with world.kit.store.read() as tx:
        assert tx.find("metrics_snapshot", parent=world.creator.id) == []
    assert world.kit.creators.refresh_metrics(world.manager, world.creator.id, "echo").platform == "echo"


def test_a_contract_template_cannot_read_the_creators_private_email(world: World) -> None:
    from datetime import timedelta

    with world.kit.store._write_transaction() as tx:
        record = tx.require("creator", world.creator.id)
        tx.update(
            "creator", world.creator.id, dict(record.doc, email="ana@private.example"), expected_version=record.version
        )
    deal = world.agree()
    template = world.kit.contracts.create_template(world.brand, name="Leaky", body="Contact: {{ creator.email }}")
    with pytest.raises(ValidationError):
        world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))


class _Nosy:
    """A 'wrapper' with a plain stage hook: it would answer calls meant for every platform."""

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
        return CreatorMetrics(platform="echo", account_id=account.account_id, as_of=START)


class _Wrapper:
    @hookimpl(wrapper=True)
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> Any:
        return (yield)


def test_add_wrapper_refuses_hooks_that_would_answer_stage_calls() -> None:
    host = PluginHost()
    with pytest.raises(PluginContractError, match="creatorkit_fetch_creator_metrics"):
        host.add_wrapper(_Nosy(), name="nosy")
    assert host.pm.get_plugin("nosy") is None
    host.add_wrapper(_Wrapper(), name="fine")
    assert host.pm.get_plugin("fine") is not None


class _FloatFollowers:
    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="sloppy", kind=PluginKind.PLATFORM, display_name="Sloppy", capabilities=frozenset({Capability.METRICS})
        )

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
        followers = Count(value=3.5, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=START)  # type: ignore[arg-type]
        return CreatorMetrics(platform="sloppy", account_id="a", as_of=START, followers=followers)


def test_an_entity_with_a_float_where_an_integer_belongs_is_a_contract_breach() -> None:
    host = PluginHost()
    host.register(_FloatFollowers(), name="sloppy")
    account = PlatformAccount(platform="sloppy", account_id="a", handle="h")
    with pytest.raises(PluginContractError) as caught:
        host.platform("sloppy").fetch_creator_metrics(account)
    assert caught.value.plugin == "sloppy"
    assert caught.value.hook == "creatorkit_fetch_creator_metrics"
    assert "must be an integer" in str(caught.value)
