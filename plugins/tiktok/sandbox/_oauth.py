"""The token endpoints: the advertiser's oauth2/access_token, tto/oauth2/tcm, tto/oauth2/info and revoke_token on
the API for Business, and Login Kit's v2/oauth/token and v2/oauth/revoke; and the account owner's consent.

What a person does in a browser on TikTok (approve the app on the authorize page) is :func:`approve` here: it reads
an authorize URL the plugin built and answers with the redirect TikTok would send — ``?auth_code=&code=&state=``
for a brand's advertiser authorisation, ``?code=&scopes=&state=`` for a creator's Login Kit grant, or ``?error=``
when the owner declines. The codes are signed with a fixed sandbox key and say everything about the consent
(which app, redirect URI, PKCE challenge, scopes, whose account), so any sandbox can read them, as another process
(the CLI's next command) must; what a sandbox remembers is which codes it took (each is taken once) and when it
first saw each. A code is valid one hour on the sandbox's clock from :func:`approve` when it was given that
sandbox, else from the sandbox first seeing it.

Refusals are TikTok's own: 40101 for a code the sandbox never issued or the wrong app credentials, 40110 for a
code used already or expired; Login Kit's ``{error, error_description, log_id}`` with ``invalid_grant`` for a used,
expired or rotated code or refresh token, ``invalid_client`` for wrong credentials, ``invalid_request`` for a
verifier that does not match the challenge.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs
import httpx

from creatorkit import toolkit as tk
from creatorkit.tokens import pkce_challenge

if TYPE_CHECKING:
    from . import TikTokSandbox

__all__ = [
    "ADVERTISER_SCOPES",
    "CODE_LIFETIME",
    "CREATOR_SCOPES",
    "LoginServer",
    "account_of",
    "approve",
    "grant_token",
    "install",
    "open_id_of",
    "server_of",
]

#: How long an authorization code is taken (TikTok: an advertiser's auth_code is valid one hour, used once).
CODE_LIFETIME = 3600
#: The numeric permission scopes TikTok answers an advertiser authorisation with (the app's, set in its portal).
ADVERTISER_SCOPES = (4, 5, 6, 7, 12, 13, 16, 40, 41)
#: Every Login Kit scope the sandbox's creators grant when asked.
CREATOR_SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
#: The ad accounts a sandbox brand's authorisation reaches: the sandbox brand's first.
_SECOND_ADVERTISER = "7100000000000000002"
_KEY = b"creatorkit-tiktok/sandbox-consent"  # public on purpose: nothing it signs is worth anything
_ADVERTISER_AUTHORIZE = "https://business-api.tiktok.com/portal/auth"
_CREATOR_AUTHORIZE = "https://www.tiktok.com/v2/auth/authorize/"


def open_id_of(account_id: str) -> str:
    """A sandbox creator's Login Kit ``open_id`` (TikTok's is opaque and scoped to the app)."""
    return f"sbx-open-{account_id}"


def account_of(subject: str | None) -> str | None:
    """The population account id behind a creator token's subject, or None for any other token."""
    if subject is None or not subject.startswith("creator:"):
        return None
    return subject.removeprefix("creator:")


# -- codes ----------------------------------------------------------------------------------------------------


