"""Platform tokens at rest: a masked :class:`Secret`, the keys that seal tokens, and the PKCE helpers.

An access or refresh token a platform issues is a password to an account: whoever holds it acts as the brand or
the creator on that platform. creatorkit therefore never writes one in plaintext: not in the store, not in an
audit event, not in a log record, a repr, an error message or the CLI's output.

- A token in memory is a :class:`Secret`: its repr and str are ``***``; :meth:`Secret.reveal` is the one way to
  the text, for the request that carries it. It refuses to be pickled.
- A token in the store is sealed with XChaCha20-Poly1305 (libsodium, through PyNaCl) under a key the database
  never sees, with the record it belongs to as associated data: a sealed token copied onto another connection
  does not open there.
- The key comes from the environment: ``CREATORKIT_TOKEN_KEY`` (32 random bytes in base64;
  :func:`generate_token_key` makes one) seals, and ``CREATORKIT_TOKEN_OLD_KEYS`` (separated by commas or
  whitespace) holds retired keys that still open what they sealed, during a rotation. An app that keeps its keys
  in a secret store builds :class:`TokenKeys` itself, or supplies any :class:`TokenCipher` (a KMS that seals with
  an encryption context, say), and passes it to :class:`~creatorkit.Creatorkit`.

A key's id is derived from it (``tk_`` and 16 hex digits of a SHA-256 over the key), so each sealed token names
the key it needs without anyone naming keys by hand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NoReturn, Protocol

import attrs

from ._env_keys import read_keys
from .errors import ConfigError, Problem, StoreError

__all__ = [
    "TOKEN_KEY_BYTES",
    "TOKEN_KEY_ENV",
    "TOKEN_OLD_KEYS_ENV",
    "Secret",
    "TokenCipher",
    "TokenKey",
    "TokenKeys",
    "TokenPair",
    "generate_token_key",
    "new_code_verifier",
    "new_state",
    "pkce_challenge",
]

TOKEN_KEY_ENV = "CREATORKIT_TOKEN_KEY"
"""The environment variable holding the key tokens are sealed with (base64 of 32 random bytes)."""

TOKEN_OLD_KEYS_ENV = "CREATORKIT_TOKEN_OLD_KEYS"
"""The environment variable holding retired token keys (base64, separated by commas or whitespace), to open with."""

TOKEN_KEY_BYTES = 32
"""The size of a token key: XChaCha20-Poly1305 takes exactly 32 bytes."""

_KEY_ID = b"creatorkit/token/key-id\x1f"
_CIPHER = "xchacha20poly1305-ietf"


class Secret:
    """A value that must never be shown: a token, a code verifier. ``repr``, ``str`` and formatting say ``***``.

    :meth:`reveal` gives the text, for the one place it belongs (a request header, the cipher). Two secrets are
    equal when their texts are (compared in constant time). Pickling is refused: a pickle is plaintext on disk.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds text, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret text itself. Put it where it is needed and nowhere else."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: the pickle would hold it in plaintext")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


@attrs.frozen(kw_only=True)
class TokenPair:
    """The tokens of one connection or grant, as a refresh or revoke hook is given them."""

    access_token: Secret = attrs.field(converter=Secret)
    #: ``None`` when the platform issued none (a token that never expires, or one refreshed with itself).
    refresh_token: Secret | None = attrs.field(default=None, converter=attrs.converters.optional(Secret))


# -- keys ------------------------------------------------------------------------------------------------------


def generate_token_key() -> str:
    """A new random key (32 bytes, base64) for ``CREATORKIT_TOKEN_KEY``."""
    return base64.b64encode(secrets.token_bytes(TOKEN_KEY_BYTES)).decode("ascii")


def _key_id(secret: bytes) -> str:
    return "tk_" + hashlib.sha256(_KEY_ID + secret).hexdigest()[:16]


def _check_secret(instance: Any, attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"a token key is bytes, not {type(value).__name__}")
    if len(value) != TOKEN_KEY_BYTES:
        raise ValueError(f"a token key has {TOKEN_KEY_BYTES} bytes, this one {len(value)}")


