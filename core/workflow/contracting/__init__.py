"""Contracting: versioned contract templates, drafting from the agreed terms, Ed25519 signatures over a content
hash, amendments, and the order placed on the platform once the contract is executed (``kit.contracts``).

Where contracting begins, negotiation has ended: a contract is drafted from the terms a deal agreed on. Where it
ends, content review begins: an executed contract (and, for prepaid schedules, the escrow funding it) starts
the production of the content.
"""

from ._contracts import ContractService
from ._hashing import HASH_EXCLUDED, contract_hash
from ._signing import STATUS_MOVES
from ._verification import ContractVerification, SignatureCheck

__all__ = [
    "HASH_EXCLUDED",
    "STATUS_MOVES",
    "ContractService",
    "ContractVerification",
    "SignatureCheck",
    "contract_hash",
]
