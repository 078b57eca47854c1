"""The TikTok plugin's two authorisation flows against its sandbox: a brand's advertiser connection (a long-term
token, no refresh) and a creator's Login Kit grant (PKCE, stated lifetimes, a rotating refresh token)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok import _display as display
from creatorkit_tiktok._authorization import CREATOR_SCOPES, SANDBOX_REDIRECT_URI
from creatorkit_tiktok.sandbox import SANDBOX_ACCOUNT, SANDBOX_ADVERTISER
from creatorkit_tiktok.sandbox._oauth import CODE_LIFETIME, approve

from creatorkit import AuthExpired, CallContext, InvalidRequest
from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.entities import AuthorizationKind, AuthorizationRequest, Connection, Grant, IssuedTokens
from creatorkit.errors import PlatformPermissionDenied
from creatorkit.testing import network_disabled
from creatorkit.tokens import TokenPair, new_code_verifier, pkce_challenge

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CONNECTION, GRANT = AuthorizationKind.CONNECTION, AuthorizationKind.GRANT


@pytest.fixture
def plugin() -> Iterator[TikTokPlatform]:
    with network_disabled():
        yield TikTokPlatform()


def _request(kind: AuthorizationKind, **changes: object) -> AuthorizationRequest:
    fields: dict[str, object] = {"platform": "tiktok", "kind": kind, "workspace_id": "brand_1", "state": "st-42"}
    if kind is GRANT:
        fields["creator_id"] = "creator_1"
    return AuthorizationRequest(**{**fields, **changes})  # type: ignore[arg-type]


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _approved(plugin: TikTokPlatform, kind: AuthorizationKind, **options: object) -> tuple[str, str]:
    """(code, verifier) of a flow the sandbox's owner approved."""
    verifier = new_code_verifier()
    url = plugin.creatorkit_authorization_url(request=_request(kind), code_verifier=verifier, context=None)
    redirect = _query(approve(url.url, sandbox=plugin.sandbox, **options))  # type: ignore[arg-type]
    return redirect["code"], verifier


def _exchange(plugin: TikTokPlatform, kind: AuthorizationKind, code: str, verifier: str | None) -> IssuedTokens:
    return plugin.creatorkit_exchange_code(request=_request(kind), code=code, code_verifier=verifier, context=None)


def _connect(plugin: TikTokPlatform) -> tuple[IssuedTokens, Connection]:
    code, _ = _approved(plugin, CONNECTION)
    issued = _exchange(plugin, CONNECTION, code, None)
    assert issued.account_id is not None
    connection = Connection(
        id="conn_1",
        platform="tiktok",
        workspace_id="brand_1",
        account_id=issued.account_id,
        connected_at=NOW,
        details=issued.details,
    )
    return issued, connection


def _grant(plugin: TikTokPlatform, **options: object) -> tuple[IssuedTokens, Grant]:
    code, verifier = _approved(plugin, GRANT, **options)
    issued = _exchange(plugin, GRANT, code, verifier)
    assert issued.account_id is not None
    grant = Grant(
        id="grant_1",
        platform="tiktok",
        creator_id="creator_1",
        workspace_id="brand_1",
        account_id=issued.account_id,
        scopes=issued.scopes or (),
        granted_at=NOW,
    )
    return issued, grant


def _pair(issued: IssuedTokens) -> TokenPair:
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token)


# -- a brand's connection -----------------------------------------------------------------------------------------


def test_the_advertiser_authorize_url_names_the_app_the_state_and_the_redirect(plugin: TikTokPlatform) -> None:
    url = plugin.creatorkit_authorization_url(request=_request(CONNECTION), code_verifier="v" * 43, context=None)
    assert url.url.startswith("https://business-api.tiktok.com/portal/auth?")
    assert _query(url.url) == {"app_id": "sandbox-app", "state": "st-42", "redirect_uri": SANDBOX_REDIRECT_URI}
    assert not url.uses_pkce, "TikTok's advertiser authorisation takes no PKCE challenge"


def test_a_connection_keeps_the_ad_accounts_and_tiktok_one_accounts_the_token_reaches(plugin: TikTokPlatform) -> None:
    issued, connection = _connect(plugin)
    assert issued.expires_in is None and issued.refresh_token is None, "an advertiser token states no expiry"
    assert issued.account_id == SANDBOX_ADVERTISER
    assert issued.details["advertiser_ids"].split(",")[0] == SANDBOX_ADVERTISER
    assert issued.details["tto_tcm_account_ids"] == SANDBOX_ACCOUNT
    assert issued.account_name == "creatorkit sandbox brand (TTO)"
    assert issued.scopes and all(scope.isdigit() for scope in issued.scopes), "advertiser scopes are numeric ids"
    context = CallContext(connection=connection, tokens=tk.StaticToken(issued.access_token.reveal()))
    # What the other stages read from the connection: its TikTok One account and its first ad account.
    assert plugin._account_id(context) == SANDBOX_ACCOUNT
    assert plugin._advertiser_id(context) == SANDBOX_ADVERTISER
    accounts = plugin._get("tto/oauth2/tcm/", context, app_id=plugin.app_id, secret=plugin.app_secret)
    assert accounts == {"tto_tcm_account_ids": [SANDBOX_ACCOUNT]}, "the new token works on the API for Business"


