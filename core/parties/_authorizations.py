"""What connections and grants share: OAuth's authorization-code flow, revoking, and the token source of a call.

Both follow OAuth's authorization-code flow through the platform plugin's ``authorization`` hooks:

1. ``start`` asks the plugin for the authorize URL, with a fresh ``state`` and PKCE verifier, and keeps a
   :class:`~creatorkit.entities.PendingAuthorization` (the state only as its hash, the verifier sealed);
2. the owner authorises on the platform, which sends them back to the redirect URI with a code;
3. ``finish`` takes that redirect (or the code and state), checks the state against the pending flow, has the
   plugin exchange the code, and stores the connection or grant with its tokens sealed (see ``_tokens``).

Who may do what is each kind's own (``_connections``, ``_grants``); refusals are recorded like every other.
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
)
from ..errors import (
    AuthExpired,
    CapabilityMissing,
    NotFound,
    PlatformError,
    PluginContractError,
    PluginError,
    Problem,
    StateError,
    ValidationError,
)
from ..tokens import TokenPair, new_code_verifier, new_state
from ._access import agency_of
from ._tokens import StoredTokenSource, TokenRefresher, keeping_secret

if TYPE_CHECKING:
    from .._change import Change, View
    from ..host import PlatformClient

__all__ = ["PENDING_KIND", "AuthorizationStart", "Authorizations", "Revoked", "pending_id", "workspace_of"]

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
    #: Carried by the URL and back by the redirect; ``finish`` finds the flow by it. Left out of the repr.
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


def workspace_of(view: View, actor: Actor) -> str | None:
    """The workspace a party works in: a brand's or agency's own, a manager's agency's; none for others."""
    if actor.kind in (PartyKind.BRAND, PartyKind.AGENCY):
        return actor.id
    if actor.kind is PartyKind.TALENT_MANAGER:
        return agency_of(view, actor.id)
    return None


def require_workspace(view: View, workspace_id: str, what: str) -> None:
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


class Authorizations(Service):
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
        with keeping_secret(verifier):
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
        with keeping_secret(code, verifier):
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
            with keeping_secret(pair.access_token, pair.refresh_token):
                answer: Revocation = client.revoke_tokens(authorization=authorization, tokens=pair, context=context)
        except AuthExpired:
            return Revocation(platform=platform, revoked=True, detail="the platform no longer honoured the tokens")
        return answer

    def _may_end(self, view: View, actor: Actor, id: str, action: str) -> Connection | Grant:
        raise NotImplementedError

    def _source(self, authorization: Connection | Grant) -> StoredTokenSource:
        return StoredTokenSource(self._refresher, str(self.kind), authorization.id)
