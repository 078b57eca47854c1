"""The conformance kit: base test classes a plugin author subclasses to prove the plugin keeps the contract.

Opt in from your plugin's ``conftest.py``::

    pytest_plugins = ["creatorkit.testing"]

and subclass the suite for your kind of plugin (``PaymentProviderContract`` for a payment provider)::

    from creatorkit.testing import PlatformPluginContract

    class TestMyPlatform(PlatformPluginContract):
        plugin_name = "myplatform"
        known_handle = "some_creator"       # a creator your sandbox knows
        unknown_handle = "nobody_here"      # one it does not

The suite loads the plugin through its installed entry point in sandbox mode, with the network switched off,
and checks: metadata is present and names the plugin; capabilities match the hooks implemented; every stage the
platform cannot do is explained in ``missing``; every output is the promised entity and validates against its
JSON Schema; undeclared stages raise :class:`~creatorkit.errors.CapabilityMissing`; failures are the SDK's typed
errors. Tests for a capability the plugin does not declare are skipped with the reason, never silently passed.

Both suites include the webhook tests (:class:`WebhookContract`, and for payment providers
:class:`PaymentWebhookContract`): a plugin that offers ``webhooks`` overrides ``webhook_delivery`` to return a
genuine delivery from its sandbox's signer, and ``webhook_handshake`` if its sender has one.

The payment suite includes the listing tests (:class:`PaymentListingContract`), run when the provider declares
``payment_listing``: the list of its movements holds what it moved.

The platform suite includes the authorization tests (:class:`AuthorizationContract`): a plugin that offers
``authorization`` says how its sandbox approves an authorize URL (``approve``) and which flows it has (``kinds``).
"""

from ._authorization import AuthorizationContract
from ._fixtures import network_disabled, no_network
from ._http_faults import SANDBOX_ATTRIBUTE, HttpFaultContract
from ._payment_driver import STANDARD_SCENARIOS
from ._payment_listing import PaymentListingContract
from ._payments import UNKNOWN_RAW_STATUS, PaymentProviderContract, PaymentScenario
from ._platform import ImportSample, PlatformPluginContract, assert_canonical_audience, assert_valid_entity
from ._webhooks import PaymentWebhookContract, WebhookContract

__all__ = [
    "SANDBOX_ATTRIBUTE",
    "STANDARD_SCENARIOS",
    "UNKNOWN_RAW_STATUS",
    "AuthorizationContract",
    "HttpFaultContract",
    "ImportSample",
    "PaymentListingContract",
    "PaymentProviderContract",
    "PaymentScenario",
    "PaymentWebhookContract",
    "PlatformPluginContract",
    "WebhookContract",
    "assert_canonical_audience",
    "assert_valid_entity",
    "network_disabled",
    "no_network",
]
