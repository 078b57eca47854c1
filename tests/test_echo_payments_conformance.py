"""The reference payment provider runs the payment conformance kit in the main suite too."""

from creatorkit import Money
from creatorkit_echo.conformance import EchoPaymentsConformance


class TestEchoPaymentsConformance(EchoPaymentsConformance):
    """The suite echo registers for ``creatorkit plugins check echo_pay``."""


class TestEchoPaymentsInKuwaitiDinars(EchoPaymentsConformance):
    """The whole kit again with three-decimal amounts echo_pay takes only in tens of fils."""

    amount = Money(1_250_500, "KWD")
