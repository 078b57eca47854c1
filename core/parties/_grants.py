"""The creators' grants: their own authorisations for a workspace to read their accounts (``kit.grants``).

A grant is the creator's: the creator grants it to a workspace, or a talent manager starts it for a creator on
their roster with ``view_stats`` (the creator still authorises on the platform, so no manager ever holds a
password); the workspace it was granted to reads and uses it; only the creator revokes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._call_context import CallContext
from ..entities import (
    Actor,
    AuthorizationKind,
    AuthorizationStatus,
    Grant,
    IssuedTokens,
    PartyKind,
    PendingAuthorization,
    Scope,
    new_id,
)
from ..errors import NotFound, PermissionDenied, Problem, ValidationError
from ._access import acts_for_creator, agency_of
from ._authorizations import Authorizations, AuthorizationStart, Revoked, require_workspace, workspace_of
from ._tokens import instant_after, not_usable

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["GrantService"]


class GrantService(Authorizations):
    """The creators' own authorisations for a workspace to read their accounts (``kit.grants``)."""

    kind = AuthorizationKind.GRANT
    entity = Grant

    def start(
        self,
        actor: Actor,
        *,
        platform: str,
        creator_id: str,
        workspace_id: str | None = None,
        redirect_uri: str | None = None,
        scopes: Iterable[str] = (),
    ) -> AuthorizationStart:
        """Start a creator's grant to ``workspace_id``: the creator does (naming the workspace), or a talent manager
        for a creator on their roster with ``view_stats`` (for the manager's agency). The creator authorises on
        the platform; :meth:`finish` takes the redirect.
        """

        def choose(view: View) -> str:
            if actor.kind is PartyKind.TALENT_MANAGER:
                own = agency_of(view, actor.id)
                if workspace_id is not None and workspace_id != own:
                    raise PermissionDenied(str(actor), "start_grant", f"works for workspace {own}, not {workspace_id}")
                return own
            if workspace_id is None:
                raise ValidationError([Problem("workspace_id", "name the brand or agency it is granted to")], "grant")
            return workspace_id

        workspace = self._read(actor, choose, "start_grant")
        return self._start(
            actor,
            platform=platform,
            workspace_id=workspace,
            creator_id=creator_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
        )

    def finish(
        self, actor: Actor, *, redirect_url: str | None = None, state: str | None = None, code: str | None = None
    ) -> Grant:
        """Finish a grant's flow from the redirect (or its ``code`` and ``state``): the grant.

        A creator granting the same account to the same workspace again renews the grant they gave before.
        """
        grant: Grant = self._finish(actor, redirect_url, state, code)
        return grant

    def list(
        self,
        actor: Actor,
        *,
        creator_id: str | None = None,
        platform: str | None = None,
        include_ended: bool = True,
    ) -> list[Grant]:
        """The grants the actor may see: a creator's own, a workspace's (a manager's: of their roster's creators)."""

        def work(view: View) -> list[Grant]:
            if actor.kind is PartyKind.CREATOR:
                if creator_id not in (None, actor.id):
                    raise PermissionDenied(str(actor), "list_grants", "a creator sees their own grants only")
                found = view.find("grant", Grant, parent=actor.id)
            elif actor.kind is PartyKind.SYSTEM:
                found = view.find("grant", Grant, parent=creator_id) if creator_id else view.find("grant", Grant)
            else:
                workspace = workspace_of(view, actor)
                found = [g for g in view.find("grant", Grant, workspace=workspace) if self._sees(view, actor, g)]
                found = [g for g in found if creator_id in (None, g.creator_id)]
            return [
                g
                for g in found
                if (platform is None or g.platform == platform)
                and (include_ended or g.status is AuthorizationStatus.ACTIVE)
            ]

        return self._read(actor, work, "list_grants")

    def get(self, actor: Actor, grant_id: str) -> Grant:
        return self._read(actor, lambda view: self._visible(view, actor, grant_id), "read_grant")

    def revoke(self, actor: Actor, grant_id: str) -> Revoked:
        """The creator withdraws the grant: revoked at the platform where it can, marked revoked, tokens erased."""
        return self._revoke(actor, grant_id, "revoke_grant")

    def context(self, actor: Actor, grant_id: str, *, deadline: datetime | None = None) -> CallContext:
        """The call context for reading the creator's account through ``grant_id``: the grant and its token source.

        An ended grant is ``AuthExpired`` naming it: ask the creator to authorise again.
        """

        def work(view: View) -> Grant:
            grant = self._visible(view, actor, grant_id)
            if grant.status is not AuthorizationStatus.ACTIVE:
                raise not_usable(grant)
            return grant

        grant = self._read(actor, work, "use_grant")
        return CallContext(
            workspace_id=grant.workspace_id,
            grant=grant,
            tokens=self._source(grant),
            deadline=deadline,
            clock=self._kit.clock,
        )

    # -- rules -----------------------------------------------------------------------------------------------

    def _may_start(self, view: View, actor: Actor, workspace_id: str, creator_id: str | None) -> None:
        assert creator_id is not None
        view.require("creator", creator_id)
        require_workspace(view, workspace_id, "grant")
        if actor.kind is PartyKind.SYSTEM:
            return
        if actor.kind is PartyKind.CREATOR and actor.id == creator_id:
            return
        if actor.kind is PartyKind.TALENT_MANAGER and agency_of(view, actor.id) == workspace_id:
            if acts_for_creator(view, actor, creator_id, Scope.VIEW_STATS):
                return
            raise PermissionDenied(
                str(actor), "start_grant", f"needs an active roster entry with view_stats for {creator_id}"
            )
        raise PermissionDenied(str(actor), "start_grant", "only the creator, or their manager with view_stats, asks")

    def _sees(self, view: View, actor: Actor, grant: Grant) -> bool:
        if actor.kind is PartyKind.SYSTEM:
            return True
        if actor.kind is PartyKind.CREATOR:
            return actor.id == grant.creator_id
        if workspace_of(view, actor) != grant.workspace_id:
            return False
        if actor.kind is PartyKind.TALENT_MANAGER:
            return acts_for_creator(view, actor, grant.creator_id, Scope.VIEW_STATS)
        return True

    def _visible(self, view: View, actor: Actor, grant_id: str) -> Grant:
        record = view.get("grant", grant_id)
        if record is None:
            raise NotFound("grant", grant_id)
        grant = view.entity(record, Grant)
        if not self._sees(view, actor, grant):
            raise NotFound("grant", grant_id)
        return grant

    def _may_end(self, view: View, actor: Actor, id: str, action: str) -> Grant:
        grant = self._visible(view, actor, id)
        if actor.kind not in (PartyKind.CREATOR, PartyKind.SYSTEM):
            raise PermissionDenied(str(actor), action, "only the creator revokes their grant", f"grant {id}")
        return grant

    def _store_authorization(self, change: Change, pending: PendingAuthorization, issued: IssuedTokens) -> Grant:
        now = change.now
        creator_id = pending.creator_id
        assert creator_id is not None
        known = [
            g
            for g in change.find("grant", Grant, parent=creator_id)
            if g.workspace_id == pending.workspace_id
            and g.platform == pending.platform
            and g.account_id == issued.account_id
            and g.status is not AuthorizationStatus.REVOKED
        ]
        facts: dict[str, Any] = {
            "scopes": issued.scopes if issued.scopes is not None else (),
            "status": AuthorizationStatus.ACTIVE,
            "expires_at": instant_after(now, issued.expires_in),
            "refresh_expires_at": instant_after(now, issued.refresh_expires_in),
            "granted_at": now,
            "refreshed_at": None,
        }
        if known:
            before = known[-1]
            record = change.require("grant", before.id)
            grant = attrs.evolve(
                before, handle=issued.handle or before.handle, details={**before.details, **issued.details}, **facts
            )
            change.replace("grant", grant, expected_version=record.version, state=str(grant.status))
            change.audit("grant.renew", "grant", grant.id, change.document(grant), workspace=grant.workspace_id)
        else:
            grant = Grant(
                id=new_id("grant"),
                platform=pending.platform,
                creator_id=creator_id,
                workspace_id=pending.workspace_id,
                account_id=issued.account_id or "",
                handle=issued.handle,
                details=dict(issued.details),
                **facts,
            )
            change.record(
                "grant", grant, "grant.grant", workspace=grant.workspace_id, parent=creator_id, state="active"
            )
        self._seal(change, grant, issued)
        change.event("grant.granted", "grant", grant.id, platform=grant.platform, creator_id=creator_id)
        return grant