def test_an_auth_code_is_taken_once_within_its_hour(plugin: TikTokPlatform) -> None:
    code, _ = _approved(plugin, CONNECTION)
    _exchange(plugin, CONNECTION, code, None)
    with pytest.raises(AuthExpired) as used:
        _exchange(plugin, CONNECTION, code, None)
    assert used.value.code == 40110 and used.value.request_id
    stale, _ = _approved(plugin, CONNECTION)
    plugin.timing[1](CODE_LIFETIME)  # the sandbox's clock: an hour passes
    with pytest.raises(AuthExpired) as expired:
        _exchange(plugin, CONNECTION, stale, None)
    assert expired.value.code == 40110
    with pytest.raises(AuthExpired) as forged:
        _exchange(plugin, CONNECTION, "not-a-code-tiktok-issued", None)
    assert forged.value.code == 40101


def test_an_advertiser_token_cannot_be_refreshed_only_reconnected(plugin: TikTokPlatform) -> None:
    issued, connection = _connect(plugin)
    with pytest.raises(AuthExpired) as refused:
        plugin.creatorkit_refresh_tokens(authorization=connection, tokens=_pair(issued), context=None)
    assert refused.value.connection_id == "conn_1"
    assert refused.value.action is not None and "creatorkit connect tiktok" in refused.value.action


def test_a_revoked_connection_is_refused_by_the_api(plugin: TikTokPlatform) -> None:
    issued, connection = _connect(plugin)
    revocation = plugin.creatorkit_revoke_tokens(authorization=connection, tokens=_pair(issued), context=None)
    assert revocation.revoked and SANDBOX_ADVERTISER in revocation.detail
    context = CallContext(connection=connection, tokens=tk.StaticToken(issued.access_token.reveal()))
    with pytest.raises(AuthExpired) as refused:
        plugin._get("tto/oauth2/tcm/", context, app_id=plugin.app_id, secret=plugin.app_secret)
    assert refused.value.revoked and refused.value.code == 40105
    again = plugin.creatorkit_revoke_tokens(authorization=connection, tokens=_pair(issued), context=None)
    assert again.revoked, "revoking a token TikTok already refuses leaves it revoked"


def test_the_sandbox_brand_is_untouched_by_a_revoked_connection(plugin: TikTokPlatform) -> None:
    issued, connection = _connect(plugin)
    plugin.creatorkit_revoke_tokens(authorization=connection, tokens=_pair(issued), context=None)
    assert plugin._get("tto/oauth2/tcm/", None, app_id=plugin.app_id, secret=plugin.app_secret)


def test_live_mode_needs_a_redirect_uri() -> None:
    live = TikTokPlatform()
    live._configure({"app_id": "7123", "app_secret": "live-secret-1234"}, Mode.LIVE)
    with pytest.raises(InvalidRequest) as refused:
        live.creatorkit_authorization_url(request=_request(CONNECTION), code_verifier="v" * 43, context=None)
    assert refused.value.field == "redirect_uri"
    url = live.creatorkit_authorization_url(
        request=_request(CONNECTION, redirect_uri="https://app.example/cb"), code_verifier="v" * 43, context=None
    )
    assert _query(url.url)["redirect_uri"] == "https://app.example/cb"


# -- a creator's grant ------------------------------------------------------------------------------------------


def test_the_login_kit_url_asks_for_the_scopes_with_a_pkce_challenge(plugin: TikTokPlatform) -> None:
    verifier = new_code_verifier()
    url = plugin.creatorkit_authorization_url(request=_request(GRANT), code_verifier=verifier, context=None)
    query = _query(url.url)
    assert url.url.startswith("https://www.tiktok.com/v2/auth/authorize/?") and url.uses_pkce
    assert query["client_key"] == "sandbox-app" and query["response_type"] == "code"
    assert query["scope"] == ",".join(CREATOR_SCOPES)
    assert query["code_challenge"] == pkce_challenge(verifier) and query["code_challenge_method"] == "S256"
    assert query["state"] == "st-42" and query["redirect_uri"] == SANDBOX_REDIRECT_URI
    narrow = plugin.creatorkit_authorization_url(
        request=_request(GRANT, scopes=("user.info.basic",)), code_verifier=verifier, context=None
    )
    assert _query(narrow.url)["scope"] == "user.info.basic"


