"""Echo's authorization hooks pass the authorization conformance suite, both flows, through its entry point."""

from __future__ import annotations

from creatorkit.entities import AuthorizationKind
from creatorkit.testing import AuthorizationContract
from creatorkit_echo import consent


class TestEchoAuthorization(AuthorizationContract):
    plugin_name = "echo"
    kinds = (AuthorizationKind.CONNECTION, AuthorizationKind.GRANT)

    def approve(self, url: str, kind: AuthorizationKind) -> str:
        return consent(url)
