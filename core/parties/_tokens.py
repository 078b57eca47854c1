"""Tokens at rest and in use: sealed into the store, and handed to plugins by a source that renews them once.

**At rest.** A connection's or grant's tokens are one sealed document of kind ``sealed_token`` with the same id,
written through the services' write path like any record: the audit event of the call that wrote it covers its
digest (so verification notices one changed underneath), and its payload never holds a token. What is sealed
is the JSON of the pair; the associated data is the owner's kind and id, so a sealed pair copied onto another
record does not open. A pending authorisation's PKCE verifier is sealed the same way. When a record ends
(revoked, expired, its flow finished) its sealed document is emptied: the database keeps no token it no longer
needs.

**In use.** :class:`StoredTokenSource` is the :class:`~creatorkit.host.TokenSource` of a call context. It renews
the access token when it is about to expire (within a tenth of its lifetime, at most :data:`REFRESH_MARGIN`) or
when the plugin reports that the platform refused it, and does so once however many callers ask:

- threads of one process queue on a lock per authorisation, and each re-reads the store when its turn comes;
- processes sharing PostgreSQL lock the sealed document's row for the length of the renewal (the platform call
  included): the others wait on the row, then read what the first stored;
- on SQLite, whose write transaction would hold the whole database during the platform call, the platform is
  called outside any transaction and the answer stored only if neither document moved meanwhile (their
  versions): otherwise the stored token wins and the answer is dropped.

The new pair and the record's new expiry are written in one transaction: a crash before its commit leaves the
old pair, whole. A platform that will not renew (``AuthExpired`` from the refresh hook, or a refresh token past
its stated expiry) marks the record ``expired`` or ``revoked`` and raises ``AuthExpired`` naming it and saying
what to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import orjson

from .._call_context import CallContext
from .._change import Change, View
from .._redaction import scrub_error
from .._service import Service
from ..entities import Actor, AuthorizationStatus, Connection, Grant, IssuedTokens
from ..errors import AuthExpired, ConfigError, CreatorkitError, Problem, StoreError
from ..tokens import Secret, TokenPair

if TYPE_CHECKING:
    from ..store import Record

__all__ = [
    "REFRESH_MARGIN",
    "SEALED_KIND",
    "SealedToken",
    "StoredTokenSource",
    "TokenRefresher",
    "instant_after",
    "keeping_secret",
    "reauthorize_action",
]

_log = logging.getLogger("creatorkit.connections")

T = TypeVar("T")
Authorization = Connection | Grant

#: The store kind of sealed tokens (and sealed PKCE verifiers); a sealed document has its owner's id.
SEALED_KIND = "sealed_token"
#: Renew an access token this long before it expires, at most (a short-lived one: a tenth of its lifetime).
REFRESH_MARGIN = timedelta(minutes=5)
_AD_PREFIX = b"creatorkit/token/v1\x1f"
_SYSTEM = Actor.system()


@attrs.frozen(kw_only=True)
class SealedToken:
    """The stored form of one owner's secrets: what the cipher made of them, or ``{}`` once spent."""

    id: str
    #: The store kind of the record the secrets belong to (``connection``, ``grant``, ``authorization_request``).
    owner_kind: str
    sealed: dict[str, str] = attrs.field(factory=dict)
    sealed_at: datetime


@contextmanager
def keeping_secret(*values: Secret | str | None) -> Iterator[None]:
    """Scrub ``values`` out of any SDK error raised inside: a plugin's message must not carry a token onwards."""
    try:
        yield
    except CreatorkitError as exc:
        scrub_error(exc, {v.reveal() if isinstance(v, Secret) else v for v in values if v})
        raise


def instant_after(now: datetime, seconds: int | None) -> datetime | None:
    """When something the platform said lasts ``seconds`` from ``now`` runs out; ``None`` if it said nothing."""
    return None if seconds is None else now + timedelta(seconds=seconds)


def reauthorize_action(authorization: Authorization) -> str:
    """What to do when ``authorization`` can no longer be used, as ``AuthExpired.action`` says it."""
    if isinstance(authorization, Grant):
        return f"ask creator {authorization.creator_id} to authorise {authorization.platform} again"
    return f"connect the account again: creatorkit connect {authorization.platform}"