def test_a_grant_names_the_creator_and_states_what_tiktok_said(plugin: TikTokPlatform) -> None:
    assert plugin.sandbox is not None
    plugin.sandbox.issuer.lifetime = 5400  # not a lifetime the plugin could have assumed
    issued, _ = _grant(plugin)
    creator = next(plugin.sandbox.population.on("tiktok"))
    assert issued.account_id == f"sbx-open-{creator.account_id}", "a grant is named by the creator's open_id"
    assert issued.handle == creator.handle
    assert issued.expires_in == 5400 and issued.refresh_expires_in == plugin.sandbox.issuer.refresh_lifetime
    assert issued.scopes == CREATOR_SCOPES
    assert issued.refresh_token is not None
    shown = repr(issued) + str(issued)
    assert issued.access_token.reveal() not in shown and issued.refresh_token.reveal() not in shown


def test_a_grant_of_fewer_scopes_says_so_and_has_no_handle(plugin: TikTokPlatform) -> None:
    issued, _ = _grant(plugin, scopes=("user.info.basic", "video.list"))
    assert issued.scopes == ("user.info.basic", "video.list")
    assert issued.handle is None, "without user.info.profile the Display API tells no username"


def test_the_code_wants_its_verifier_and_its_redirect(plugin: TikTokPlatform) -> None:
    code, verifier = _approved(plugin, GRANT)
    with pytest.raises(InvalidRequest):
        _exchange(plugin, GRANT, code, new_code_verifier())
    with pytest.raises(AuthExpired) as elsewhere:
        plugin.creatorkit_exchange_code(
            request=_request(GRANT, redirect_uri="https://elsewhere.example/cb"),
            code=code,
            code_verifier=verifier,
            context=None,
        )
    assert elsewhere.value.code == "invalid_grant"
    _exchange(plugin, GRANT, code, verifier)
    with pytest.raises(AuthExpired) as used:
        _exchange(plugin, GRANT, code, verifier)
    assert used.value.code == "invalid_grant" and used.value.request_id


def test_a_refresh_rotates_the_refresh_token(plugin: TikTokPlatform) -> None:
    issued, grant = _grant(plugin)
    renewed = plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(issued), context=None)
    assert renewed.access_token != issued.access_token
    assert renewed.refresh_token is not None and renewed.refresh_token != issued.refresh_token
    assert renewed.expires_in == 7200 and renewed.account_id is None, "a refresh keeps the grant's account"
    with pytest.raises(AuthExpired) as rotated:
        plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(issued), context=None)
    assert rotated.value.code == "invalid_grant" and rotated.value.grant_id == "grant_1"
    assert rotated.value.action is not None and "creatorkit grant tiktok" in rotated.value.action
    again = plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(renewed), context=None)
    assert again.access_token != renewed.access_token


def test_a_revoked_grant_reads_nothing_and_renews_nothing(plugin: TikTokPlatform) -> None:
    issued, grant = _grant(plugin)
    tokens = tk.StaticToken(issued.access_token.reveal(), platform="tiktok")
    assert display.user_info(plugin, tokens).open_id == grant.account_id
    revocation = plugin.creatorkit_revoke_tokens(authorization=grant, tokens=_pair(issued), context=None)
    assert revocation.revoked
    with pytest.raises(AuthExpired):
        display.user_info(plugin, tokens)
    with pytest.raises(AuthExpired):
        plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(issued), context=None)


def test_wrong_app_credentials_are_the_apps_problem_not_the_creators(plugin: TikTokPlatform) -> None:
    code, verifier = _approved(plugin, GRANT)
    plugin.app_secret = "not-the-sandbox-secret"
    with pytest.raises(PlatformPermissionDenied) as refused:
        _exchange(plugin, GRANT, code, verifier)
    assert refused.value.code == "invalid_client"
    assert "not-the-sandbox-secret" not in str(refused.value) + repr(refused.value.details)


def test_a_creator_who_declines_sends_back_an_error_not_a_code(plugin: TikTokPlatform) -> None:
    url = plugin.creatorkit_authorization_url(request=_request(GRANT), code_verifier="v" * 43, context=None)
    redirect = _query(approve(url.url, deny=True))
    assert redirect["error"] == "access_denied" and redirect["state"] == "st-42" and "code" not in redirect


def test_no_token_shows_in_the_errors_of_a_refused_refresh(plugin: TikTokPlatform) -> None:
    issued, grant = _grant(plugin)
    plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(issued), context=None)
    with pytest.raises(AuthExpired) as refused:
        plugin.creatorkit_refresh_tokens(authorization=grant, tokens=_pair(issued), context=None)
    told = str(refused.value) + repr(refused.value.details) + str(refused.value.__cause__)
    assert issued.refresh_token is not None
    assert issued.refresh_token.reveal() not in told and plugin.app_secret not in told
