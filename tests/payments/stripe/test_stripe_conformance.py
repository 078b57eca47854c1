"""The payment conformance kit over the Stripe Connect plugin's sandbox."""

from creatorkit_payments.stripe_connect.conformance import StripeConnectConformance

from creatorkit import Money


class TestStripeConnectConformance(StripeConnectConformance):
    """The suite ``creatorkit plugins check stripe_connect`` runs."""


class TestStripeConnectInKuwaitiDinars(StripeConnectConformance):
    """The whole kit again in a three-decimal currency Stripe takes in tens of fils only."""

    amount = Money(1_250_500, "KWD")
