"""Built-in escrow kept on a creatorkit ledger alone, as a payment provider (``ledger_escrow``): no outside service.

For an operator that holds its clients' money in its own bank account and keeps the books in creatorkit. The
provider opens a :class:`~creatorkit.Creatorkit` of its own on the ``store`` setting (in sandbox mode an
in-memory SQLite store unless set) and keeps every fund, release, reversal, refund and payout as an entry of that
kit's double-entry ledger, posted as the system actor: the request's operation id is the entry's, so the ledger
applies each movement once; an escrow or a receiver's balance never goes below zero; the entry's memo holds the
request, so any process on the same store reads a movement back. It moves no real money and takes no fee.

``docs/payments/ledger_escrow.md`` says what it is for and its limits; the settings are
:data:`~creatorkit_payments.ledger_escrow.SETTINGS_SCHEMA`, the accounts :mod:`._books`.
"""

from ._plugin import MAX_RECEIVERS, RAW_STATUSES, LedgerEscrow
from ._settings import DEFAULT_MAX_HOLD_DAYS, SETTINGS_SCHEMA

__all__ = ["DEFAULT_MAX_HOLD_DAYS", "MAX_RECEIVERS", "RAW_STATUSES", "SETTINGS_SCHEMA", "LedgerEscrow"]
