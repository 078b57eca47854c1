"""A workspace's connections: the platform accounts a brand or an agency authorised (``kit.connections``).

A connection is its workspace's: the brand itself, or the agency and its talent managers, start, finish, list and
disconnect it (the system may too, for an embedding app's onboarding). ``context(...)`` builds the
:class:`~creatorkit.host.CallContext` of a call as the workspace: its active connection on the platform, with a
token source that renews the token before it expires, or after the platform refused it, once for every caller.
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
    Connection,
    IssuedTokens,
    PartyKind,
    PendingAuthorization,
    new_id,
)
from ..errors import NotFound, PermissionDenied, Problem, ValidationError
from ._authorizations import Authorizations, AuthorizationStart, Revoked, require_workspace, workspace_of
from ._tokens import instant_after, not_usable

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["ConnectionService"]


class ConnectionService(Authorizations):
    """A workspace's authorised platform accounts (``kit.connections``)."""

    kind = AuthorizationKind.CONNECTION
    entity = Connection

    def start(
        self,
        actor: Actor,
        *,
        platform: str,
        workspace_id: str | None = None,
        redirect_uri: str | None = None,
        scopes: Iterable[str] = (),
    ) -> AuthorizationStart:
        """Start connecting a platform account for ``workspace_id`` (default: the actor's own workspace).

        Returns where to send the account's owner; the platform sends them back to ``redirect_uri`` (default: the
        plugin's configured one), and :meth:`finish` takes it from there.
        """
        workspace = self._read(
            actor,
            lambda view: self._chosen_workspace(view, actor, workspace_id, "start_connection"),
            "start_connection",
        )
        return self._start(
            actor, platform=platform, workspace_id=workspace, creator_id=None, redirect_uri=redirect_uri, scopes=scopes
        )

    def finish(
        self, actor: Actor, *, redirect_url: str | None = None, state: str | None = None, code: str | None = None
    ) -> Connection:
        """Finish a flow from the redirect the platform sent (or its ``code`` and ``state``): the connection.

        Connecting an account the workspace has connected before (and not revoked) renews that connection.
        """
        connection: Connection = self._finish(actor, redirect_url, state, code)
        return connection

    def list(
        self,
        actor: Actor,
        *,
        workspace_id: str | None = None,
        platform: str | None = None,
        include_ended: bool = True,
    ) -> list[Connection]:
        """The workspace's connections, oldest first; ``include_ended=False`` keeps only the active ones."""

        def work(view: View) -> list[Connection]:
            workspace = self._chosen_workspace(view, actor, workspace_id, "list_connections", allow_all=True)
            found = (
                view.find("connection", Connection, workspace=workspace)
                if workspace
                else view.find("connection", Connection)
            )
            return [
                c
                for c in found
                if (platform is None or c.platform == platform)
                and (include_ended or c.status is AuthorizationStatus.ACTIVE)
            ]

        return self._read(actor, work, "list_connections")

    def get(self, actor: Actor, connection_id: str) -> Connection:
        return self._read(actor, lambda view: self._visible(view, actor, connection_id), "read_connection")

    def reseal_tokens(self, actor: Actor) -> int:
        """Seal again with the current token key every token (connections', grants', pending flows' verifiers)
        that an older key sealed, so that the key can leave ``CREATORKIT_TOKEN_OLD_KEYS``. The system does it.

        Renewals reseal as they go; a token that never expires (an advertiser token) is renewed never, so a key
        rotation ends with this. Returns how many were sealed again.
        """

        def work(change: Change) -> int:
            if actor.kind is not PartyKind.SYSTEM:
                raise PermissionDenied(str(actor), "reseal_tokens", "only the system reseals the store's tokens")
            count = self._refresher.vault.reseal(change)
            change.audit("tokens.reseal", "sealed_token", "-", {"resealed": count})
            return count

        return self._write(actor, "reseal_tokens", work)

    def disconnect(self, actor: Actor, connection_id: str) -> Revoked:
        """Revoke the connection's tokens at the platform where it can, and mark it revoked (its tokens erased).

        A platform that cannot be reached (``Transient``) changes nothing: try again. One that no longer honours
        the tokens, or has no revoke call, still leaves the connection revoked here, and says so.
        """
        return self._revoke(actor, connection_id, "disconnect")

    def context(
        self,
        actor: Actor,
        *,
        platform: str,
        workspace_id: str | None = None,
        connection_id: str | None = None,
        deadline: datetime | None = None,
    ) -> CallContext:
        """The call context for calls to ``platform`` as the workspace: its active connection and token source.

        With several active connections on the platform (two advertiser accounts), name one. A workspace whose
        connection ended gets ``AuthExpired`` naming it and saying what to do; one that never connected,
        ``NotFound``.
        """

        def work(view: View) -> Connection:
            workspace = self._chosen_workspace(view, actor, workspace_id, "use_connection")
            if connection_id is not None:
                self._visible(view, actor, connection_id)
            chosen = _choose(view, workspace, platform, connection_id)
            if chosen is None:
                raise NotFound("connection", f"{platform} for {workspace}")
            return chosen

        connection = self._read(actor, work, "use_connection")
        return self._context_of(connection, deadline)

    def for_workspace(
        self,
        workspace_id: str,
        platform: str,
        *,
        connection_id: str | None = None,
        deadline: datetime | None = None,
    ) -> CallContext:
        """The context of a call a service makes for the workspace, once it has checked the actor may make it.

        The workspace's connection on ``platform`` goes with it when it has one (or the named one); with none,
        the call goes without, and a plugin that needs one raises ``AuthExpired`` saying to connect. A connection
        that ended, or several active ones and none named, are refused here, before the platform is called.
        """
        chosen = self._read(
            Actor.system("connections"), lambda view: _choose(view, workspace_id, platform, connection_id), "use"
        )
        if chosen is None:
            return CallContext(workspace_id=workspace_id, deadline=deadline, clock=self._kit.clock)
        return self._context_of(chosen, deadline)

    def _context_of(self, connection: Connection, deadline: datetime | None) -> CallContext:
        return CallContext(
            workspace_id=connection.workspace_id,
            connection=connection,
            tokens=self._source(connection),
            deadline=deadline,
            clock=self._kit.clock,
        )

    # -- rules -----------------------------------------------------------------------------------------------

    def _chosen_workspace(
        self, view: View, actor: Actor, workspace_id: str | None, action: str, *, allow_all: bool = False
    ) -> Any:
        """The workspace the actor works with: its own (a party may name only that one); any, for the system."""
        if actor.kind is PartyKind.SYSTEM:
            if workspace_id is None and not allow_all:
                raise ValidationError([Problem("workspace_id", "the system names the workspace")], "connection")
            if workspace_id is not None:
                require_workspace(view, workspace_id, "connection")
            return workspace_id
        own = workspace_of(view, actor)
        if own is None:
            raise PermissionDenied(str(actor), action, "connections belong to brands and agencies; creators grant")
        if workspace_id is not None and workspace_id != own:
            raise PermissionDenied(str(actor), action, f"works for workspace {own}, not {workspace_id}")
        return own

    def _may_start(self, view: View, actor: Actor, workspace_id: str, creator_id: str | None) -> None:
        self._chosen_workspace(view, actor, workspace_id, "start_connection")

    def _visible(self, view: View, actor: Actor, connection_id: str) -> Connection:
        record = view.get("connection", connection_id)
        if record is None:
            raise NotFound("connection", connection_id)
        connection = view.entity(record, Connection)
        if actor.kind is not PartyKind.SYSTEM and workspace_of(view, actor) != connection.workspace_id:
            raise NotFound("connection", connection_id)
        return connection

    def _may_end(self, view: View, actor: Actor, id: str, action: str) -> Connection:
        return self._visible(view, actor, id)

    def _store_authorization(self, change: Change, pending: PendingAuthorization, issued: IssuedTokens) -> Connection:
        now = change.now
        known = [
            c
            for c in change.find("connection", Connection, workspace=pending.workspace_id)
            if c.platform == pending.platform
            and c.account_id == issued.account_id
            and c.status is not AuthorizationStatus.REVOKED
        ]
        facts: dict[str, Any] = {
            "scopes": issued.scopes if issued.scopes is not None else (),
            "status": AuthorizationStatus.ACTIVE,
            "expires_at": instant_after(now, issued.expires_in),
            "refresh_expires_at": instant_after(now, issued.refresh_expires_in),
            "connected_at": now,
            "refreshed_at": None,
        }
        if known:
            before = known[-1]
            record = change.require("connection", before.id)
            connection = attrs.evolve(
                before,
                account_name=issued.account_name or before.account_name,
                details={**before.details, **issued.details},
                **facts,
            )
            change.replace("connection", connection, expected_version=record.version, state=str(connection.status))
            change.audit(
                "connection.reconnect",
                "connection",
                connection.id,
                change.document(connection),
                workspace=connection.workspace_id,
            )
        else:
            connection = Connection(
                id=new_id("conn"),
                platform=pending.platform,
                workspace_id=pending.workspace_id,
                account_id=issued.account_id or "",
                account_name=issued.account_name or "",
                details=dict(issued.details),
                **facts,
            )
            change.record(
                "connection", connection, "connection.connect", workspace=connection.workspace_id, state="active"
            )
        self._seal(change, connection, issued)
        change.event("connection.connected", "connection", connection.id, platform=connection.platform)
        return connection


def _choose(view: View, workspace: str, platform: str, connection_id: str | None) -> Connection | None:
    """The workspace's usable connection on ``platform``: the named one, or its only active one; None if it never
    connected. An ended connection is ``AuthExpired`` naming it; several active ones and none named, refused."""
    if connection_id is not None:
        record = view.get("connection", connection_id)
        named = None if record is None else view.entity(record, Connection)
        if named is None or named.platform != platform or named.workspace_id != workspace:
            raise NotFound("connection", connection_id)
        if named.status is not AuthorizationStatus.ACTIVE:
            raise not_usable(named)
        return named
    found = [c for c in view.find("connection", Connection, workspace=workspace) if c.platform == platform]
    active = [c for c in found if c.status is AuthorizationStatus.ACTIVE]
    if len(active) == 1:
        return active[0]
    if active:
        names = ", ".join(c.id for c in active)
        problem = Problem("connection_id", f"{workspace} has {len(active)} active {platform} connections ({names})")
        raise ValidationError([problem], "call context")
    if found:
        raise not_usable(found[-1])
    return None
