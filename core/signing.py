"""Ed25519 signatures over contract hashes (PyNaCl, the libsodium binding, does the cryptography).

A signature covers ``creatorkit/contract/v1`` + the contract's SHA-256 content hash, so it cannot be replayed as
a signature over anything else. Private keys stay with the signer: the SDK only ever stores public keys.

A party that already has a key replaces it only by proving it holds that key: the current key signs
``creatorkit/signing-key/v1`` + the party + the new public key (:func:`prove_key_rotation`), and the SDK checks
that proof against the key it has on record (:func:`verify_key_rotation`). Whoever merely acts as the party in
the embedding app cannot swap in a key of their own and sign with it.

Keys are the raw 32 bytes of RFC 8032, base64-encoded: the private key is the seed, the public key the encoded
point. libsodium verifies strictly: a signature with a non-canonical ``S`` or ``R`` is refused, and so is a
public key of small order (one that every "signature" would verify against), already when it is registered.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from .errors import Problem, SignatureError, ValidationError

if TYPE_CHECKING:
    from nacl.signing import SigningKey, VerifyKey

__all__ = [
    "check_public_key",
    "generate_keypair",
    "load_private_key",
    "prove_key_rotation",
    "sign_contract_hash",
    "verify_contract_signature",
    "verify_key_rotation",
]

_DOMAIN = b"creatorkit/contract/v1\n"
_ROTATION_DOMAIN = b"creatorkit/signing-key/v1\n"


def _decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError, AttributeError):
        raise ValidationError([Problem(what, "must be base64")], what) from None


def generate_keypair() -> tuple[str, str]:
    """A new (private key, public key) pair, both base64. Hand the private key to the signer, never store it."""
    from nacl.signing import SigningKey

    private = SigningKey.generate()
    return base64.b64encode(bytes(private)).decode(), base64.b64encode(bytes(private.verify_key)).decode()


def check_public_key(public_key: str) -> None:
    """Refuse what is not a usable Ed25519 public key: not base64, not 32 bytes, not a point of large order."""
    from nacl.bindings import crypto_core_ed25519_is_valid_point

    raw = _decode(public_key, "public_key")
    if len(raw) != 32:
        raise ValidationError([Problem("public_key", "an Ed25519 public key is 32 bytes")], "public_key")
    if not crypto_core_ed25519_is_valid_point(raw):
        raise ValidationError(
            [Problem("public_key", "is not a valid Ed25519 public key (not a point of the curve's main group)")],
            "public_key",
        )


def load_private_key(private_key: str) -> SigningKey:
    """The key object for a base64 private key, for a signer that signs many hashes with one key."""
    from nacl.signing import SigningKey

    raw = _decode(private_key, "private_key")
    if len(raw) != 32:
        raise ValidationError([Problem("private_key", "an Ed25519 private key is 32 bytes")], "private_key")
    return SigningKey(raw)


def sign_contract_hash(private_key: str | SigningKey, content_hash: str) -> str:
    """What a signer's own device does: sign the contract hash with its private key (base64, or loaded)."""
    from nacl.signing import SigningKey

    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    if not isinstance(key, SigningKey):
        raise TypeError(
            f"a private key is base64 text or what load_private_key() returns, not {type(key).__name__}"
            " (from another library, pass its raw 32 bytes in base64)"
        )
    signature = key.sign(_DOMAIN + content_hash.encode("ascii")).signature
    return base64.b64encode(signature).decode()


def _public_key(public_key: str) -> VerifyKey:
    from nacl.signing import VerifyKey

    # Only the form here: the full point check ran when the key was registered, and libsodium's verification
    # itself refuses keys of small order or in non-canonical form. (Loading a key costs next to nothing: a cache
    # of loaded keys saved nothing measurable, bench/cache_gains.py.)
    raw = _decode(public_key, "public_key")
    if len(raw) != 32:
        raise ValidationError([Problem("public_key", "an Ed25519 public key is 32 bytes")], "public_key")
    return VerifyKey(raw)


def verify_contract_signature(public_key: str, content_hash: str, signature: str, *, signer: str) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ``public_key``'s signature over ``content_hash``."""
    from nacl.exceptions import BadSignatureError

    key = _public_key(public_key)  # a ValidationError for a malformed key, as before
    try:
        raw_signature = _decode(signature, "signature")
        if len(raw_signature) != 64:
            raise BadSignatureError("an Ed25519 signature is 64 bytes")
        key.verify(_DOMAIN + content_hash.encode("ascii"), raw_signature)
    except (BadSignatureError, ValidationError):
        raise SignatureError(
            f"signature by {signer} does not verify against their registered key", signer=signer
        ) from None


def _rotation_message(party: str, new_public_key: str) -> bytes:
    return _ROTATION_DOMAIN + f"{party}\n{new_public_key}".encode()


def prove_key_rotation(current_private_key: str | SigningKey, party: str, new_public_key: str) -> str:
    """What a signer's own device does to replace its key: sign the new public key with the current private key.

    ``party`` is the party as the SDK names it (``str(actor)``: ``"creator:creator_ana"``). Hand the result to
    ``kit.parties.set_signing_key(actor, new_public_key, proof=...)``.
    """
    from nacl.signing import SigningKey

    key = load_private_key(current_private_key) if isinstance(current_private_key, str) else current_private_key
    if not isinstance(key, SigningKey):
        raise TypeError(f"a private key is base64 text or what load_private_key() returns, not {type(key).__name__}")
    return base64.b64encode(key.sign(_rotation_message(party, new_public_key)).signature).decode()


def verify_key_rotation(current_public_key: str, party: str, new_public_key: str, proof: str) -> None:
    """Raise :class:`SignatureError` unless ``proof`` is the current key's signature over the rotation."""
    from nacl.exceptions import BadSignatureError

    key = _public_key(current_public_key)
    try:
        raw = _decode(proof, "proof")
        if len(raw) != 64:
            raise BadSignatureError("an Ed25519 signature is 64 bytes")
        key.verify(_rotation_message(party, new_public_key), raw)
    except (BadSignatureError, ValidationError):
        raise SignatureError(
            f"the proof does not verify against {party}'s current signing key: a key is replaced only with a "
            "signature by the key it replaces (creatorkit.signing.prove_key_rotation)",
            signer=party,
        ) from None