@attrs.frozen(repr=False)
class TokenKey:
    """One key: its secret bytes and the id derived from them. Its repr shows the id only."""

    secret: bytes = attrs.field(validator=_check_secret)
    id: str = attrs.field(init=False, default=attrs.Factory(lambda self: _key_id(self.secret), takes_self=True))

    def __repr__(self) -> str:
        return f"TokenKey(id={self.id!r})"

    @classmethod
    def from_base64(cls, text: str, *, where: str = TOKEN_KEY_ENV) -> TokenKey:
        """The key ``text`` spells (base64); a ConfigError naming ``where`` (never the value) otherwise."""
        try:
            secret = base64.b64decode(text.strip().encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ConfigError([Problem(where, "is not base64")]) from None
        if len(secret) != TOKEN_KEY_BYTES:
            message = f"decodes to {len(secret)} bytes; a token key is {TOKEN_KEY_BYTES} random bytes"
            raise ConfigError([Problem(where, f"{message} (make one with creatorkit.tokens.generate_token_key())")])
        return cls(secret)


class TokenCipher(Protocol):
    """What seals tokens for the store and opens them again: :class:`TokenKeys`, or an app's own (a KMS).

    ``associated_data`` names the record a sealed value belongs to; a value sealed for one record must not open
    for another. A cipher that cannot seal (no key) or open (the key is gone) raises
    :class:`~creatorkit.errors.ConfigError`; a sealed value that does not open under its key (altered, or moved
    from another record) raises :class:`~creatorkit.errors.StoreError`. The sealed form is plain text fields,
    stored as they are; never the plaintext, of course.
    """

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> dict[str, str]: ...

    def open(self, sealed: Mapping[str, str], *, associated_data: bytes) -> bytes: ...


def _as_tuple(keys: Iterable[TokenKey]) -> tuple[TokenKey, ...]:
    return tuple(keys)


def _unique(instance: TokenKeys, attribute: attrs.Attribute[tuple[TokenKey, ...]], old: tuple[TokenKey, ...]) -> None:
    ids = [key.id for key in old] + ([instance.current.id] if instance.current is not None else [])
    repeated = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
    if repeated:
        raise ValueError(f"token key {repeated[0]} is listed twice (the current key is never also an old one)")


@attrs.frozen
class TokenKeys:
    """The token keys one process holds: ``current`` seals, every key opens what it sealed.

    A :class:`TokenCipher` over XChaCha20-Poly1305 (libsodium's ``crypto_aead_xchacha20poly1305_ietf``): a random
    24-byte nonce per seal, so one key can seal any number of tokens, and a 16-byte tag that also covers the
    associated data.
    """

    current: TokenKey | None = None
    old: tuple[TokenKey, ...] = attrs.field(default=(), converter=_as_tuple, validator=_unique)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> TokenKeys:
        """The keys in ``CREATORKIT_TOKEN_KEY`` and ``CREATORKIT_TOKEN_OLD_KEYS``.

        Unset variables are no keys (sealing then fails, naming the variable); a malformed one is a ConfigError
        at once.
        """
        env = os.environ if env is None else env
        current, old = read_keys(
            env, TOKEN_KEY_ENV, TOKEN_OLD_KEYS_ENV, lambda text, where: TokenKey.from_base64(text, where=where)
        )
        try:
            return cls(current, old)
        except ValueError as exc:
            raise ConfigError([Problem(TOKEN_OLD_KEYS_ENV, str(exc))]) from None

    def __iter__(self) -> Iterator[TokenKey]:
        if self.current is not None:
            yield self.current
        yield from self.old

    def get(self, key_id: str) -> TokenKey | None:
        return next((key for key in self if key.id == key_id), None)

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> dict[str, str]:
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt
        from nacl.utils import random

        key = self.current
        if key is None:
            raise ConfigError(
                [
                    Problem(
                        TOKEN_KEY_ENV,
                        "is not set: platform tokens are stored encrypted and need a key (32 random bytes in "
                        "base64; make one with creatorkit.tokens.generate_token_key())",
                    )
                ]
            )
        nonce = random(24)
        box = crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated_data, nonce, key.secret)
        return {"cipher": _CIPHER, "key_id": key.id, "box": base64.b64encode(nonce + box).decode("ascii")}

    def open(self, sealed: Mapping[str, str], *, associated_data: bytes) -> bytes:
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
        from nacl.exceptions import CryptoError

        if sealed.get("cipher") != _CIPHER:
            raise StoreError(f"a sealed token names cipher {sealed.get('cipher')!r}, not {_CIPHER!r}")
        key_id = str(sealed.get("key_id", ""))
        key = self.get(key_id)
        if key is None:
            held = ", ".join(k.id for k in self) or "none"
            raise ConfigError(
                [
                    Problem(
                        TOKEN_KEY_ENV,
                        f"a stored token is sealed with key {key_id}, which neither {TOKEN_KEY_ENV} nor "
                        f"{TOKEN_OLD_KEYS_ENV} holds (keys held: {held})",
                    )
                ]
            )
        try:
            raw = base64.b64decode(sealed.get("box", ""), validate=True)
            return crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], associated_data, raw[:24], key.secret)
        except (binascii.Error, ValueError, CryptoError):
            raise StoreError(
                f"a stored token does not open under its key {key_id}: it was altered, or belongs to another record"
            ) from None


# -- OAuth helpers ---------------------------------------------------------------------------------------------


def new_state() -> str:
    """A fresh OAuth ``state``: 32 random bytes, URL-safe, that the platform sends back with the code."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636 §4.1): 64 characters from the unreserved set."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """The ``S256`` code challenge of ``verifier`` (RFC 7636 §4.2): base64url of its SHA-256, without padding.

    A platform with its own encoding (TikTok's desktop flow takes the hex digest) computes it itself.
    """
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
