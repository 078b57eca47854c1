"""Usage rights: bound only where the executed contract allows paid ads, recorded with the contract's end, and
revoked once the platform would honour them longer than agreed.

The platform is echo with a small in-memory Spark-Ads-like registry added: a code names a post and the days the
creator chose, as TikTok's does. Every test runs on SQLite and, with CREATORKIT_TEST_POSTGRES_URL set, on
PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit import CallContext, hookimpl
from creatorkit.entities import (
    Capability,
    PluginMetadata,
    UsageAuthorizationRequest,
    UsageRight,
    UsageRights,
    UsageRightStatus,
)
from creatorkit.errors import CapabilityMissing, InvalidRequest, NotFound, PermissionDenied, StateError, ValidationError
from creatorkit_echo import EchoPlatform

from .test_platform_orders import _executed, _swap

DAY = timedelta(days=1)


class EchoWithSparkAds(EchoPlatform):
    """echo, plus paid-usage codes: ``codes[code] = (post_id, days)``; binding starts the right at the clock."""

    def __init__(self, now: Any) -> None:
        super().__init__()
        self.now = now
        self.codes: dict[str, tuple[str, int]] = {}
        self.bound: dict[str, UsageRight] = {}
        self.calls: list[str] = []

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        meta = super().creatorkit_plugin_metadata()
        return attrs.evolve(meta, capabilities=meta.capabilities | {Capability.USAGE_RIGHTS})

    @hookimpl
    def creatorkit_authorize_usage(self, request: UsageAuthorizationRequest, context: CallContext) -> UsageRight:
        self.calls.append(f"authorize {request.authorization_code}")
        if request.authorization_code in self.bound:
            return self.bound[request.authorization_code]
        if request.authorization_code not in self.codes:
            raise InvalidRequest(self.name, "no such code", field="authorization_code")
        post_id, days = self.codes[request.authorization_code]
        start: datetime = self.now()
        right = UsageRight(
            platform=self.name,
            platform_ref=request.authorization_code,
            post_id=post_id,
            status=UsageRightStatus.ACTIVE,
            raw_status="AUTHORIZED",
            checked_at=start,
            starts_at=start,
            ends_at=start + days * DAY,
        )
        self.bound[request.authorization_code] = right
        return right

    @hookimpl
    def creatorkit_get_usage_right(self, platform_ref: str) -> UsageRight:
        self.calls.append(f"get {platform_ref}")
        if platform_ref not in self.bound:
            raise NotFound("usage right", platform_ref, platform=self.name)
        right = self.bound[platform_ref]
        if right.status is UsageRightStatus.ACTIVE and right.ends_at and self.now() >= right.ends_at:
            right = self.bound[platform_ref] = attrs.evolve(
                right, status=UsageRightStatus.EXPIRED, raw_status="EXPIRED"
            )
        return attrs.evolve(right, checked_at=self.now())

    @hookimpl
    def creatorkit_revoke_usage_right(self, platform_ref: str) -> UsageRight:
        self.calls.append(f"revoke {platform_ref}")
        right = self.creatorkit_get_usage_right(platform_ref)
        revoked = attrs.evolve(right, status=UsageRightStatus.REVOKED, raw_status="UNBOUND")
        self.bound[platform_ref] = revoked
        return revoked


@pytest.fixture
def spark(world: Any) -> EchoWithSparkAds:
    platform = EchoWithSparkAds(world.kit.clock)
    platform.codes = {"#code-30": ("post_01", 30), "#code-365": ("post_02", 365)}
    _swap(world, platform)
    return platform


def _actions(world: Any, entity_id: str) -> list[str]:
    return [e.action for e in world.kit.store.iter_audit() if e.entity_id == entity_id]


def _paid(world: Any, days: int | None = 30) -> Any:
    deal, _ = _executed(world, usage_rights=UsageRights(paid_ads=True, duration_days=days))
    return deal


def test_a_code_is_bound_and_recorded_with_the_contracts_end(world, spark):
    deal = _paid(world, days=30)

    record = world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30", post_id="post_01")

    assert record.right.status is UsageRightStatus.ACTIVE and record.right.post_id == "post_01"
    assert record.allowed_until == record.right.starts_at + 30 * DAY
    assert not record.outlives_contract(), "a 30-day code under a 30-day contract ends when the contract does"
    assert world.kit.usage_rights.list(world.brand, deal_id=deal.id) == [record]
    assert _actions(world, record.id) == ["usage_right.authorize"]


def test_binding_the_same_code_again_returns_the_first_record(world, spark):
    deal = _paid(world)
    first = world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30")
    again = world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30")
    assert again == first
    assert spark.calls == ["authorize #code-30"], "a recorded right is not bound again"


def test_a_contract_without_paid_ads_refuses_before_the_platform_is_called(world, spark):
    deal, _ = _executed(world, usage_rights=UsageRights(paid_ads=False))
    with pytest.raises(StateError, match="paid_ads is false"):
        world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30")
    assert spark.calls == []


def test_only_the_deals_brand_binds_usage_rights(world, spark):
    deal = _paid(world)
    with pytest.raises(PermissionDenied):
        world.kit.usage_rights.authorize(world.creator, deal.id, "#code-30")
    assert spark.calls == []


def test_a_code_for_another_post_is_refused_naming_the_field(world, spark):
    deal = _paid(world)
    with pytest.raises(ValidationError) as caught:
        world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30", post_id="post_99")
    assert caught.value.problems[0].path == "post_id"
    assert world.kit.usage_rights.list(world.brand, deal_id=deal.id) == [], "nothing is recorded"
    assert spark.bound["#code-30"].status is UsageRightStatus.REVOKED, "and the platform holds nothing either"


def test_a_right_longer_than_the_contract_is_due_and_enforce_revokes_it(world, spark, clock):
    deal = _paid(world, days=30)
    record = world.kit.usage_rights.authorize(world.brand, deal.id, "#code-365")
    assert record.outlives_contract(), "the creator's code runs a year; the contract allows 30 days"
    assert world.kit.usage_rights.due(world.brand) == []

    clock.advance(days=31)
    [due] = world.kit.usage_rights.due(world.brand)
    assert due.id == record.id
    [revoked] = world.kit.usage_rights.enforce()

    assert revoked.right.status is UsageRightStatus.REVOKED and revoked.right.raw_status == "UNBOUND"
    assert spark.bound["#code-365"].status is UsageRightStatus.REVOKED, "unbound at the platform"
    assert world.kit.usage_rights.due(world.brand) == []
    assert _actions(world, record.id) == ["usage_right.authorize", "usage_right.revoke"]


def test_refresh_records_that_the_platform_let_the_right_expire(world, spark, clock):
    deal = _paid(world, days=60)
    record = world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30")
    clock.advance(days=31)
    refreshed = world.kit.usage_rights.refresh(world.brand, record.id)
    assert refreshed.right.status is UsageRightStatus.EXPIRED
    assert not refreshed.beyond_contract(world.kit.clock()), "an expired right needs no revoking"


def test_a_platform_without_usage_rights_says_what_is_missing(world):
    deal = _paid(world)
    with pytest.raises(CapabilityMissing):
        world.kit.usage_rights.authorize(world.brand, deal.id, "#code-30")