def _kind_of(authorization: Authorization) -> str:
    return "grant" if isinstance(authorization, Grant) else "connection"


def _issued_at(authorization: Authorization) -> datetime:
    if authorization.refreshed_at is not None:
        return authorization.refreshed_at
    return authorization.granted_at if isinstance(authorization, Grant) else authorization.connected_at


def _ended(
    authorization: Authorization, message: str, *, revoked: bool, cause: AuthExpired | None = None
) -> AuthExpired:
    kind = _kind_of(authorization)
    return AuthExpired(
        authorization.platform,
        message,
        connection_id=authorization.id if kind == "connection" else None,
        grant_id=authorization.id if kind == "grant" else None,
        action=reauthorize_action(authorization),
        revoked=revoked,
        code=cause.code if cause is not None else None,
        request_id=cause.request_id if cause is not None else None,
    )


def not_usable(authorization: Authorization) -> AuthExpired:
    """The error for a record that is no longer active."""
    revoked = authorization.status is AuthorizationStatus.REVOKED
    return _ended(authorization, "it was revoked" if revoked else "its tokens expired", revoked=revoked)


class TokenVault:
    """Seals secrets into the store and opens them again, through the kit's cipher."""

    def __init__(self, cipher: Callable[[], Any]) -> None:
        self._cipher = cipher

    @staticmethod
    def associated_data(owner_kind: str, owner_id: str) -> bytes:
        return _AD_PREFIX + owner_kind.encode() + b"\x1f" + owner_id.encode()

    def seal(
        self, change: Change, owner_kind: str, owner_id: str, secrets: dict[str, str | None], *, workspace: str
    ) -> None:
        """Store ``secrets`` sealed for ``owner_kind`` ``owner_id``, over whatever is sealed for it already."""
        plaintext = orjson.dumps(secrets)
        sealed = self._cipher().seal(plaintext, associated_data=self.associated_data(owner_kind, owner_id))
        document = SealedToken(id=owner_id, owner_kind=owner_kind, sealed=dict(sealed), sealed_at=change.now)
        self._write(change, document, workspace)

    def spend(self, change: Change, owner_kind: str, owner_id: str, *, workspace: str) -> None:
        """Empty what is sealed for the owner: it is no longer needed, so the database no longer keeps it."""
        if change.get(SEALED_KIND, owner_id) is not None:
            self._write(change, SealedToken(id=owner_id, owner_kind=owner_kind, sealed_at=change.now), workspace)

    def _write(self, change: Change, document: SealedToken, workspace: str) -> None:
        existing = change.get(SEALED_KIND, document.id)
        if existing is None:
            change.insert(SEALED_KIND, document, workspace=workspace, parent=document.id)
        else:
            change.replace(SEALED_KIND, document, expected_version=existing.version)

    def open(self, view: View, owner_kind: str, owner_id: str, record: Record | None = None) -> dict[str, str | None]:
        """What is sealed for the owner; ``{}`` when it was spent or never sealed."""
        record = view.get(SEALED_KIND, owner_id) if record is None else record
        if record is None:
            return {}
        document = view.entity(record, SealedToken)
        if not document.sealed:
            return {}
        what = f"the tokens of {owner_kind} {owner_id}"
        if document.owner_kind != owner_kind or document.id != owner_id:
            raise StoreError(f"{what}: the sealed document belongs to {document.owner_kind} {document.id}")
        try:
            plaintext = self._cipher().open(document.sealed, associated_data=self.associated_data(owner_kind, owner_id))
        except ConfigError as exc:
            raise ConfigError([Problem(p.path, f"{what}: {p.message}") for p in exc.problems]) from None
        except StoreError as exc:
            raise StoreError(f"{what}: {exc}") from None
        opened: dict[str, str | None] = orjson.loads(plaintext)
        return opened

    def reseal(self, change: Change) -> int:
        """Seal again, with the cipher's current key, every secret another key sealed; how many there were."""
        current = getattr(self._cipher(), "current", None)  # TokenKeys name their key; another cipher reseals all
        count = 0
        for record in change.records(SEALED_KIND):
            document = change.entity(record, SealedToken)
            if not document.sealed or (current is not None and document.sealed.get("key_id") == current.id):
                continue
            secrets = self.open(change, document.owner_kind, document.id, record)
            self.seal(change, document.owner_kind, document.id, secrets, workspace=record.workspace or "")
            count += 1
        return count

    def open_pair(self, view: View, owner_kind: str, owner_id: str, record: Record | None = None) -> TokenPair | None:
        secrets = self.open(view, owner_kind, owner_id, record)
        access = secrets.get("access_token")
        if not access:
            return None
        return TokenPair(access_token=access, refresh_token=secrets.get("refresh_token") or None)

    def seal_pair(self, change: Change, owner_kind: str, owner_id: str, pair: TokenPair, *, workspace: str) -> None:
        refresh = pair.refresh_token.reveal() if pair.refresh_token is not None else None
        secrets: dict[str, str | None] = {"access_token": pair.access_token.reveal(), "refresh_token": refresh}
        self.seal(change, owner_kind, owner_id, secrets, workspace=workspace)


