"""Authorization: the brand's advertiser connection and the creator's Login Kit grant.

Two flows, two authorisation servers:

- a **connection** (a brand's TikTok for Business account): the owner approves the app at
  ``business-api.tiktok.com/portal/auth``; the redirect's ``auth_code`` (valid an hour, used once) is exchanged at
  ``oauth2/access_token/`` for a long-term token that states no expiry and has no refresh token — it lasts until
  the owner or the app revokes it (``oauth2/revoke_token/``). The exchange then asks ``tto/oauth2/tcm/`` which
  TikTok One Creator Marketplace accounts the token reaches, and keeps them and the ad accounts in the
  connection's details (``advertiser_ids``, ``tto_tcm_account_ids``, comma-separated). Which permissions the token
  carries is set in the app's portal, not asked for in the URL: a connection's requested scopes are not sent.
- a **grant** (a creator's own TikTok account, Login Kit): the creator approves at
  ``www.tiktok.com/v2/auth/authorize/`` with a PKCE ``S256`` challenge; the code is exchanged at
  ``open.tiktokapis.com/v2/oauth/token/`` (form-encoded) for an access token and a refresh token whose lifetimes
  the answer states; a refresh rotates the refresh token (the old one stops working), and
  ``v2/oauth/revoke/`` disconnects the app from the creator's account. The workspace never holds the creator's
  credentials: only this revocable, scoped token.

Login Kit's token endpoints answer errors as ``{"error", "error_description", "log_id"}`` rather than the Display
API's envelope, so they have their own :data:`OAUTH` envelope and :data:`OAUTH_ERRORS` table here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from creatorkit import AuthExpired, CallContext, InvalidRequest, NotFound, hookimpl
from creatorkit import toolkit as tk
from creatorkit.entities import (
    AuthorizationKind,
    AuthorizationRequest,
    AuthorizationUrl,
    Capability,
    Connection,
    Grant,
    IssuedTokens,
    Revocation,
)
from creatorkit.errors import PlatformError, PlatformPermissionDenied, Transient
from creatorkit.tokens import TokenPair, pkce_challenge

from . import _api as api
from ._base import TikTokBase

__all__ = ["CREATOR_SCOPES", "OAUTH", "OAUTH_ERRORS", "SANDBOX_REDIRECT_URI", "AuthorizationHooks"]

#: What a grant asks for unless told otherwise: the creator's profile, their counts, and their videos. Without
#: ``user.info.profile`` the Display API answers no username (the handle) and no verified badge.
CREATOR_SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
#: Where the sandbox sends the owner back when neither the request nor the settings name a redirect URI.
SANDBOX_REDIRECT_URI = "http://localhost:8765/tiktok/callback"
#: Login Kit's token endpoints: ``error`` is absent on success.
OAUTH = tk.Envelope(
    code="error", message="error_description", request_id="log_id", success_codes=(), code_required=False
)
#: Login Kit's OAuth errors (developers.tiktok.com, "OAuth error handling"), then plain HTTP.
OAUTH_ERRORS = (
    tk.ErrorTable(
        (
            # The code or refresh token is invalid, expired, used, rotated away, or revoked: authorise again.
            tk.ErrorRule(AuthExpired, codes=("invalid_grant",)),
            tk.ErrorRule(AuthExpired, codes=("access_denied",), revoked=True),
            # The app's own credentials or permissions: no authorisation by the creator mends these.
            tk.ErrorRule(PlatformPermissionDenied, codes=("invalid_client", "unauthorized_client")),
            tk.ErrorRule(
                InvalidRequest,
                codes=("invalid_request", "invalid_scope", "unsupported_grant_type", "unsupported_response_type"),
            ),
            tk.ErrorRule(Transient, codes=("server_error", "temporarily_unavailable")),
        )
    )
    + tk.HTTP_STATUS_ERRORS
)
_RECONNECT = "connect the brand's TikTok for Business account again: `creatorkit connect tiktok`"
_REGRANT = "ask the creator to grant access again: `creatorkit grant tiktok`"


class AuthorizationHooks(TikTokBase):
    """The ``authorization`` capability: both flows (see the module's docstring)."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({Capability.AUTHORIZATION})
    MISSING: ClassVar[dict[str, str]] = {}

    # -- the authorize step ---------------------------------------------------------------------------------------

    def _redirect_uri(self, request: AuthorizationRequest) -> str:
        redirect = request.redirect_uri or self.redirect_uri
        if redirect:
            return str(redirect)
        if self.sandbox is not None:
            return SANDBOX_REDIRECT_URI
        raise InvalidRequest(
            self.name,
            "TikTok sends the owner back only to a redirect URI registered with the app: set redirect_uri in "
            "[platforms.tiktok] or on the request",
            field="redirect_uri",
        )

    @hookimpl
    def creatorkit_authorization_url(
        self, request: AuthorizationRequest, code_verifier: str, context: CallContext | None
    ) -> AuthorizationUrl:
        redirect = self._redirect_uri(request)
        if request.kind is AuthorizationKind.CONNECTION:
            query = {"app_id": self.app_id, "state": request.state, "redirect_uri": redirect}
            return AuthorizationUrl(platform=self.name, url=f"{api.AUTHORIZE_ADVERTISER}?{urlencode(query)}")
        query = {
            "client_key": self.app_id,
            "response_type": "code",
            "scope": ",".join(request.scopes or CREATOR_SCOPES),
            "redirect_uri": redirect,
            "state": request.state,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return AuthorizationUrl(platform=self.name, url=f"{api.AUTHORIZE_CREATOR}?{urlencode(query)}", uses_pkce=True)

    # -- the code exchange ----------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_exchange_code(
        self, request: AuthorizationRequest, code: str, code_verifier: str | None, context: CallContext | None
    ) -> IssuedTokens:
        if request.kind is AuthorizationKind.CONNECTION:
            return self._exchange_advertiser(code, context)
        form = {
            "client_key": self.app_id,
            "client_secret": self.app_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": self._redirect_uri(request),
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        answer = self._login_post("oauth/token/", form, context, hidden=(code, code_verifier or ""))
        issued = self._creator_tokens(answer)
        return self._with_handle(issued, context)

    def _exchange_advertiser(self, code: str, context: CallContext | None) -> IssuedTokens:
        data = self._app_post(
            "oauth2/access_token/", {"app_id": self.app_id, "secret": self.app_secret, "auth_code": code}, context
        )
        token = str(data.get("access_token") or "")
        advertisers = [str(advertiser) for advertiser in data.get("advertiser_ids") or ()]
        if not token or not advertisers:
            raise PlatformError(self.name, "oauth2/access_token/ answered no token or no ad account")
        client = self._business_client(tk.StaticToken(token, platform=self.name))
        accounts, name = self._tto_accounts(client, context)
        details = {"advertiser_ids": ",".join(advertisers)}
        if accounts:
            details["tto_tcm_account_ids"] = ",".join(accounts)
        return IssuedTokens(
            platform=self.name,
            access_token=token,
            expires_in=None,  # an advertiser token states no expiry: it lasts until it is revoked
            scopes=tuple(str(scope) for scope in data.get("scope") or ()),
            account_id=advertisers[0],
            account_name=name,
            details=details,
        )

    def _tto_accounts(self, client: httpx.Client, context: CallContext | None) -> tuple[list[str], str | None]:
        """The TikTok One Creator Marketplace accounts the new token reaches, and the first one's name.

        The code is spent by now: a brand without TikTok One access still gets its connection (Spark Ads work
        without it), and calls that need an account say so then.
        """
        options = tk.call_options(deadline=context.deadline if context is not None else None)
        secret = {"app_id": self.app_id, "secret": self.app_secret}
        try:
            found = client.get("tto/oauth2/tcm/", params=secret, extensions=options)
            accounts = [str(a) for a in api.BUSINESS.data_of(tk.body_of(found)).get("tto_tcm_account_ids") or ()]
            if not accounts:
                return [], None
            info = client.get("tto/oauth2/info/", params={"tto_tcm_account_id": accounts[0]}, extensions=options)
        except (PlatformPermissionDenied, NotFound):
            return [], None
        name = api.BUSINESS.data_of(tk.body_of(info)).get("account_name")
        return accounts, str(name) if name else None

    def _creator_tokens(self, answer: Mapping[str, Any]) -> IssuedTokens:
        access, open_id = answer.get("access_token"), answer.get("open_id")
        if not access or not open_id:
            raise PlatformError(self.name, "v2/oauth/token/ answered no access token or open_id")
        scope = str(answer.get("scope") or "")
        return IssuedTokens(
            platform=self.name,
            access_token=str(access),
            refresh_token=str(answer["refresh_token"]) if answer.get("refresh_token") else None,
            expires_in=api.number(answer.get("expires_in")),
            refresh_expires_in=api.number(answer.get("refresh_expires_in")),
            scopes=tuple(part for part in scope.split(",") if part),
            account_id=str(open_id),
        )

    def _with_handle(self, issued: IssuedTokens, context: CallContext | None) -> IssuedTokens:
        """``issued`` with the creator's handle, when the grant lets the Display API say it."""
        from . import _display  # the Display API reads under the grant; it needs this module's tokens only

        if "user.info.profile" not in (issued.scopes or ()):
            return issued
        tokens = tk.StaticToken(issued.access_token.reveal(), platform=self.name)
        try:
            user = _display.user_info(self, tokens, scopes=("user.info.basic", "user.info.profile"), context=context)
        except PlatformError:
            # The code is spent and the tokens are good: a grant without its handle beats no grant at all.
            return issued
        details = {"union_id": user.union_id} if user.union_id else {}
        return IssuedTokens(
            platform=issued.platform,
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            refresh_expires_in=issued.refresh_expires_in,
            scopes=issued.scopes,
            account_id=issued.account_id,
            handle=user.username,
            details=details,
        )

    # -- refresh and revoke ---------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_refresh_tokens(
        self, authorization: Connection | Grant, tokens: TokenPair, context: CallContext | None
    ) -> IssuedTokens:
        if isinstance(authorization, Connection):
            # Asked only once TikTok refused the token: an advertiser token has no expiry to renew before, and
            # no refresh token, so a refused one was revoked or its authorisation withdrawn.
            raise AuthExpired(
                self.name,
                "TikTok's advertiser tokens cannot be refreshed; TikTok refused this one, so its authorisation was "
                "withdrawn",
                connection_id=authorization.id,
                action=_RECONNECT,
                revoked=True,
            )
        if tokens.refresh_token is None:
            raise AuthExpired(self.name, "the grant has no refresh token", grant_id=authorization.id, action=_REGRANT)
        refresh = tokens.refresh_token.reveal()
        form = {
            "client_key": self.app_id,
            "client_secret": self.app_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh,
        }
        try:
            answer = self._login_post("oauth/token/", form, context, hidden=(refresh,))
        except AuthExpired as refused:
            raise self._grant_refused(authorization, refused) from refused
        issued = self._creator_tokens(answer)
        # The answer names the same open id: the grant's account stays, only its tokens and scopes change.
        return IssuedTokens(
            platform=issued.platform,
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            refresh_expires_in=issued.refresh_expires_in,
            scopes=issued.scopes,
        )

    def _grant_refused(self, grant: Grant, refused: AuthExpired) -> AuthExpired:
        said = refused.details.get("message") or "TikTok refused the refresh token"
        return AuthExpired(
            self.name,
            f"the creator's grant cannot be renewed: {said}",
            grant_id=grant.id,
            action=_REGRANT,
            revoked=refused.revoked,
            code=refused.code,
            request_id=refused.request_id,
        )

    @hookimpl
    def creatorkit_revoke_tokens(
        self, authorization: Connection | Grant, tokens: TokenPair, context: CallContext | None
    ) -> Revocation:
        token = tokens.access_token.reveal()
        if isinstance(authorization, Grant):
            form = {"client_key": self.app_id, "client_secret": self.app_secret, "token": token}
            try:
                self._login_post("oauth/revoke/", form, context, hidden=(token,), idempotent=True)
            except PlatformError as error:
                if not error.details.get("unparseable") or error.details.get("status") != 200:
                    raise
                # TikTok documents an empty body as the answer to a successful revoke.
            return Revocation(platform=self.name, revoked=True, detail="TikTok disconnected the app from the account")
        body = {"app_id": self.app_id, "secret": self.app_secret, "access_token": token}
        try:
            data = self._app_post("oauth2/revoke_token/", body, context)
        except AuthExpired as refused:
            # A token TikTok already refuses is as revoked as this call would make it.
            return Revocation(
                platform=self.name, revoked=True, detail=f"TikTok already refused the token ({refused.code})"
            )
        reached = ", ".join(str(a) for a in data.get("advertiser_ids") or ()) or "none"
        return Revocation(platform=self.name, revoked=True, detail=f"the token no longer reaches ad accounts {reached}")

    # -- Login Kit's token endpoints ------------------------------------------------------------------------------

    def _login_post(
        self,
        path: str,
        form: Mapping[str, str],
        context: CallContext | None,
        *,
        hidden: tuple[str, ...] = (),
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """POST ``form`` (form-encoded, as Login Kit takes it) to ``path``; the answer's JSON.

        A client per call: these calls are rare, and its ``secrets`` then include the call's own code, verifier or
        refresh token, which no error may show.
        """
        clock, sleep, wall = self.timing
        config = tk.ApiConfig(
            platform=self.name, base_url=api.DISPLAY_API, envelope=OAUTH, errors=OAUTH_ERRORS, reconnect=_REGRANT
        )
        known = [value for value in (self.app_secret, *hidden) if value]
        client = tk.build_client(config, transport=self.sandbox, secrets=known, clock=clock, sleep=sleep, wall=wall)
        deadline = context.deadline if context is not None else None
        with client:
            answer = client.post(
                path, data=dict(form), extensions=tk.call_options(deadline=deadline, idempotent=idempotent)
            )
        body = tk.body_of(answer)
        return body if isinstance(body, dict) else {}
