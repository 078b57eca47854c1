"""The reference echo plugin passes the conformance kit, run from the main suite as a plugin author would."""

from creatorkit_echo.conformance import EchoConformance


class TestEchoConformance(EchoConformance):
    pass
