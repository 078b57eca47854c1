"""Stripe Connect, separate charges and transfers, as a creatorkit payment provider (``stripe_connect``).

A deal is a ``transfer_group``: the brand's money comes in as a PaymentIntent on the platform, goes to the
creator's and the agency's connected accounts as one transfer each, comes back by transfer reversals, goes back
to the brand as a refund once released money is reversed, and leaves a connected account for its bank as a
payout. Every call goes through the official ``stripe`` library (``stripe.StripeClient``) over an httpx client
the plugin owns, with the API version pinned (:data:`STRIPE_API_VERSION`); in sandbox mode that client's
transport is :class:`~creatorkit_payments.stripe_connect.sandbox.StripeSandbox`, a stateful fake Stripe.

``docs/payments/stripe.md`` says what is covered and what is not; the settings are
:data:`~creatorkit_payments.stripe_connect._plugin.SETTINGS_SCHEMA`.
"""

from ._currencies import STRIPE_CURRENCIES, hold_days_for
from ._http import STRIPE_API_VERSION
from ._plugin import SETTINGS_SCHEMA, StripeConnectPayments

__all__ = ["SETTINGS_SCHEMA", "STRIPE_API_VERSION", "STRIPE_CURRENCIES", "StripeConnectPayments", "hold_days_for"]
