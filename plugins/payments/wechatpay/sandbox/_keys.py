"""The sandbox's keys: made once per process, never written anywhere, worth nothing outside a test.

RSA keys cannot be drawn from a seed with ``cryptography``, so each process makes its own pair for the sandbox
merchant and for the sandbox WeChat Pay on first use; everything that signs or verifies in the sandbox (the
plugin in sandbox mode, the conformance kit's deliveries) reads them from here.
"""

from __future__ import annotations

import functools

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["SandboxIdentity", "sandbox_identity"]


@attrs.frozen(repr=False)
class SandboxIdentity:
    """Who is who in the sandbox: the merchant (its number, appid, API certificate serial and key pair) and
    WeChat Pay (its public key id and key pair), and the APIv3 key they share."""

    mchid: str
    appid: str
    merchant_serial: str
    merchant_key: rsa.RSAPrivateKey
    platform_serial: str
    platform_key: rsa.RSAPrivateKey
    apiv3_key: bytes

    def __repr__(self) -> str:
        return f"SandboxIdentity(mchid={self.mchid!r}, platform_serial={self.platform_serial!r}, keys='***')"

    @property
    def merchant_pem(self) -> str:
        """The merchant's private key as the settings would carry it (PEM, PKCS#8)."""
        return self.merchant_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def platform_public_pem(self) -> str:
        """WeChat Pay's public key as the merchant platform hands it out (``pub_key.pem``)."""
        return (
            self.platform_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


@functools.cache
def sandbox_identity() -> SandboxIdentity:
    """The process's sandbox identity, its keys made on first use."""
    return SandboxIdentity(
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        merchant_serial="3775B6A45ACD588826D15E583A95F5DD0A1B2C3D",
        merchant_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        platform_serial="PUB_KEY_ID_0119000001092026110100000000000001",
        platform_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        apiv3_key=b"sandbox-apiv3-key-of-no-value-00",
    )
