"""Usage rights: the paid-ads use of a creator's post, bound at the platform only as far as the contract allows.

The contract's ``clauses.usage_rights`` says whether the brand may run the content as paid ads and for how many
days. The creator hands the brand a code for the post (TikTok's Spark Ads code names the post and its own number of
days); :meth:`UsageRightService.authorize` refuses it unless the executed contract allows paid ads, binds it through
the platform's ``usage_rights`` hooks, and records a :class:`~creatorkit.entities.UsageRightRecord` beside the deal
with the end of the contract's allowance (the right's start plus the agreed days). From then on the record says
whether the platform still honours the right after the contract stopped allowing it (``due``), and
:meth:`UsageRightService.enforce` unbinds every such right: an expired usage right is visible and revoked, not
left running because the platform's code was for more days than agreed.

The platform is called outside any transaction, as orders are; binding a code twice is safe at the platform (the
hook's contract), and the record is keyed by the deal and the platform's reference, so a repeated call returns
the first record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from ..._service import Service
from ...entities import (
    Actor,
    Capability,
    Contract,
    Deal,
    PartyKind,
    UsageAuthorizationRequest,
    UsageRight,
    UsageRightRecord,
)
from ...errors import (
    CapabilityMissing,
    NotFound,
    PermissionDenied,
    PluginContractError,
    Problem,
    StateError,
    ValidationError,
)
from .._machine import load_deal
from ._drafting import in_force

if TYPE_CHECKING:
    from ..._change import Change, View
    from ...host import PlatformClient

__all__ = ["UsageRightService"]

_KIND = "usage_right"
#: Who unbinds the rights the contract no longer allows, when the embedding app runs ``enforce``.
ENFORCER = Actor.system("usage_rights")


class UsageRightService(Service):
    """Paid-usage authorisations of the deals' posts (``kit.usage_rights``)."""

    def authorize(
        self,
        actor: Actor,
        deal_id: str,
        authorization_code: str,
        *,
        post_id: str | None = None,
        connection_id: str | None = None,
    ) -> UsageRightRecord:
        """Bind the creator's code for a post of the deal to the brand's ad account; brand only.

        Refused with ``StateError`` unless the deal's executed contract allows paid ads, and with
        ``ValidationError`` when the platform's right is for another post than ``post_id``. The record's
        ``allowed_until`` is the right's start plus the contract's ``usage_rights.duration_days``.
        """
        if not isinstance(authorization_code, str) or not authorization_code.strip():
            raise ValidationError([Problem("authorization_code", "must be the code the creator made")], "usage right")
        deal, contract = self._read(actor, lambda view: self._allowed(view, actor, deal_id), "authorize_usage")
        known = self._read(actor, lambda view: _recorded(view, deal.id, authorization_code))
        if known is not None:
            return known
        client = self._client(deal.platform)
        days = contract.clauses.usage_rights.duration_days
        request = UsageAuthorizationRequest(
            deal_id=deal.id,
            authorization_code=authorization_code,
            connection_id=connection_id,
            post_id=post_id,
            allowed_days=days or None,
        )
        context = self._kit.connections.for_workspace(deal.brand_id, deal.platform, connection_id=connection_id)
        right = client.authorize_usage(request, context=context)
        _check_right(deal.platform, "creatorkit_authorize_usage", right, None)
        if post_id is not None and right.post_id != post_id:
            # Bound, but for another post than the brand meant: unbind it again rather than leave it running.
            client.revoke_usage_right(right.platform_ref, context=context)
            problem = Problem("post_id", f"the code is for post {right.post_id}, not {post_id}; it was unbound")
            raise ValidationError([problem], "usage right")
        now = self._now()
        start = right.starts_at or now
        record = UsageRightRecord(
            id=f"{deal.id}:usage:{right.platform_ref}",
            deal_id=deal.id,
            contract_id=contract.id,
            brand_id=deal.brand_id,
            platform=deal.platform,
            right=right,
            allowed_until=None if days is None else start + timedelta(days=days),
            recorded_at=now,
            updated_at=now,
        )
        return self._write(actor, "authorize_usage", lambda change: _store(change, record))

    def list(self, actor: Actor, *, deal_id: str | None = None) -> list[UsageRightRecord]:
        """The usage rights of one deal, or of every deal the actor may see."""

        def work(view: View) -> list[UsageRightRecord]:
            if deal_id is not None:
                load_deal(view, actor, deal_id)
                return [view.entity(r, UsageRightRecord) for r in view.records(_KIND, parent=deal_id)]
            found = []
            for record in view.records(_KIND):
                right = view.entity(record, UsageRightRecord)
                try:
                    load_deal(view, actor, right.deal_id)
                except NotFound:
                    continue
                found.append(right)
            return found

        return self._read(actor, work)

    def due(self, actor: Actor, *, now: datetime | None = None) -> Sequence[UsageRightRecord]:
        """The rights the platform still honours (as last read) although the contract's allowance has ended."""
        at = now or self._now()
        return [record for record in self.list(actor) if record.beyond_contract(at)]

    def refresh(self, actor: Actor, record_id: str) -> UsageRightRecord:
        """Read the right back from the platform and record how it stands (expired, revoked by the creator)."""
        return self._at_platform(actor, record_id, "refresh", lambda client: client.get_usage_right)

    def revoke(self, actor: Actor, record_id: str) -> UsageRightRecord:
        """Unbind the right at the platform, so the post no longer runs as an ad; the brand or the system."""
        return self._at_platform(actor, record_id, "revoke", lambda client: client.revoke_usage_right)

    def enforce(self, actor: Actor = ENFORCER) -> Sequence[UsageRightRecord]:
        """Revoke every right the contract no longer allows; what was revoked. Run it as often as deadlines are."""
        return [self.revoke(actor, record.id) for record in self.due(actor)]

    # -- steps --------------------------------------------------------------------------------------------------

    def _allowed(self, view: View, actor: Actor, deal_id: str) -> tuple[Deal, Contract]:
        deal, _ = load_deal(view, actor, deal_id)
        if actor.kind is not PartyKind.BRAND or actor.id != deal.brand_id:
            raise PermissionDenied(str(actor), "authorize_usage", "only the deal's brand binds usage rights")
        contract = in_force(view, deal)
        if contract is None:
            raise StateError(f"deal {deal.id}", str(deal.state), "authorize_usage", [], "no contract is executed")
        if not contract.clauses.usage_rights.paid_ads:
            raise StateError(
                f"contract {contract.id}",
                str(contract.status),
                "authorize_usage",
                [],
                "clauses.usage_rights.paid_ads is false: the contract grants no paid-ads use; amend it first",
            )
        return deal, contract

    def _client(self, platform: str) -> PlatformClient:
        client = self._kit.plugins.platform(platform)
        if not client.supports(Capability.USAGE_RIGHTS):
            missing = client.metadata.missing.get(Capability.USAGE_RIGHTS)
            raise CapabilityMissing(platform, Capability.USAGE_RIGHTS, missing)
        return client

    def _at_platform(
        self,
        actor: Actor,
        record_id: str,
        verb: str,
        hook: Callable[[PlatformClient], Callable[..., UsageRight]],
    ) -> UsageRightRecord:
        """Read or revoke the right at the platform (``verb``), then record its answer."""
        action = f"{verb}_usage_right"

        def look(view: View) -> UsageRightRecord:
            found = view.get(_KIND, record_id)
            if found is None:
                raise NotFound("usage right", record_id)
            record = view.entity(found, UsageRightRecord)
            deal, _ = load_deal(view, actor, record.deal_id)
            if actor.kind is not PartyKind.SYSTEM and actor.id != deal.brand_id:
                raise PermissionDenied(str(actor), action, "only the deal's brand manages its usage rights")
            return record

        record = self._read(actor, look, action)
        context = self._kit.connections.for_workspace(record.brand_id, record.platform)
        right = hook(self._client(record.platform))(record.right.platform_ref, context=context)
        hook_name = "creatorkit_get_usage_right" if verb == "refresh" else "creatorkit_revoke_usage_right"
        _check_right(record.platform, hook_name, right, record.right.post_id)
        if right.platform_ref != record.right.platform_ref:
            raise PluginContractError(record.platform, hook_name, f"answered right {right.platform_ref!r}")
        return self._write(actor, action, lambda change: _update(change, record, right, f"usage_right.{verb}"))


