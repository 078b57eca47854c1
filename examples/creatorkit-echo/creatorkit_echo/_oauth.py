"""Echo's authorization server, in memory: what a plugin's ``authorization`` hooks talk to on a real platform.

It behaves the way the platforms' OAuth servers do, in small:

- the authorize URL carries ``state`` and a PKCE ``S256`` challenge; :func:`consent` plays the account's owner
  approving it, and answers with the redirect the platform would send (``?code=...&state=...``);
- a code is taken once, for the redirect URI and PKCE verifier it was issued for;
- tokens state their lifetime in ``expires_in`` and ``refresh_expires_in`` (the ``access_token_lifetime_s`` and
  ``refresh_token_lifetime_s`` settings), never a figure the SDK could assume;
- refresh tokens rotate: each refresh answers with a new one, and the one it replaced stops working once the new
  one has been used (a grace that lets a client which crashed before storing the new pair retry with the old);
- the owner can revoke echo's access (:meth:`EchoOAuth.revoke_account`), after which every token and refresh of
  that account is refused as revoked.

Codes and tokens are signed with a fixed sandbox key, so that another process (the CLI's next command) can still
read them; what is used, rotated or revoked is remembered only by this process's :class:`EchoOAuth`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from creatorkit import AuthExpired, InvalidRequest
from creatorkit.entities import (
    AuthorizationKind,
    AuthorizationRequest,
    AuthorizationUrl,
    Connection,
    Grant,
    IssuedTokens,
    Revocation,
)
from creatorkit.tokens import TokenPair, pkce_challenge

__all__ = ["DEFAULT_REDIRECT_URI", "EchoOAuth", "consent"]

#: Signs echo's codes and tokens. A sandbox's key, public on purpose: nothing it signs is worth anything.
_SANDBOX_KEY = b"creatorkit-echo/sandbox-authorization-server"
_AUTHORIZE = {
    AuthorizationKind.CONNECTION: "https://sandbox.echo.invalid/business/authorize",
    AuthorizationKind.GRANT: "https://sandbox.echo.invalid/v2/auth/authorize",
}
DEFAULT_REDIRECT_URI = "http://localhost:8765/echo/callback"
DEFAULT_SCOPES = {
    AuthorizationKind.CONNECTION: ("echo.discover", "echo.campaigns"),
    AuthorizationKind.GRANT: ("user.info.basic", "user.info.stats", "video.list"),
}
_ACCOUNTS = {
    AuthorizationKind.CONNECTION: ("echo-brand-0001", "Echo Brand Account"),
    AuthorizationKind.GRANT: ("echo-0003", "echo_creator_03"),
}


def _signed(prefix: str, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).rstrip(b"=").decode()
    mac = hmac.new(_SANDBOX_KEY, f"{prefix}.{body}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{prefix}.{body}.{mac}"


def _read(prefix: str, text: str) -> dict[str, Any] | None:
    """The payload of one of echo's signed values, or None when it is not one (of this kind)."""
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != prefix:
        return None
    mac = hmac.new(_SANDBOX_KEY, f"{prefix}.{parts[1]}".encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, parts[2]):
        return None
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return payload


def consent(url: str, *, account_id: str | None = None, account_name: str | None = None) -> str:
    """The redirect echo sends after its account owner approves ``url`` (an authorize URL echo built).

    What a person does in a browser on a real platform; here a function, so that tests, the CLI and the docs can
    walk the whole flow offline. ``account_id`` and ``account_name`` say whose account it is (defaults: an echo
    brand account for a connection, ``echo_creator_03`` for a grant).
    """
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    kind = next((k for k, base in _AUTHORIZE.items() if url.startswith(base)), None)
    if kind is None or "state" not in query:
        raise ValueError("not an authorize URL echo built")
    default_id, default_name = _ACCOUNTS[kind]
    code = _signed(
        "echo_code",
        {
            "kind": str(kind),
            "challenge": query.get("code_challenge"),
            "redirect_uri": query["redirect_uri"],
            "account_id": account_id or default_id,
            "account_name": account_name or default_name,
            "scopes": query.get("scope", "").split(",") if query.get("scope") else [],
        },
    )
    return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"


