"""Contracting: versioned contract templates, drafting from the agreed terms, signatures, amendments, and the
order placed on the platform once the contract is executed (``kit.contracts``)."""

from ._contracts import (
    HASH_EXCLUDED,
    STATUS_MOVES,
    ContractService,
    ContractVerification,
    SignatureCheck,
    contract_hash,
)

__all__ = [
    "HASH_EXCLUDED",
    "STATUS_MOVES",
    "ContractService",
    "ContractVerification",
    "SignatureCheck",
    "contract_hash",
]
