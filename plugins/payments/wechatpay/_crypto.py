"""WeChat Pay APIv3's cryptography: the merchant's request signature, the platform's answer and notification
signatures, the notification resource's AEAD_AES_256_GCM and the RSA-OAEP of sensitive fields.

* A request is signed with the merchant's RSA private key (SHA256withRSA, PKCS#1 v1.5) over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` and sent as ``Authorization: WECHATPAY2-SHA256-RSA2048
  mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"``.
* An answer or a notification is signed by WeChat Pay over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (headers
  ``Wechatpay-Timestamp``, ``-Nonce``, ``-Signature``, ``-Serial``), with the key the serial names: a platform
  certificate's serial or a "WeChat Pay public key" id (``PUB_KEY_ID_…``). The keys are configured; a serial
  none of them has is an error naming it, never a reason to download certificates.
* A notification's ``resource`` is AES-256-GCM with the APIv3 key (32 bytes), its ``nonce`` and
  ``associated_data``; the ciphertext (base64) ends with the 16-byte tag.
* Sensitive request fields (a receiver's ``name``) are RSA-OAEP (SHA-1, MGF1-SHA-1) with WeChat Pay's key, the
  key's id going in the ``Wechatpay-Serial`` header.

Nothing here shows a key: the objects' reprs name serials and merchant ids only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from creatorkit.errors import SignatureError

__all__ = [
    "AUTH_SCHEME",
    "MerchantSigner",
    "PlatformKeys",
    "SecretBytes",
    "decrypt_resource",
    "decrypt_sensitive",
    "encrypt_resource",
    "load_private_key",
    "load_public_key",
    "parse_authorization",
    "sign_with",
    "signed_message",
]

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


class SecretBytes:
    """A key held where reprs cannot show it (a plugin's ``vars()``, a traceback's locals)."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "SecretBytes('***')"


def signed_message(*parts: str | bytes) -> bytes:
    """The lines WeChat Pay signs: each part followed by a newline (the body as its raw bytes)."""
    return b"".join((part.encode() if isinstance(part, str) else part) + b"\n" for part in parts)


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The merchant's RSA private key from its PEM text (``apiclient_key.pem``); ``ValueError`` otherwise, without
    quoting the text."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("not a PEM private key (an unencrypted 'BEGIN PRIVATE KEY' block)") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError("WeChat Pay APIv3 signs with RSA keys of 2048 bits or more")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A WeChat Pay public key (``pub_key.pem``) or the public key of a platform certificate, from PEM text."""
    data = pem.strip().encode()
    try:
        key: object = (
            x509.load_pem_x509_certificate(data).public_key()
            if b"BEGIN CERTIFICATE" in data
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key or certificate") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay signs with RSA keys")
    return key


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


class MerchantSigner:
    """Signs requests as one merchant: its ``mchid``, the serial of its API certificate, its private key."""

    def __init__(self, mchid: str, serial_no: str, key: rsa.RSAPrivateKey) -> None:
        self.mchid = mchid
        self.serial_no = serial_no
        self._key = key

    def __repr__(self) -> str:
        return f"MerchantSigner(mchid={self.mchid!r}, serial_no={self.serial_no!r}, key='***')"

    def signature(self, message: bytes) -> str:
        return _sign(self._key, message)

    def authorization(self, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> str:
        """The ``Authorization`` header for one request; ``target`` is the path with its query, as sent."""
        signature = self.signature(signed_message(method.upper(), target, timestamp, nonce, body))
        return (
            f'{AUTH_SCHEME} mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.serial_no}"'
        )


def parse_authorization(header: str | None) -> dict[str, str] | None:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048`` header, or None when it is not one."""
    if not header or not header.startswith(AUTH_SCHEME + " "):
        return None
    return dict(_AUTH_FIELD.findall(header[len(AUTH_SCHEME) + 1 :]))


class PlatformKeys:
    """WeChat Pay's public keys the merchant has configured, by serial or public-key id."""

    def __init__(self, keys: Mapping[str, rsa.RSAPublicKey], *, signer: str = "wechatpay") -> None:
        self._keys = dict(keys)
        self.signer = signer

    def __repr__(self) -> str:
        return f"PlatformKeys({sorted(self._keys)})"

    @property
    def serials(self) -> list[str]:
        return sorted(self._keys)

    def key(self, serial: str) -> rsa.RSAPublicKey:
        """The key named ``serial``; a :class:`SignatureError` naming it when none is configured."""
        found = self._keys.get(serial)
        if found is None:
            known = ", ".join(self.serials) or "none"
            raise SignatureError(
                f"signed with WeChat Pay key {serial!r}, which is not configured (platform_keys has: {known}); "
                "add that key or certificate to platform_keys: certificates are never fetched while verifying",
                signer=self.signer,
            )
        return found

    def verify(self, serial: str, message: bytes, signature: str) -> None:
        """Check ``signature`` (base64) over ``message`` with the key ``serial`` names, or raise ``SignatureError``."""
        key = self.key(serial)
        try:
            key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureError(
                f"the signature does not verify with WeChat Pay key {serial!r}", signer=self.signer
            ) from None

    def encrypt(self, text: str, serial: str | None = None) -> tuple[str, str]:
        """``text`` encrypted for WeChat Pay (RSA-OAEP, SHA-1): the key's serial and the base64 ciphertext."""
        chosen = serial or (self.serials[0] if self.serials else "")
        key = self.key(chosen)
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        return chosen, base64.b64encode(key.encrypt(text.encode(), oaep)).decode("ascii")


def decrypt_resource(apiv3_key: bytes, nonce: str, associated_data: str, ciphertext: str, *, signer: str) -> bytes:
    """A notification's ``resource`` decrypted; a :class:`SignatureError` when it does not authenticate."""
    try:
        data = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode(), data, associated_data.encode() or None)
    except (InvalidTag, binascii.Error, ValueError):
        raise SignatureError(
            "the notification's resource does not decrypt with the APIv3 key (tampered, or another key)",
            signer=signer,
        ) from None


def encrypt_resource(apiv3_key: bytes, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """What WeChat Pay does to a notification's resource (the sandbox's side of :func:`decrypt_resource`)."""
    sealed = AESGCM(apiv3_key).encrypt(nonce.encode(), plaintext, associated_data.encode() or None)
    return base64.b64encode(sealed).decode("ascii")


def decrypt_sensitive(key: rsa.RSAPrivateKey, ciphertext: str) -> str:
    """A field :meth:`PlatformKeys.encrypt` sealed, opened with WeChat Pay's private key (the sandbox's side)."""
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    return key.decrypt(base64.b64decode(ciphertext), oaep).decode()


def sign_with(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA over ``message``, base64: how WeChat Pay signs (the sandbox's side of ``verify``)."""
    return _sign(key, message)
