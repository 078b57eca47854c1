"""Connections and grants: the platform accounts a workspace authorised, and the creators' own authorisations.

Both follow OAuth's authorization-code flow through the platform plugin's ``authorization`` hooks:

1. ``start`` asks the plugin for the authorize URL, with a fresh ``state`` and PKCE verifier, and keeps a
   :class:`~creatorkit.entities.PendingAuthorization` (the state only as its hash, the verifier sealed);
2. the owner authorises on the platform, which sends them back to the redirect URI with a code;
3. ``finish`` takes that redirect (or the code and state), checks the state against the pending flow, has the
   plugin exchange the code, and stores the connection or grant with its tokens sealed (see ``_tokens``).

Who may do what. A connection is its workspace's: the brand itself, or the agency and its talent managers,
start, finish, list and disconnect it (the system may too, for an embedding app's onboarding). A grant is the
creator's: the creator grants it to a workspace, or a talent manager starts it for a creator on their roster
with ``view_stats`` (the creator still authorises on the platform, so no manager ever holds a password); the
workspace it was granted to reads and uses it; only the creator revokes it. Refusals are recorded like every
other.

Calls. ``kit.connections.context(...)`` and ``kit.grants.context(...)`` build the
:class:`~creatorkit.host.CallContext` a stage call takes: the active connection or the grant, with a token
source that renews its token before expiry, or after the platform refused it, once for every caller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import attrs

from .._call_context import CallContext
from .._service import Service
from ..entities import (
    Actor,
    AuthorizationKind,
    AuthorizationRequest,
    AuthorizationStatus,
    Capability,
    Connection,
    Grant,
    IssuedTokens,
    PartyKind,
    PendingAuthorization,
    Revocation,
    Scope,
    new_id,
)
from ..errors import (
    AuthExpired,
    CapabilityMissing,
    NotFound,
    PermissionDenied,
    PlatformError,
    PluginContractError,
    PluginError,
    Problem,
    StateError,
    ValidationError,
)
from ..tokens import TokenPair, new_code_verifier, new_state
from ._access import acts_for_creator, agency_of
from ._tokens import StoredTokenSource, TokenRefresher, instant_after, not_usable

if TYPE_CHECKING:
    from .._change import Change, View
    from ..host import PlatformClient

__all__ = ["AuthorizationStart", "ConnectionService", "GrantService", "Revoked"]

#: The store kind of pending authorisation flows.
PENDING_KIND = "authorization_request"
#: How long a started flow takes the platform's code: the owner authorises in a browser, within minutes.
AUTHORIZATION_WINDOW = timedelta(hours=1)


@attrs.frozen(kw_only=True)
class AuthorizationStart:
    """A started flow: send the owner to ``url``; the platform sends them back with a code and ``state``."""

    platform: str
    kind: AuthorizationKind
    url: str
    #: Carried by the redirect; ``finish`` finds the flow by it. Kept out of reprs and logs.
    state: str = attrs.field(repr=False)
    #: After this the flow no longer takes the code.
    expires_at: datetime
    request_id: str


@attrs.frozen(kw_only=True)
class Revoked:
    """A connection disconnected or a grant revoked: the record as it now stands, and what the platform did."""

    authorization: Connection | Grant
    #: Whether the platform confirmed it no longer honours the tokens (some platforms have no revoke call).
    at_platform: bool
    detail: str = ""


def pending_id(state: str) -> str:
    """The id of the flow whose state is ``state``: only this hash of it is stored."""
    return "authreq_" + hashlib.sha256(b"creatorkit/authorization-state\x1f" + state.encode()).hexdigest()[:32]


def _workspace_of(view: View, actor: Actor) -> str | None:
    """The workspace a party works in: a brand's or agency's own, a manager's agency's; none for others."""
    if actor.kind in (PartyKind.BRAND, PartyKind.AGENCY):
        return actor.id
    if actor.kind is PartyKind.TALENT_MANAGER:
        return agency_of(view, actor.id)
    return None


def _require_workspace(view: View, workspace_id: str, what: str) -> None:
    if view.get("brand", workspace_id) is None and view.get("agency", workspace_id) is None:
        raise ValidationError([Problem("workspace_id", f"{workspace_id!r} is no registered brand or agency")], what)


def _scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(scopes)
    bad = [scope for scope in chosen if not isinstance(scope, str) or not scope]
    if bad:
        raise ValidationError([Problem("scopes", "each scope is a non-empty string")], "authorization request")
    return chosen


def _code_and_state(redirect_url: str | None, state: str | None, code: str | None) -> tuple[str, str, str | None]:
    """(code, state, the platform's refusal) from the redirect URL, or from the code and state given."""
    if redirect_url is not None:
        query = {name: values[0] for name, values in parse_qs(urlsplit(redirect_url).query).items()}
        found_state = query.get("state") or state
        if not found_state:
            raise ValidationError([Problem("redirect_url", "carries no state")], "authorization redirect")
        if "error" in query:
            refusal = query["error"] + (f": {query['error_description']}" if query.get("error_description") else "")
            return "", found_state, refusal
        # OAuth names it code; TikTok's advertiser authorisation, auth_code.
        found_code = query.get("code") or query.get("auth_code")
        if not found_code:
            raise ValidationError([Problem("redirect_url", "carries no code")], "authorization redirect")
        return found_code, found_state, None
    missing = [
        Problem(name, "is required without redirect_url") for name, v in (("code", code), ("state", state)) if not v
    ]
    if missing:
        raise ValidationError(missing, "authorization redirect")
    assert code is not None and state is not None
    return code, state, None


class _Authorizations(Service):
    """What connections and grants share: the flow, the sealed tokens, revoking and the call context."""

    kind: ClassVar[AuthorizationKind]
    entity: ClassVar[type[Connection] | type[Grant]]

    @property
    def _refresher(self) -> TokenRefresher:
        refresher = self.__dict__.get("_token_refresher")
        if refresher is None:
            refresher = self.__dict__["_token_refresher"] = TokenRefresher(self._kit)
        return refresher

    def _client(self, platform: str) -> PlatformClient:
        client: PlatformClient = self._kit.plugins.platform(platform)
        if not client.supports(Capability.AUTHORIZATION):
            alternative = client.metadata.missing.get(Capability.AUTHORIZATION)
            raise CapabilityMissing(platform, Capability.AUTHORIZATION, alternative)
        return client

    def _may_start(self, view: View, actor: Actor, workspace_id: str, creator_id: str | None) -> None:
        raise NotImplementedError

    # -- the flow ----------------------------------------------------------------------------------------------

    def _start(
        self,
        actor: Actor,
        *,
        platform: str,
        workspace_id: str,
        creator_id: str | None,
        redirect_uri: str | None,
        scopes: Iterable[str],
    ) -> AuthorizationStart:
        action = f"start_{self.kind}"
        client = self._client(platform)
        self._read(actor, lambda view: self._may_start(view, actor, workspace_id, creator_id), action)
        state, verifier = new_state(), new_code_verifier()
        request = AuthorizationRequest(
            platform=platform,
            kind=self.kind,
            workspace_id=workspace_id,
            creator_id=creator_id,
            redirect_uri=redirect_uri,
            scopes=_scopes(scopes),
            state=state,
        )
        context = CallContext(workspace_id=workspace_id, clock=self._kit.clock)
        answer = client.authorization_url(request=request, code_verifier=verifier, context=context)
        now = self._now()
        pending = PendingAuthorization(
            id=pending_id(state),
            platform=platform,
            kind=self.kind,
            workspace_id=workspace_id,
            creator_id=creator_id,
            redirect_uri=redirect_uri,
            scopes=request.scopes,
            uses_pkce=answer.uses_pkce,
            started_by=str(actor),
            started_at=now,
            expires_at=now + AUTHORIZATION_WINDOW,
        )

        def work(change: Change) -> None:
            self._may_start(change, actor, workspace_id, creator_id)
            change.record(
                "authorization_request", pending, f"{self.kind}.start", workspace=workspace_id, state="pending"
            )
            if answer.uses_pkce:
                secrets: dict[str, str | None] = {"code_verifier": verifier}
                self._refresher.vault.seal(change, PENDING_KIND, pending.id, secrets, workspace=workspace_id)

        self._write(actor, action, work)
        return AuthorizationStart(
            platform=platform,
            kind=self.kind,
            url=answer.url,
            state=state,
            expires_at=pending.expires_at,
            request_id=pending.id,
        )

    def _finish(self, actor: Actor, redirect_url: str | None, state: str | None, code: str | None) -> Any:
        action = f"finish_{self.kind}"
        code, state, refusal = _code_and_state(redirect_url, state, code)
        flow_id = pending_id(state)

        def look(view: View) -> tuple[PendingAuthorization, str | None]:
            pending = self._open_flow(view, actor, flow_id)
            verifier = None
            if pending.uses_pkce:
                verifier = self._refresher.vault.open(view, PENDING_KIND, flow_id).get("code_verifier")
            return pending, verifier

        pending, verifier = self._read(actor, look, action)
        if refusal is not None:
            self._write(actor, action, lambda change: self._close_flow(change, flow_id, refusal=refusal))
            raise PlatformError(pending.platform, f"the owner did not authorise: {refusal}", code=refusal.split(":")[0])
        request = AuthorizationRequest(
            platform=pending.platform,
            kind=pending.kind,
            workspace_id=pending.workspace_id,
            creator_id=pending.creator_id,
            redirect_uri=pending.redirect_uri,
            scopes=pending.scopes,
            state=state,
        )
        context = CallContext(workspace_id=pending.workspace_id, clock=self._kit.clock)
        issued = self._client(pending.platform).exchange_code(
            request=request, code=code, code_verifier=verifier, context=context
        )
        if not issued.account_id:
            problem = Problem("account_id", "an exchange must name the account it authorised")
            raise PluginContractError(pending.platform, "creatorkit_exchange_code", [problem])

        def work(change: Change) -> Any:
            pending_now = self._open_flow(change, actor, flow_id)
            authorization = self._store_authorization(change, pending_now, issued)
            self._close_flow(change, flow_id, authorization_id=authorization.id)
            return authorization

        return self._write(actor, action, work)

    def _open_flow(self, view: View, actor: Actor, flow_id: str) -> PendingAuthorization:
        """The pending flow of this kind with that id, if it still takes a code and ``actor`` may finish it."""
        record = view.get(PENDING_KIND, flow_id)
        if record is None:
            raise NotFound("authorization request", flow_id)
        pending = view.entity(record, PendingAuthorization)
        if pending.kind is not self.kind:
            raise StateError(f"authorization request {flow_id}", f"a {pending.kind} flow", f"finish a {self.kind}", [])
        self._may_start(view, actor, pending.workspace_id, pending.creator_id)
        if pending.finished_at is not None:
            raise StateError(f"authorization request {flow_id}", "finished", f"finish_{self.kind}", [], "start again")
        if self._now() >= pending.expires_at:
            detail = f"it took codes until {pending.expires_at.isoformat()}; start again"
            raise StateError(f"authorization request {flow_id}", "expired", f"finish_{self.kind}", [], detail)
        return pending

    def _close_flow(
        self, change: Change, flow_id: str, *, authorization_id: str | None = None, refusal: str | None = None
    ) -> None:
        record = change.require(PENDING_KIND, flow_id)
        pending = change.entity(record, PendingAuthorization)
        closed = attrs.evolve(pending, finished_at=change.now, authorization_id=authorization_id, refusal=refusal)
        change.replace(
            PENDING_KIND, closed, expected_version=record.version, state="refused" if refusal else "finished"
        )
        change.audit(
            f"{self.kind}.refused" if refusal else f"{self.kind}.finish",
            PENDING_KIND,
            flow_id,
            {"authorization_id": authorization_id, "refusal": refusal},
            workspace=pending.workspace_id,
        )
        self._refresher.vault.spend(change, PENDING_KIND, flow_id, workspace=pending.workspace_id)

    def _store_authorization(self, change: Change, pending: PendingAuthorization, issued: IssuedTokens) -> Any:
        raise NotImplementedError

    def _seal(self, change: Change, authorization: Connection | Grant, issued: IssuedTokens) -> None:
        pair = TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token)
        kind = str(self.kind)
        self._refresher.vault.seal_pair(change, kind, authorization.id, pair, workspace=authorization.workspace_id)

    # -- ending --------------------------------------------------------------------------------------------------

    def _revoke(self, actor: Actor, id: str, action: str) -> Revoked:
        kind = str(self.kind)

        def look(view: View) -> tuple[Connection | Grant, TokenPair | None]:
            authorization = self._may_end(view, actor, id, action)
            if authorization.status is AuthorizationStatus.REVOKED:
                raise StateError(f"{kind} {id}", "revoked", action, [], "it was revoked already")
            return authorization, self._refresher.vault.open_pair(view, kind, id)

        authorization, pair = self._read(actor, look, action)
        revocation = self._revoke_at_platform(authorization, pair)

        def work(change: Change) -> Connection | Grant:
            record = change.require(kind, id)
            now = self._may_end(change, actor, id, action)
            if now.status is AuthorizationStatus.REVOKED:
                raise StateError(f"{kind} {id}", "revoked", action, [], "it was revoked already")
            ended = attrs.evolve(now, status=AuthorizationStatus.REVOKED, revoked_at=change.now)
            change.replace(kind, ended, expected_version=record.version, state=str(AuthorizationStatus.REVOKED))
            self._refresher.vault.spend(change, kind, id, workspace=now.workspace_id)
            change.audit(
                f"{kind}.revoke",
                kind,
                id,
                {"revoked_at_platform": revocation.revoked, "detail": revocation.detail},
                workspace=now.workspace_id,
            )
            change.event(f"{kind}.revoked", kind, id, platform=now.platform)
            return ended

        ended = self._write(actor, action, work)
        return Revoked(authorization=ended, at_platform=revocation.revoked, detail=revocation.detail)

    def _revoke_at_platform(self, authorization: Connection | Grant, pair: TokenPair | None) -> Revocation:
        """What the platform did about revoking the tokens; nothing to revoke, or no plugin to ask, says so."""
        platform = authorization.platform
        if pair is None:
            return Revocation(platform=platform, revoked=False, detail="no tokens were held any more")
        try:
            client = self._client(platform)
        except PluginError as exc:
            detail = f"cannot ask the platform ({exc}); remove the app's access on {platform} itself"
            return Revocation(platform=platform, revoked=False, detail=detail)
        grant = authorization if isinstance(authorization, Grant) else None
        connection = authorization if isinstance(authorization, Connection) else None
        context = CallContext(
            workspace_id=authorization.workspace_id, connection=connection, grant=grant, clock=self._kit.clock
        )
        try:
            answer: Revocation = client.revoke_tokens(authorization=authorization, tokens=pair, context=context)
        except AuthExpired:
            return Revocation(platform=platform, revoked=True, detail="the platform no longer honoured the tokens")
        return answer

    def _may_end(self, view: View, actor: Actor, id: str, action: str) -> Connection | Grant:
        raise NotImplementedError

    def _source(self, authorization: Connection | Grant) -> StoredTokenSource:
        return StoredTokenSource(self._refresher, str(self.kind), authorization.id)


