"""The audit trail's keys: secrets held outside the database that MAC every event, the head and checkpoints.

A hash chain proves only that the trail is consistent with itself: whoever can write to the database can delete
the newest events and move the head back, or change an event and hash everything after it again. A MAC under a
key the database never sees is what such a writer cannot make. The MAC is HMAC-SHA256 (RFC 2104): verifying a
trail checks one MAC per event, and at a few microseconds each that keeps verification at hundreds of thousands
of events a second, where an Ed25519 signature per event would cost ten times more to check and to write. The
price of a symmetric key is that whoever can verify can also MAC: keep the key with the processes that write and
with the auditors, never in the database or on its host's disk.

Each MAC is over a domain-separated message, so that no MAC can stand in for another kind:

- an event: ``creatorkit/audit/event/v1`` U+001F, then the 32 bytes of the event's SHA-256 hash (which covers
  its key id, its sequence and the hash of the event before it);
- the head: ``creatorkit/audit/head/v1`` U+001F, then ``<sequence>`` U+001F ``<hash>`` (ASCII);
- a checkpoint: ``creatorkit/audit/checkpoint/v1`` U+001F, then its fields joined with U+001F.

A key is at least 32 random bytes, given in base64 (``generate_audit_key()`` makes one). Its id is derived from
it (``ak_`` and 16 hex digits of a SHA-256 over the key), so events can name the key that MACs them without
anyone naming keys by hand, and two keys can never share an id. Processes take their keys from the environment
(:meth:`AuditKeys.from_environment`): ``CREATORKIT_AUDIT_KEY`` is the key they write with and
``CREATORKIT_AUDIT_OLD_KEYS`` (separated by commas or whitespace) the retired ones, needed to verify what those
MAC'd. A secret store can supply them instead: build :class:`AuditKeys` and pass it to
:func:`creatorkit.store.open_store`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from .._env_keys import read_keys
from ..errors import ConfigError, Problem

__all__ = [
    "AUDIT_KEY_ENV",
    "AUDIT_OLD_KEYS_ENV",
    "MIN_KEY_BYTES",
    "AuditKey",
    "AuditKeys",
    "generate_audit_key",
]

AUDIT_KEY_ENV = "CREATORKIT_AUDIT_KEY"
"""The environment variable holding the key a process MACs what it writes with (base64)."""

AUDIT_OLD_KEYS_ENV = "CREATORKIT_AUDIT_OLD_KEYS"
"""The environment variable holding retired keys (base64, separated by commas or whitespace), to verify with."""

MIN_KEY_BYTES = 32
"""The shortest key accepted: a key id is a hash of the key, so a short one could be found from its id."""

_KEY_ID = b"creatorkit/audit/key-id\x1f"
_EVENT = b"creatorkit/audit/event/v1\x1f"
_HEAD = b"creatorkit/audit/head/v1\x1f"
_CHECKPOINT = b"creatorkit/audit/checkpoint/v1\x1f"
_BLOCK = 64  # SHA-256's block size, which HMAC pads the key to


def generate_audit_key() -> str:
    """A new random key (32 bytes, base64) for ``CREATORKIT_AUDIT_KEY``."""
    return base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode("ascii")


def _pads(secret: bytes) -> tuple[Any, Any]:
    """SHA-256 states after HMAC's inner and outer key blocks (RFC 2104), to start every MAC from."""
    block = (hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret).ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def _key_id(secret: bytes) -> str:
    return "ak_" + hashlib.sha256(_KEY_ID + secret).hexdigest()[:16]


def _check_secret(instance: Any, attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"an audit key is bytes, not {type(value).__name__}")
    if len(value) < MIN_KEY_BYTES:
        raise ValueError(f"an audit key has at least {MIN_KEY_BYTES} bytes, this one {len(value)}")


