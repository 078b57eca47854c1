"""The reference payment provider runs the payment conformance kit in the main suite too."""

from creatorkit_echo.conformance import EchoPaymentsConformance


class TestEchoPaymentsConformance(EchoPaymentsConformance):
    pass
