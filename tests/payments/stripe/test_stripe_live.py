"""Against Stripe's real test mode, only when ``STRIPE_TEST_API_KEY`` is set (a ``sk_test_`` key).

It funds, reads back and refunds a deal with the test card whose funds are available at once; with
``STRIPE_TEST_CONNECTED_ACCOUNT`` (an onboarded ``acct_`` of that platform) it also releases, reverses and refunds.
This is the one test that uses the network, on purpose: it is how the sandbox is checked against Stripe.
"""

from __future__ import annotations

import os

import pytest
from creatorkit_payments.stripe_connect import StripeConnectPayments

from creatorkit.config import Mode, PluginSettings
from creatorkit.entities import LegRole, OperationStatus, ReceiverLeg
from creatorkit.host import PluginHost

from .conftest import Deal

KEY = os.environ.get("STRIPE_TEST_API_KEY", "")
ACCOUNT = os.environ.get("STRIPE_TEST_CONNECTED_ACCOUNT", "")

pytestmark = pytest.mark.skipif(not KEY.startswith("sk_test_"), reason="STRIPE_TEST_API_KEY (sk_test_…) is not set")


@pytest.fixture(autouse=True)
def _offline() -> None:
    """This module talks to Stripe: the package's network ban is lifted here only."""


def test_a_deal_in_stripes_test_mode() -> None:
    host = PluginHost(validate_outputs=True)
    settings = {"api_key": KEY, "payment_method": "pm_card_bypassPending"}
    configured = PluginSettings(name="stripe_connect", section="payments", mode=Mode.LIVE, settings=settings)
    host.register(StripeConnectPayments(), name="stripe_connect", group="creatorkit.payments", settings=configured)
    provider = host.payments("stripe_connect")
    deal = Deal()
    request = deal.fund()
    fund = provider.execute(request)
    assert fund.status is OperationStatus.SUCCEEDED and fund.net is not None
    assert provider.retrieve(request, known=fund).provider_ref == fund.provider_ref
    if ACCOUNT:
        leg = ReceiverLeg(party_id="creator", account_ref=ACCOUNT, amount=fund.net, role=LegRole.CREATOR)
        release = deal.release(fund, (leg,))
        released = provider.execute(release)
        assert released.status in (OperationStatus.SUCCEEDED, OperationStatus.PENDING)
        provider.execute(deal.reverse(release, released))
    refund = provider.execute(deal.refund(fund))
    assert refund.status in (OperationStatus.SUCCEEDED, OperationStatus.PENDING)