@attrs.frozen(repr=False)
class AuditKey:
    """One key: its secret bytes and the id derived from them. Its repr shows the id only."""

    secret: bytes = attrs.field(validator=_check_secret)
    id: str = attrs.field(init=False, default=attrs.Factory(lambda self: _key_id(self.secret), takes_self=True))
    # HMAC's padded key blocks, hashed once: an event's MAC then costs two short SHA-256 steps, nothing more.
    _pads: tuple[Any, Any] = attrs.field(
        init=False, eq=False, default=attrs.Factory(lambda self: _pads(self.secret), takes_self=True)
    )
    _event_inner: Any = attrs.field(
        init=False, eq=False, default=attrs.Factory(lambda self: _event_start(self), takes_self=True)
    )

    def __repr__(self) -> str:
        return f"AuditKey(id={self.id!r})"

    @classmethod
    def from_base64(cls, text: str, *, where: str = "audit key") -> AuditKey:
        """The key ``text`` spells (base64); a ConfigError naming ``where`` (never the value) otherwise."""
        try:
            secret = base64.b64decode(text.strip().encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ConfigError([Problem(where, "is not base64")]) from None
        if len(secret) < MIN_KEY_BYTES:
            message = f"decodes to {len(secret)} bytes; an audit key has at least {MIN_KEY_BYTES} random bytes"
            raise ConfigError([Problem(where, message)])
        return cls(secret)

    def event_mac(self, digest: bytes) -> str:
        """The MAC (hex) of the event whose SHA-256 hash is ``digest`` (its 32 raw bytes)."""
        inner, outer = self._hmac_starts()
        step = inner.copy()
        step.update(digest)
        last = outer.copy()
        last.update(step.digest())
        return str(last.hexdigest())

    def _hmac_starts(self) -> tuple[Any, Any]:
        """The SHA-256 states an event's HMAC starts from (inner: key block and domain; outer: key block).

        Copy them, never update them: verification writes :meth:`event_mac`'s few steps out in its loop.
        """
        return self._event_inner, self._pads[1]

    def head_mac(self, sequence: int, hash: str) -> str:
        """The MAC (hex) of a head at ``sequence`` with ``hash``."""
        return self._mac(_HEAD, f"{sequence}\x1f{hash}".encode("ascii"))

    def checkpoint_mac(self, fields: tuple[str, ...]) -> str:
        """The MAC (hex) of a checkpoint, given its fields in their fixed order."""
        return self._mac(_CHECKPOINT, "\x1f".join(fields).encode())

    def _mac(self, domain: bytes, message: bytes) -> str:
        return hmac.new(self.secret, domain + message, hashlib.sha256).hexdigest()


def _event_start(key: AuditKey) -> Any:
    inner = key._pads[0].copy()
    inner.update(_EVENT)
    return inner


def _as_tuple(keys: Iterable[AuditKey]) -> tuple[AuditKey, ...]:
    return tuple(keys)


def _unique(instance: AuditKeys, attribute: attrs.Attribute[tuple[AuditKey, ...]], old: tuple[AuditKey, ...]) -> None:
    ids = [key.id for key in old]
    if instance.current is not None:
        ids.append(instance.current.id)
    repeated = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
    if repeated:
        raise ValueError(f"audit key {repeated[0]} is listed twice (the current key is never also an old one)")


@attrs.frozen
class AuditKeys:
    """The keys one process holds: ``current`` MACs what it writes; ``old`` ones only verify what they MAC'd.

    Empty (no current key, no old ones) is a valid set: the trail is then written without MACs, and verifying it
    proves only that it is consistent with itself. ``bool(keys)`` is whether any key is held.
    """

    current: AuditKey | None = None
    old: tuple[AuditKey, ...] = attrs.field(default=(), converter=_as_tuple, validator=_unique)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> AuditKeys:
        """The keys in ``CREATORKIT_AUDIT_KEY`` and ``CREATORKIT_AUDIT_OLD_KEYS``; none when they are unset."""
        env = os.environ if env is None else env
        current, old = read_keys(
            env, AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV, lambda text, where: AuditKey.from_base64(text, where=where)
        )
        try:
            return cls(current, old)
        except ValueError as exc:
            raise ConfigError([Problem(AUDIT_OLD_KEYS_ENV, str(exc))]) from None

    def __bool__(self) -> bool:
        return self.current is not None or bool(self.old)

    def __iter__(self) -> Iterator[AuditKey]:
        if self.current is not None:
            yield self.current
        yield from self.old

    def get(self, key_id: str) -> AuditKey | None:
        """The held key with id ``key_id``, current or old; None when this process does not hold it."""
        return next((key for key in self if key.id == key_id), None)