def _sign(payload: Mapping[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).rstrip(b"=").decode()
    mac = hmac.new(_KEY, body.encode(), hashlib.sha256).hexdigest()[:24]
    return f"sbxcode.{body}.{mac}"


def _read(code: str) -> dict[str, Any] | None:
    """The consent a code carries, or None when it is not one the sandbox signed."""
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != "sbxcode":
        return None
    mac = hmac.new(_KEY, parts[1].encode(), hashlib.sha256).hexdigest()[:24]
    if not hmac.compare_digest(mac, parts[2]):
        return None
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return payload


def approve(
    url: str,
    *,
    sandbox: TikTokSandbox | None = None,
    handle: str | None = None,
    scopes: Iterable[str] | None = None,
    deny: bool = False,
) -> str:
    """The redirect TikTok sends once the account's owner approves (or, with ``deny``, declines) ``url``.

    ``url`` is an authorize URL the plugin built: the advertiser one (a brand's connection) or Login Kit's (a
    creator's grant). For a grant, ``handle`` says which sandbox creator approves (default: the first TikTok
    account of the population) and ``scopes`` which of the asked-for scopes they grant (default: all). With
    ``sandbox``, the code's hour starts now on that sandbox's clock.
    """
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    redirect, state = query.get("redirect_uri"), query.get("state")
    if not redirect or state is None:
        raise ValueError("not an authorize URL the TikTok plugin built: no redirect_uri or state")
    if deny:
        refusal = {"error": "access_denied", "error_description": "The user denied the request.", "state": state}
        return f"{redirect}?{urlencode(refusal)}"
    issued = sandbox.clock() if sandbox is not None else None
    nonce = secrets.token_hex(8)
    if url.startswith(_ADVERTISER_AUTHORIZE):
        payload: dict[str, Any] = {
            "kind": "advertiser",
            "app": query.get("app_id"),
            "redirect_uri": redirect,
            "issued": issued,
        }
        code = _sign({**payload, "nonce": nonce})
        return f"{redirect}?{urlencode({'auth_code': code, 'code': code, 'state': state})}"
    if url.startswith(_CREATOR_AUTHORIZE):
        asked = [scope for scope in query.get("scope", "").split(",") if scope]
        allowed = None if scopes is None else set(scopes)
        granted = [scope for scope in asked if allowed is None or scope in allowed]
        payload = {
            "kind": "creator",
            "app": query.get("client_key"),
            "redirect_uri": redirect,
            "challenge": query.get("code_challenge") if query.get("code_challenge_method") == "S256" else None,
            "scopes": granted,
            "account_id": _creator_account(sandbox, handle),
            "issued": issued,
        }
        code = _sign({**payload, "nonce": nonce})
        return f"{redirect}?{urlencode({'code': code, 'scopes': ','.join(granted), 'state': state})}"
    raise ValueError("not an authorize URL the TikTok plugin built")


def _creator_account(sandbox: TikTokSandbox | None, handle: str | None) -> str:
    # Without a sandbox, the population every sandbox of seed 0 serves (the conformance kit's).
    population = sandbox.population if sandbox is not None else tk.Population(seed=0, size=2_000)
    account = population.find("tiktok", handle) if handle else next(population.on("tiktok"), None)
    if account is None:
        raise ValueError(f"the sandbox population has no TikTok creator {handle!r}")
    return account.account_id


# -- the sandbox's memory -------------------------------------------------------------------------------------


@attrs.define
class LoginServer:
    """What one sandbox remembers of its authorisations: codes taken, and what each token subject was granted."""

    used: set[str] = attrs.field(factory=set)
    first_seen: dict[str, float] = attrs.field(factory=dict)
    #: Login Kit scopes by creator token subject (a subject not here was granted every scope).
    scopes: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: The ad accounts each advertiser token subject reaches.
    advertisers: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    serial: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def take(self, code: str, issued: float | None, now: float) -> str | None:
        """Take ``code`` once: None when it is fresh, else why not (``used`` or ``expired``)."""
        with self.lock:
            if code in self.used:
                return "used"
            start = issued if issued is not None else self.first_seen.setdefault(code, now)
            if now - start >= CODE_LIFETIME:
                return "expired"
            self.used.add(code)
            return None


_SERVERS: weakref.WeakKeyDictionary[TikTokSandbox, LoginServer] = weakref.WeakKeyDictionary()


def server_of(sandbox: TikTokSandbox) -> LoginServer:
    """The authorisations ``sandbox`` remembers."""
    server = _SERVERS.get(sandbox)
    if server is None:
        server = _SERVERS.setdefault(sandbox, LoginServer())
    return server


def grant_token(sandbox: TikTokSandbox, account_id: str, scopes: Iterable[str] = CREATOR_SCOPES) -> tk.IssuedToken:
    """Tokens for a sandbox creator's grant, as if they had approved Login Kit with ``scopes`` (for tests)."""
    subject = f"creator:{account_id}"
    server_of(sandbox).scopes[subject] = tuple(scopes)
    return sandbox.issuer.issue(subject)


# -- routes ---------------------------------------------------------------------------------------------------


def _form(request: tk.SandboxRequest) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(request.request.read().decode()).items()}


def _login_error(sandbox: TikTokSandbox, error: str, description: str, status: int = 400) -> httpx.Response:
    body = {"error": error, "error_description": description, "log_id": sandbox.request_id()}
    return httpx.Response(status, json=body)


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
    _install_advertiser(sandbox)
    _install_tto_accounts(sandbox)
    _install_login_kit(sandbox)


def _app_refused(sandbox: TikTokSandbox, app_id: Any, secret: Any) -> httpx.Response | None:
    if app_id != sandbox.app_id or secret != sandbox.app_secret:
        return sandbox.refuse(40101, "Invalid authentication values: app_id and secret do not match.")
    return None