class ConnectionService(_Authorizations):
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
                chosen = self._visible(view, actor, connection_id)
                if chosen.platform != platform or chosen.workspace_id != workspace:
                    raise NotFound("connection", connection_id)
                if chosen.status is not AuthorizationStatus.ACTIVE:
                    raise not_usable(chosen)
                return chosen
            found = [c for c in view.find("connection", Connection, workspace=workspace) if c.platform == platform]
            active = [c for c in found if c.status is AuthorizationStatus.ACTIVE]
            if len(active) == 1:
                return active[0]
            if active:
                names = ", ".join(c.id for c in active)
                problem = Problem(
                    "connection_id", f"{workspace} has {len(active)} active {platform} connections ({names})"
                )
                raise ValidationError([problem], "call context")
            if found:
                raise not_usable(found[-1])
            raise NotFound("connection", f"{platform} for {workspace}")

        connection = self._read(actor, work, "use_connection")
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
                _require_workspace(view, workspace_id, "connection")
            return workspace_id
        own = _workspace_of(view, actor)
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
        if actor.kind is not PartyKind.SYSTEM and _workspace_of(view, actor) != connection.workspace_id:
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


class GrantService(_Authorizations):
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
                workspace = _workspace_of(view, actor)
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
        _require_workspace(view, workspace_id, "grant")
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
        if _workspace_of(view, actor) != grant.workspace_id:
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