class EchoOAuth:
    """Echo's authorization server for one plugin instance: it issues, rotates, counts and revokes."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.access_lifetime = 7200
        self.refresh_lifetime = 180 * 86400
        self.rotate = True
        self.redirect_uri = DEFAULT_REDIRECT_URI
        #: How many refreshes echo answered: a client that refreshes once for many callers keeps this at one.
        self.refreshes = 0
        self._serial = itertools.count(1)
        self._used_codes: set[str] = set()
        self._revoked_accounts: set[str] = set()
        self._revoked_tokens: set[str] = set()
        self._retired: set[str] = set()  # refresh tokens no longer taken
        self._replaced: dict[str, str] = {}  # a refresh token -> the one it replaced
        self._lock = threading.Lock()

    # -- the authorize step ---------------------------------------------------------------------------------

    def authorization_url(self, request: AuthorizationRequest, code_verifier: str) -> AuthorizationUrl:
        scopes = request.scopes or DEFAULT_SCOPES[request.kind]
        query = {
            "client_key": "echo-sandbox-client",
            "response_type": "code",
            "scope": ",".join(scopes),
            "redirect_uri": request.redirect_uri or self.redirect_uri,
            "state": request.state,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return AuthorizationUrl(
            platform=self.platform, url=f"{_AUTHORIZE[request.kind]}?{urlencode(query)}", uses_pkce=True
        )

    def exchange(
        self, request: AuthorizationRequest, code: str, code_verifier: str | None, now: datetime
    ) -> IssuedTokens:
        payload = _read("echo_code", code)
        if payload is None:
            raise AuthExpired(self.platform, "the code is not one echo issued", code="invalid_grant")
        if payload["kind"] != request.kind:
            raise InvalidRequest(self.platform, f"the code is for a {payload['kind']}", field="code")
        if payload["redirect_uri"] != (request.redirect_uri or self.redirect_uri):
            raise InvalidRequest(self.platform, "the code was issued for another redirect_uri", field="redirect_uri")
        if payload["challenge"] and (code_verifier is None or pkce_challenge(code_verifier) != payload["challenge"]):
            raise InvalidRequest(self.platform, "the code verifier does not match the challenge", field="code_verifier")
        with self._lock:
            if code in self._used_codes:
                raise AuthExpired(self.platform, "the code was used already", code="invalid_grant")
            self._used_codes.add(code)
        account = {"account_id": payload["account_id"], "kind": payload["kind"], "scopes": payload["scopes"]}
        access, refresh = self._issue(account, now)
        grant = request.kind is AuthorizationKind.GRANT
        return IssuedTokens(
            platform=self.platform,
            access_token=access,
            refresh_token=refresh,
            expires_in=self.access_lifetime,
            refresh_expires_in=self.refresh_lifetime,
            scopes=tuple(payload["scopes"]),
            account_id=payload["account_id"],
            account_name=None if grant else payload["account_name"],
            handle=payload["account_name"] if grant else None,
            details={"echo_open_id": f"open-{payload['account_id']}"},
        )

    # -- tokens ------------------------------------------------------------------------------------------------

    def _issue(self, account: dict[str, Any], now: datetime) -> tuple[str, str]:
        # A serial for the reader, a nonce so that no two tokens are alike (another process counts from 1 too).
        serial, nonce = next(self._serial), secrets.token_hex(8)
        expires = int((now + timedelta(seconds=self.access_lifetime)).timestamp())
        refresh_expires = int((now + timedelta(seconds=self.refresh_lifetime)).timestamp())
        access = _signed("echo_at", {**account, "serial": serial, "nonce": nonce, "expires": expires})
        refresh = _signed("echo_rt", {**account, "serial": serial, "nonce": nonce, "expires": refresh_expires})
        return access, refresh

    def check(self, access_token: str, now: datetime) -> None:
        """Refuse ``access_token`` as echo's API would: not echo's, expired, or revoked."""
        payload = _read("echo_at", access_token)
        if payload is None:
            raise AuthExpired(self.platform, "the access token is not valid", code="invalid_token")
        if payload["account_id"] in self._revoked_accounts or access_token in self._revoked_tokens:
            raise AuthExpired(self.platform, "the owner revoked echo's access", code="revoked", revoked=True)
        if now.timestamp() >= payload["expires"]:
            raise AuthExpired(self.platform, "the access token expired", code="access_token_expired")

    def refresh(self, authorization: Connection | Grant, tokens: TokenPair, now: datetime) -> IssuedTokens:
        if authorization.account_id in self._revoked_accounts:
            raise AuthExpired(self.platform, "the owner revoked echo's access", code="revoked", revoked=True)
        text = tokens.refresh_token.reveal() if tokens.refresh_token is not None else ""
        payload = _read("echo_rt", text)
        if payload is None:
            raise AuthExpired(self.platform, "no valid refresh token", code="invalid_grant")
        if now.timestamp() >= payload["expires"]:
            raise AuthExpired(self.platform, "the refresh token expired", code="refresh_token_expired")
        with self._lock:
            if text in self._retired or text in self._revoked_tokens:
                raise AuthExpired(self.platform, "the refresh token was replaced", code="invalid_grant")
            self.refreshes += 1
            account = {key: payload[key] for key in ("account_id", "kind", "scopes")}
            access, refresh = self._issue(account, now)
            previous = self._replaced.pop(text, None)
            if previous is not None:
                self._retired.add(previous)  # its successor is in use: the grace is over
            if self.rotate:
                self._replaced[refresh] = text
        return IssuedTokens(
            platform=self.platform,
            access_token=access,
            refresh_token=refresh if self.rotate else None,
            expires_in=self.access_lifetime,
            refresh_expires_in=self.refresh_lifetime if self.rotate else None,
            scopes=tuple(payload["scopes"]),
        )

    def revoke(self, tokens: TokenPair) -> Revocation:
        payload = _read("echo_at", tokens.access_token.reveal())
        if payload is None:
            raise AuthExpired(self.platform, "the access token is not valid", code="invalid_token")
        with self._lock:
            self._revoked_tokens.add(tokens.access_token.reveal())
            if tokens.refresh_token is not None:
                self._revoked_tokens.add(tokens.refresh_token.reveal())
        return Revocation(platform=self.platform, revoked=True, detail="echo no longer honours these tokens")

    def revoke_account(self, account_id: str) -> None:
        """The owner removes echo's access on the platform itself: every token of the account stops working."""
        self._revoked_accounts.add(account_id)