def _install_advertiser(sandbox: TikTokSandbox) -> None:
    from . import PREFIX, SANDBOX_ADVERTISER

    server = server_of(sandbox)
    app_refused = functools.partial(_app_refused, sandbox)

    def access_token(request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        refused = app_refused(body.get("app_id"), body.get("secret"))
        if refused is not None:
            return refused
        code = str(body.get("auth_code") or "")
        consent = _read(code)
        if consent is None or consent.get("kind") != "advertiser" or consent.get("app") != sandbox.app_id:
            return sandbox.refuse(40101, "Invalid auth_code: it was not issued to this app.")
        why = server.take(code, consent.get("issued"), sandbox.clock())
        if why is not None:
            return sandbox.refuse(40110, f"Invalid authorization code: it was {why} (an auth_code is used once).")
        with server.lock:
            server.serial += 1
            subject = f"advertiser:{SANDBOX_ADVERTISER}:{server.serial}"
            server.advertisers[subject] = (SANDBOX_ADVERTISER, _SECOND_ADVERTISER)
        issued = sandbox.issuer.issue(subject, lifetime=2**40)  # TikTok's advertiser tokens do not expire
        return {
            "access_token": issued.access_token,
            "advertiser_ids": list(server.advertisers[subject]),
            "scope": list(ADVERTISER_SCOPES),
        }

    def revoke_token(request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        refused = app_refused(body.get("app_id"), body.get("secret"))
        if refused is not None:
            return refused
        token = str(body.get("access_token") or "")
        state, subject = sandbox.issuer.check(token)
        if state is not tk.TokenState.VALID or subject is None:
            return sandbox.refuse(40105, "The access token is invalid or has been revoked.")
        sandbox.issuer.revoke(token)
        return {"app_id": sandbox.app_id, "advertiser_ids": list(server.advertisers.get(subject, ()))}

    sandbox.route("POST", PREFIX + "/oauth2/access_token/", access_token, public=True)
    sandbox.route("POST", PREFIX + "/oauth2/revoke_token/", revoke_token, public=True)


def _install_tto_accounts(sandbox: TikTokSandbox) -> None:
    from . import PREFIX, SANDBOX_ACCOUNT

    app_refused = functools.partial(_app_refused, sandbox)

    def tcm_accounts(request: tk.SandboxRequest) -> Any:
        refused = app_refused(request.params.get("app_id"), request.params.get("secret"))
        if refused is not None:
            return refused
        if account_of(request.subject) is not None:
            return sandbox.refuse(40001, "No permission: a creator's token reaches no TikTok One account.")
        return {"tto_tcm_account_ids": [SANDBOX_ACCOUNT]}

    def tto_info(request: tk.SandboxRequest) -> Any:
        account = request.params.get("tto_tcm_account_id")
        if account != SANDBOX_ACCOUNT:
            return sandbox.refuse(40001, f"No permission for TikTok One account {account}.")
        return {
            "tto_tcm_account_id": SANDBOX_ACCOUNT,
            "account_name": "creatorkit sandbox brand (TTO)",
            "timezone": "Etc/UTC",
            "country": "US",
            "business_verification_status": "VERIFIED",
        }

    sandbox.route("GET", PREFIX + "/tto/oauth2/tcm/", tcm_accounts)
    sandbox.route("GET", PREFIX + "/tto/oauth2/info/", tto_info)


def _install_login_kit(sandbox: TikTokSandbox) -> None:
    server = server_of(sandbox)

    def tokens(issued: tk.IssuedToken) -> httpx.Response:
        granted = server.scopes.get(issued.subject, CREATOR_SCOPES)
        account_id = account_of(issued.subject) or ""
        body = {
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "open_id": open_id_of(account_id),
            "refresh_expires_in": issued.refresh_expires_in,
            "refresh_token": issued.refresh_token,
            "scope": ",".join(granted),
            "token_type": "Bearer",
        }
        return httpx.Response(200, json=body)

    def from_code(form: Mapping[str, str]) -> httpx.Response:
        code = form.get("code", "")
        consent = _read(code)
        if consent is None or consent.get("kind") != "creator" or consent.get("app") != sandbox.app_id:
            return _login_error(sandbox, "invalid_grant", "Authorization code is invalid.")
        if consent["redirect_uri"] != form.get("redirect_uri"):
            return _login_error(sandbox, "invalid_grant", "The redirect_uri does not match the authorization's.")
        challenge = consent.get("challenge")
        verifier = form.get("code_verifier")
        if challenge and (not verifier or pkce_challenge(verifier) != challenge):
            return _login_error(sandbox, "invalid_request", "Code verifier or code challenge is invalid.")
        why = server.take(code, consent.get("issued"), sandbox.clock())
        if why is not None:
            return _login_error(sandbox, "invalid_grant", f"Authorization code is {why}.")
        subject = f"creator:{consent['account_id']}"
        server.scopes[subject] = tuple(consent["scopes"])
        return tokens(sandbox.issuer.issue(subject))

    def token(request: tk.SandboxRequest) -> Any:
        form = _form(request)
        if form.get("client_key") != sandbox.app_id or form.get("client_secret") != sandbox.app_secret:
            return _login_error(sandbox, "invalid_client", "Client key or secret is invalid.", status=401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return from_code(form)
        if grant_type == "refresh_token":
            fresh = sandbox.issuer.refresh(form.get("refresh_token", ""))  # rotates: the old one is used up
            if fresh is None:
                return _login_error(sandbox, "invalid_grant", "Refresh token is invalid, expired or revoked.")
            return tokens(fresh)
        return _login_error(sandbox, "unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")

    def revoke(request: tk.SandboxRequest) -> Any:
        form = _form(request)
        if form.get("client_key") != sandbox.app_id or form.get("client_secret") != sandbox.app_secret:
            return _login_error(sandbox, "invalid_client", "Client key or secret is invalid.", status=401)
        state, _ = sandbox.issuer.check(form.get("token"))
        if state is not tk.TokenState.UNKNOWN:
            sandbox.issuer.revoke(form.get("token", ""))
        return httpx.Response(200, json={})  # TikTok answers a revoke with an empty object

    sandbox.route("POST", "/v2/oauth/token/", token, public=True)
    sandbox.route("POST", "/v2/oauth/revoke/", revoke, public=True)