@attrs.frozen
class _Current:
    """An authorisation and its tokens as stored, with both documents' versions (what a later write checks)."""

    authorization: Authorization
    pair: TokenPair
    record_version: int
    sealed_version: int


@attrs.frozen
class _Refusal:
    """The platform would not renew: raised once the record's new status is committed."""

    error: AuthExpired


# One lock per stored authorisation, shared by every kit of the process on the same store.
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(store_url: str, owner_id: str) -> threading.Lock:
    key = (store_url, owner_id)
    lock = _LOCKS.get(key)
    if lock is None:
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(key, threading.Lock())
    return lock


class TokenRefresher(Service):
    """Reads a connection's or grant's tokens and renews them at its platform, once, storing what it answers."""

    def __init__(self, kit: Any, *, margin: timedelta = REFRESH_MARGIN) -> None:
        super().__init__(kit)
        self.margin = margin
        self.vault = TokenVault(lambda: kit.token_cipher)

    # -- reading -----------------------------------------------------------------------------------------------

    def current(self, kind: str, id: str) -> _Current:
        """The stored authorisation and its tokens; AuthExpired when it is no longer active."""
        with self._kit.store._read_transaction() as tx:
            return self._current_in(View(tx, self._kit._entities), kind, id)

    def _current_in(self, view: View, kind: str, id: str, sealed: Record | None = None) -> _Current:
        record = view.require(kind, id)
        authorization: Authorization = (
            view.entity(record, Grant) if kind == "grant" else view.entity(record, Connection)
        )
        if authorization.status is not AuthorizationStatus.ACTIVE:
            raise not_usable(authorization)
        sealed = view.get(SEALED_KIND, id) if sealed is None else sealed
        pair = self.vault.open_pair(view, kind, id, sealed)
        if pair is None or sealed is None:
            raise StoreError(f"{kind} {id} is active but holds no sealed tokens")
        return _Current(authorization, pair, record.version, sealed.version)

    def renew_at(self, authorization: Authorization) -> datetime | None:
        """When the access token is close enough to its stated expiry to be renewed first; None: never."""
        expires_at = authorization.expires_at
        if expires_at is None:
            return None
        lifetime = expires_at - _issued_at(authorization)
        margin = min(self.margin, lifetime / 10) if lifetime > timedelta(0) else timedelta(0)
        return expires_at - margin

    def due(self, authorization: Authorization) -> bool:
        """Whether the access token is to be renewed before it is used."""
        renew_at = self.renew_at(authorization)
        return renew_at is not None and self._now() >= renew_at

    def _needs_renewal(self, current: _Current, stale: Secret) -> bool:
        return current.pair.access_token == stale or self.due(current.authorization)

    # -- renewing ----------------------------------------------------------------------------------------------

    def renew(self, kind: str, id: str, stale: Secret) -> _Current:
        """The tokens after renewing ``stale`` (refused by the platform, or about to expire), once for everyone.

        A caller whose ``stale`` token was already replaced gets the replacement without any platform call.
        """
        with _lock_for(self._kit.store.url, id):
            current = self.current(kind, id)
            if not self._needs_renewal(current, stale):
                return current
            if self._kit.store.locks_rows:
                outcome = self._transaction(lambda change: self._renew_locked(change, kind, id, stale))
            else:
                outcome = self._renew_then_check(current)
        if isinstance(outcome, _Refusal):
            raise outcome.error
        return outcome

    def _renew_locked(self, change: Change, kind: str, id: str, stale: Secret) -> _Current | _Refusal:
        # Every other process renewing this authorisation waits on this row until the commit, then reads ours.
        sealed = change.lock(SEALED_KIND, id)
        current = self._current_in(change, kind, id, sealed)
        if not self._needs_renewal(current, stale):
            return current
        try:
            answer = self._ask_platform(current.authorization, current.pair)
        except AuthExpired as refused:
            return self._record_refusal(change, current, refused)
        return self._store_answer(change, current, answer)

    def _renew_then_check(self, current: _Current) -> _Current | _Refusal:
        try:
            answer: IssuedTokens | AuthExpired = self._ask_platform(current.authorization, current.pair)
        except AuthExpired as refused:
            answer = refused
        kind, id = _kind_of(current.authorization), current.authorization.id

        def store(change: Change) -> _Current | _Refusal:
            record = change.require(kind, id)
            sealed = change.require(SEALED_KIND, id)
            if (record.version, sealed.version) != (current.record_version, current.sealed_version):
                # Another writer renewed (or ended) it while the platform answered us: what it stored stands.
                return self._current_in(change, kind, id, sealed)
            if isinstance(answer, AuthExpired):
                return self._record_refusal(change, current, answer)
            return self._store_answer(change, current, answer)

        return self._transaction(store)

    def _ask_platform(self, authorization: Authorization, pair: TokenPair) -> IssuedTokens:
        now = self._now()
        if authorization.refresh_expires_at is not None and now >= authorization.refresh_expires_at:
            stated = authorization.refresh_expires_at.isoformat()
            raise AuthExpired(authorization.platform, f"its refresh token expired at {stated}, as the platform stated")
        grant = authorization if isinstance(authorization, Grant) else None
        connection = authorization if isinstance(authorization, Connection) else None
        context = CallContext(
            workspace_id=authorization.workspace_id, connection=connection, grant=grant, clock=self._kit.clock
        )
        client = self._kit.plugins.platform(authorization.platform)
        with keeping_secret(pair.access_token, pair.refresh_token):
            answer: IssuedTokens = client.refresh_tokens(authorization=authorization, tokens=pair, context=context)
        return answer

    def _store_answer(self, change: Change, current: _Current, answer: IssuedTokens) -> _Current:
        before = current.authorization
        now = change.now
        rotated = answer.refresh_token is not None and answer.refresh_token != current.pair.refresh_token
        pair = TokenPair(
            access_token=answer.access_token, refresh_token=answer.refresh_token or current.pair.refresh_token
        )
        if answer.refresh_expires_in is not None:
            refresh_expires_at = instant_after(now, answer.refresh_expires_in)
        else:  # a new refresh token whose expiry went unstated has none we know; an unchanged one keeps its own
            refresh_expires_at = None if rotated else before.refresh_expires_at
        changes: dict[str, Any] = {
            "expires_at": instant_after(now, answer.expires_in),
            "refresh_expires_at": refresh_expires_at,
            "refreshed_at": now,
            "scopes": before.scopes if answer.scopes is None else answer.scopes,
            "details": {**before.details, **answer.details},
        }
        if isinstance(before, Connection) and answer.account_name:
            changes["account_name"] = answer.account_name
        if isinstance(before, Grant) and answer.handle:
            changes["handle"] = answer.handle
        after = attrs.evolve(before, **changes)
        kind = _kind_of(before)
        self.vault.seal_pair(change, kind, before.id, pair, workspace=before.workspace_id)
        version = change.replace(kind, after, expected_version=current.record_version)
        change.audit(
            f"{kind}.refresh",
            kind,
            before.id,
            {
                "expires_at": _iso(after.expires_at),
                "refresh_expires_at": _iso(after.refresh_expires_at),
                "scopes": list(after.scopes),
                "refresh_token_rotated": rotated,
            },
            workspace=before.workspace_id,
        )
        change.event(f"{kind}.refreshed", kind, before.id, platform=before.platform)
        _log.info(
            "renewed the tokens of %s %s (%s); they expire at %s", kind, before.id, before.platform, after.expires_at
        )
        sealed = change.require(SEALED_KIND, before.id)
        return _Current(after, pair, version, sealed.version)

    def _record_refusal(self, change: Change, current: _Current, refused: AuthExpired) -> _Refusal:
        before = current.authorization
        kind = _kind_of(before)
        status = AuthorizationStatus.REVOKED if refused.revoked else AuthorizationStatus.EXPIRED
        after = attrs.evolve(before, status=status, revoked_at=change.now if refused.revoked else before.revoked_at)
        change.replace(kind, after, expected_version=current.record_version, state=str(status))
        self.vault.spend(change, kind, before.id, workspace=before.workspace_id)
        reason = _reason(refused)
        change.audit(
            f"{kind}.{status}", kind, before.id, {"reason": reason, "code": refused.code}, workspace=before.workspace_id
        )
        change.event(f"{kind}.{status}", kind, before.id, platform=before.platform)
        _log.warning("%s %s (%s) is %s: %s", kind, before.id, before.platform, status, reason)
        message = f"the platform will not renew its tokens: {reason}"
        return _Refusal(_ended(after, message, revoked=refused.revoked, cause=refused))

    def _transaction(self, work: Callable[[Change], T]) -> T:
        """``work`` in one write transaction as the system; it may also find nothing to write."""
        kit = self._kit
        with kit.store._write_transaction() as tx:
            change = Change(
                tx, kit._entities, _SYSTEM, self._now(), kit.config.workflow, announce=kit.plugins.listening
            )
            result = work(change)
            if change.audited:
                change.flush_audit()
            elif tx._written:
                raise AssertionError("a token renewal wrote without an audit event")
        for event in change.events:
            kit.plugins.notify(event)
        return result