def _recorded(view: View, deal_id: str, platform_ref: str) -> UsageRightRecord | None:
    found = view.get(_KIND, f"{deal_id}:usage:{platform_ref}")
    return None if found is None else view.entity(found, UsageRightRecord)


def _check_right(platform: str, hook: str, right: UsageRight, post_id: str | None) -> None:
    if right.platform != platform:
        raise PluginContractError(platform, hook, f"answered a right of platform {right.platform!r}")
    if post_id is not None and right.post_id != post_id:
        problem = Problem("post_id", f"the code is for post {right.post_id}, not {post_id}")
        raise ValidationError([problem], "usage right")


def _store(change: Change, record: UsageRightRecord) -> UsageRightRecord:
    existing = change.get(_KIND, record.id)
    if existing is not None:  # another call recorded the same code meanwhile
        return change.entity(existing, UsageRightRecord)
    change.record(
        _KIND,
        record,
        "usage_right.authorize",
        workspace=record.brand_id,
        parent=record.deal_id,
        state=str(record.right.status),
    )
    return record


def _update(change: Change, record: UsageRightRecord, right: UsageRight, event: str) -> UsageRightRecord:
    stored = change.require(_KIND, record.id)
    current = change.entity(stored, UsageRightRecord)
    updated = attrs.evolve(current, right=right, updated_at=change.now)
    change.replace(_KIND, updated, expected_version=stored.version, state=str(right.status))
    payload = {"status": str(right.status), "raw_status": right.raw_status, "was": str(current.right.status)}
    change.audit(event, _KIND, record.id, payload, workspace=record.brand_id)
    return updated
