"""The payment conformance kit, run against the escrow in sandbox mode: ``creatorkit plugins check ledger_escrow``.

``load_plugin`` hands the kit the plugin object itself, so the suite runs whether or not the entry point is
installed. Each host the kit starts gets a new provider and, unless ``settings`` name a ``store``, new in-memory
books. The escrow has no outside party and so no webhooks: the kit's webhook tests skip, saying why.
"""

from __future__ import annotations

from creatorkit.testing import PaymentProviderContract

from . import LedgerEscrow

__all__ = ["LedgerEscrowConformance"]


class LedgerEscrowConformance(PaymentProviderContract):
    plugin_name = "ledger_escrow"

    def load_plugin(self) -> object:
        return LedgerEscrow(self.plugin_name)
