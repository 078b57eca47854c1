"""The echo plugin proves it keeps the creatorkit contract by running the conformance kit."""

from creatorkit_echo.conformance import EchoConformance, EchoPaymentsConformance


class TestEchoConformance(EchoConformance):
    pass


class TestEchoPaymentsConformance(EchoPaymentsConformance):
    pass
