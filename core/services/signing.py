"""Ed25519 signatures over contract hashes (the ``cryptography`` package does the cryptography).

A signature covers ``creatorkit/contract/v1`` + the contract's SHA-256 content hash, so it cannot be replayed as
a signature over anything else. Private keys stay with the signer: the SDK only ever stores public keys.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import TYPE_CHECKING

from ..errors import Problem, SignatureError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "check_public_key",
    "generate_keypair",
    "load_private_key",
    "sign_contract_hash",
    "verify_contract_signature",
]

_DOMAIN = b"creatorkit/contract/v1\n"


def _decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValidationError([Problem(what, "must be base64")], what) from None


def generate_keypair() -> tuple[str, str]:
    """A new (private key, public key) pair, both base64. Hand the private key to the signer, never store it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw_private).decode(), base64.b64encode(raw_public).decode()


def check_public_key(public_key: str) -> None:
    raw = _decode(public_key, "public_key")
    if len(raw) != 32:
        raise ValidationError([Problem("public_key", "an Ed25519 public key is 32 bytes")], "public_key")


def load_private_key(private_key: str) -> Ed25519PrivateKey:
    """The key object for a base64 private key, for a signer that signs many hashes with one key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = _decode(private_key, "private_key")
    if len(raw) != 32:
        raise ValidationError([Problem("private_key", "an Ed25519 private key is 32 bytes")], "private_key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def sign_contract_hash(private_key: str | Ed25519PrivateKey, content_hash: str) -> str:
    """What a signer's own device does: sign the contract hash with its private key (base64, or loaded)."""
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    signature = key.sign(_DOMAIN + content_hash.encode("ascii"))
    return base64.b64encode(signature).decode()


@functools.lru_cache(maxsize=4096)
def _public_key(public_key: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    check_public_key(public_key)
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))


def verify_contract_signature(public_key: str, content_hash: str, signature: str, *, signer: str) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ``public_key``'s signature over ``content_hash``."""
    from cryptography.exceptions import InvalidSignature

    key = _public_key(public_key)  # a ValidationError for a malformed key, as before
    try:
        raw_signature = _decode(signature, "signature")
        key.verify(raw_signature, _DOMAIN + content_hash.encode("ascii"))
    except (InvalidSignature, ValidationError):
        raise SignatureError(
            f"signature by {signer} does not verify against their registered key", signer=signer
        ) from None