def _reason(refused: AuthExpired) -> str:
    """The platform's refusal without the ``platform:`` its message starts with."""
    text = str(refused)
    prefix = f"{refused.platform}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class StoredTokenSource:
    """The :class:`~creatorkit.host.TokenSource` of one stored connection or grant.

    It keeps the tokens it last read in memory, with when to renew them, and reads the store again only to
    renew: when they are about to expire, or when the plugin reports that the platform refused one.
    """

    def __init__(self, refresher: TokenRefresher, kind: str, id: str) -> None:
        self._refresher = refresher
        self.kind = kind
        self.id = id
        # (the tokens as last read, when to renew them): replaced whole, so threads never see half of it.
        self._known: tuple[_Current, datetime | None] | None = None

    def __repr__(self) -> str:
        return f"<StoredTokenSource {self.kind} {self.id}>"

    def _remember(self, current: _Current) -> tuple[_Current, datetime | None]:
        known = (current, self._refresher.renew_at(current.authorization))
        self._known = known
        return known

    def access_token(self) -> str:
        known = self._known or self._remember(self._refresher.current(self.kind, self.id))
        current, renew_at = known
        if renew_at is not None and self._refresher._now() >= renew_at:
            current = self._remember(self._refresher.renew(self.kind, self.id, current.pair.access_token))[0]
        return current.pair.access_token.reveal()

    def refresh(self, rejected: str) -> str:
        current = self._remember(self._refresher.renew(self.kind, self.id, Secret(rejected)))[0]
        return current.pair.access_token.reveal()

    @property
    def authorization(self) -> Authorization:
        """The record as this source last read it (its expiry moves as it renews)."""
        known = self._known or self._remember(self._refresher.current(self.kind, self.id))
        return known[0].authorization
