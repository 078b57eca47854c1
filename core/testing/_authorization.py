"""The conformance suite of the ``authorization`` capability: a platform's OAuth hooks keep the contract.

Part of :class:`~creatorkit.testing.PlatformPluginContract` (skipped, with the reason, for a plugin that does not
offer ``authorization``). A plugin that offers it says how its sandbox plays the account's owner approving an
authorize URL (:meth:`AuthorizationContract.approve`) and which flows it has (``kinds``). The suite then walks each
flow the plugin offers: the URL carries the state, the code exchange names the account and states what it knows
(lifetimes, scopes) without a token showing in any repr, a used code is refused, a refresh answers with a new
access token, and a revoked authorisation is refused afterwards as ``AuthExpired``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from .._call_context import CallContext
from ..entities import AuthorizationKind, AuthorizationRequest, Capability, Connection, Grant, IssuedTokens
from ..errors import AuthExpired, PlatformError
from ..host import PlatformClient
from ..tokens import TokenPair, new_code_verifier, new_state
from ._fixtures import network_disabled, sandboxed_host
from ._validity import assert_valid_entity

__all__ = ["AuthorizationContract"]

#: The instant the suite's calls are made at: the context's clock, which a sandbox's expiry checks read.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class AuthorizationContract:
    """Subclass with ``plugin_name`` and :meth:`approve` to run the authorization contract suite."""

    #: The entry-point name in ``creatorkit.platforms``.
    plugin_name: ClassVar[str]
    #: Settings for the plugin's table, as they would appear in creatorkit.toml.
    settings: ClassVar[Mapping[str, Any]] = {}
    #: The flows the platform offers.
    kinds: ClassVar[tuple[AuthorizationKind, ...]] = (AuthorizationKind.CONNECTION,)
    #: The workspace (and, for a grant, the creator) the suite's requests name.
    workspace_id: ClassVar[str] = "brand_conformance"
    creator_id: ClassVar[str] = "creator_conformance"

    def approve(self, url: str, kind: AuthorizationKind) -> str:
        """The redirect your sandbox sends once the account's owner approves ``url`` (it carries the code)."""
        raise NotImplementedError("return the redirect URL your sandbox sends after its owner approves the URL")

    # -- fixtures ------------------------------------------------------------------------------------------------

    @pytest.fixture
    def authorizing(self) -> Iterator[PlatformClient]:
        """The plugin through its installed entry point, in sandbox mode, every answer checked against its schema."""
        with network_disabled():
            client = sandboxed_host(self.plugin_name, "creatorkit.platforms", self.settings).platform(self.plugin_name)
            if not client.supports(Capability.AUTHORIZATION):
                pytest.skip(
                    f"{self.plugin_name} does not offer authorization: {client.metadata.missing.get('authorization')}"
                )
            yield client

    @pytest.fixture(params=["connection", "grant"])
    def kind(self, request: pytest.FixtureRequest) -> AuthorizationKind:
        kind = AuthorizationKind(request.param)
        if kind not in self.kinds:
            pytest.skip(f"{self.plugin_name} offers no {kind} flow (kinds)")
        return kind

    # -- helpers -------------------------------------------------------------------------------------------------

    def _context(self) -> CallContext:
        return CallContext(workspace_id=self.workspace_id, clock=lambda: NOW)

    def _request(self, kind: AuthorizationKind) -> AuthorizationRequest:
        return AuthorizationRequest(
            platform=self.plugin_name,
            kind=kind,
            workspace_id=self.workspace_id,
            creator_id=self.creator_id if kind is AuthorizationKind.GRANT else None,
            state=new_state(),
        )

    def _authorized(
        self, authorizing: PlatformClient, kind: AuthorizationKind
    ) -> tuple[AuthorizationRequest, str, str | None]:
        """(request, code, verifier) of a flow the sandbox's owner approved."""
        request, verifier = self._request(kind), new_code_verifier()
        url = authorizing.authorization_url(request=request, code_verifier=verifier, context=self._context())
        query = {name: values[0] for name, values in parse_qs(urlsplit(self.approve(url.url, kind)).query).items()}
        code = query.get("code") or query.get("auth_code")
        assert code, "the approved redirect carries no code (nor auth_code)"
        assert query.get("state") == request.state, "the redirect must carry the state back unchanged"
        return request, code, verifier if url.uses_pkce else None

    def _issued(self, authorizing: PlatformClient, kind: AuthorizationKind) -> tuple[IssuedTokens, Connection | Grant]:
        request, code, verifier = self._authorized(authorizing, kind)
        issued = authorizing.exchange_code(request=request, code=code, code_verifier=verifier, context=self._context())
        assert issued.account_id, "an exchange names the account it authorised (account_id)"
        common: dict[str, Any] = {
            "id": f"{kind}_conformance",
            "platform": self.plugin_name,
            "workspace_id": self.workspace_id,
            "account_id": issued.account_id,
            "scopes": issued.scopes or (),
        }
        authorization: Connection | Grant = (
            Grant(creator_id=self.creator_id, granted_at=NOW, handle=issued.handle, **common)
            if kind is AuthorizationKind.GRANT
            else Connection(connected_at=NOW, **common)
        )
        return issued, authorization

    # -- the contract ----------------------------------------------------------------------------------------------

    def test_the_authorize_url_carries_the_state(self, authorizing: PlatformClient, kind: AuthorizationKind) -> None:
        request = self._request(kind)
        url = authorizing.authorization_url(request=request, code_verifier=new_code_verifier(), context=self._context())
        assert_valid_entity(url)
        assert request.state in parse_qs(urlsplit(url.url).query).get("state", []), "the URL must carry the state"

    def test_the_exchange_names_the_account_and_shows_no_token(
        self, authorizing: PlatformClient, kind: AuthorizationKind
    ) -> None:
        issued, _ = self._issued(authorizing, kind)
        assert_valid_entity(issued)
        assert issued.platform == self.plugin_name
        shown = repr(issued) + str(issued)
        assert issued.access_token.reveal() not in shown
        assert issued.refresh_token is None or issued.refresh_token.reveal() not in shown

    def test_a_used_code_is_refused(self, authorizing: PlatformClient, kind: AuthorizationKind) -> None:
        request, code, verifier = self._authorized(authorizing, kind)
        authorizing.exchange_code(request=request, code=code, code_verifier=verifier, context=self._context())
        with pytest.raises(PlatformError):
            authorizing.exchange_code(request=request, code=code, code_verifier=verifier, context=self._context())

    def test_a_refresh_answers_with_a_new_access_token(
        self, authorizing: PlatformClient, kind: AuthorizationKind
    ) -> None:
        issued, authorization = self._issued(authorizing, kind)
        pair = TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token)
        renewed = authorizing.refresh_tokens(authorization=authorization, tokens=pair, context=self._context())
        assert_valid_entity(renewed)
        assert renewed.access_token != issued.access_token, "a refresh answers with a new access token"

    def test_a_revoked_authorisation_is_refused_as_auth_expired(
        self, authorizing: PlatformClient, kind: AuthorizationKind
    ) -> None:
        issued, authorization = self._issued(authorizing, kind)
        pair = TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token)
        revocation = authorizing.revoke_tokens(authorization=authorization, tokens=pair, context=self._context())
        assert_valid_entity(revocation)
        if not revocation.revoked:
            pytest.skip(f"{self.plugin_name} cannot revoke: {revocation.detail}")
        with pytest.raises(AuthExpired):
            authorizing.refresh_tokens(authorization=authorization, tokens=pair, context=self._context())
