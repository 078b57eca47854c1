"""The errors creatorkit raises.

Every error derives from :class:`CreatorkitError`, so an embedding app can catch the SDK's failures
with one ``except`` and still tell them apart::

    CreatorkitError
    ├── ConfigError                     the config file or a plugin's settings are wrong (every problem, with its key)
    ├── PluginError                     something about a plugin
    │   ├── PluginLoadError             an enabled plugin is missing, failed to import, or its name is taken twice
    │   ├── PluginContractError         a plugin broke the hook contract (bad output, undeclared capability)
    │   └── CapabilityMissing           the plugin does not offer the stage that was asked for
    ├── ValidationError                 input data is malformed (every problem, with its field path)
    ├── NotFound                        an entity id that does not exist (or is invisible to the acting party)
    ├── PermissionDenied                the acting party may not do this
    ├── StateError                      an illegal state change; names the state and the allowed moves
    │   └── ConflictError               someone else changed the entity first (optimistic concurrency)
    ├── SignatureError                  a forged, stale or misplaced signature
    ├── StoreError                      the store cannot be opened, migrated or written
    ├── PaymentError                    a payment provider or the ledger refused a money movement;
    │   │                               ``outcome_unknown`` when nobody can yet say whether money moved
    │   ├── PaymentNotSupported         the request is beyond the provider's flags (refused before any call)
    │   ├── PayoutAccountMissing        a receiver has no payout account at a provider that needs one (nothing moved)
    │   ├── IdempotencyConflict         an operation id reused with other parameters; ``fields`` names them
    │   └── InsufficientFunds           a ledger account that cannot owe money would go below zero
    ├── PlatformError                   a social platform answered with an error
    │   ├── AuthExpired                 the token expired or was revoked; names the connection or grant, and what to do
    │   ├── RateLimited                 throttled; ``scope`` says which budget ran out, ``wait`` for how long, if known
    │   ├── Transient                   a temporary failure worth retrying
    │   │   └── DeadlineExceeded        the caller's deadline passed before the plugin was done
    │   ├── InvalidRequest              the platform refused the request as malformed; ``field`` names the parameter
    │   ├── NotSupported                the platform cannot do this particular request (a filter, a region, a value)
    │   └── PlatformPermissionDenied    the token or account lacks a permission; ``scopes`` lists what is missing
    └── AuditIntegrityError             the audit chain is broken; names the first bad event

Each class keeps the facts a caller needs as attributes, not only in the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "AuditIntegrityError",
    "AuthExpired",
    "CapabilityMissing",
    "ConfigError",
    "ConflictError",
    "CreatorkitError",
    "DeadlineExceeded",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidRequest",
    "NotFound",
    "NotSupported",
    "PaymentError",
    "PaymentNotSupported",
    "PayoutAccountMissing",
    "PermissionDenied",
    "PlatformError",
    "PlatformPermissionDenied",
    "PluginContractError",
    "PluginError",
    "PluginLoadError",
    "Problem",
    "RateLimited",
    "SignatureError",
    "StateError",
    "StoreError",
    "Transient",
    "ValidationError",
]


class CreatorkitError(Exception):
    """Root of every error the SDK raises."""


class Problem:
    """One thing wrong with an input: where (a dotted key or field path) and what."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))


class _ProblemsError(CreatorkitError):
    """An error that reports every problem found at once, each with its path."""

    def __init__(self, summary: str, problems: Iterable[Problem]) -> None:
        self.summary = summary
        self.problems: list[Problem] = list(problems)
        lines = [summary, *(f"  - {p}" for p in self.problems)]
        super().__init__("\n".join(lines))

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.problems]


class ConfigError(_ProblemsError):
    """The configuration is invalid. ``problems`` lists each one with its key path (``plugins.tiktok.mode``)."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"invalid configuration{where}", problems)


class ValidationError(_ProblemsError, ValueError):
    """Input data does not fit its type or schema. ``problems`` name each field path.

    Also a :class:`ValueError`, so attrs/cattrs validation collects it like any bad value.
    """

    def __init__(self, problems: Iterable[Problem], what: str = "data") -> None:
        self.what = what
        super().__init__(f"invalid {what}", problems)


class PluginError(CreatorkitError):
    """Something about a plugin. ``plugin`` is its entry-point name."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}")


class PluginLoadError(PluginError):
    """An enabled plugin could not be loaded; ``installed`` lists the names that could have been."""

    def __init__(self, plugin: str, message: str, *, group: str | None = None, installed: Sequence[str] = ()) -> None:
        self.group = group
        self.installed = list(installed)
        super().__init__(plugin, message)


class PluginContractError(PluginError):
    """A plugin broke the contract: ``hook`` it was answering, ``problems`` with field paths."""

    def __init__(self, plugin: str, hook: str, problems: Iterable[Problem] | str) -> None:
        self.hook = hook
        if isinstance(problems, str):
            self.problems: list[Problem] = [Problem("", problems)]
        else:
            self.problems = list(problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(plugin, f"broke the contract of {hook}: {detail}")


class CapabilityMissing(PluginError):
    """The plugin does not offer ``capability``; ``alternative`` says what it offers instead, if anything."""

    def __init__(self, plugin: str, capability: str, alternative: str | None = None) -> None:
        self.capability = str(capability)
        self.alternative = alternative
        message = f"does not offer {self.capability!r}"
        if alternative:
            message += f"; instead: {alternative}"
        super().__init__(plugin, message)


class NotFound(CreatorkitError):
    """No ``kind`` with this ``id`` is visible to the caller.

    When a platform said so, ``platform`` names it, with its own ``code`` and the ``request_id`` for its support.
    """

    def __init__(
        self,
        kind: str,
        id: str,
        *,
        platform: str | None = None,
        code: str | int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.id = id
        self.platform = platform
        self.code = code
        self.request_id = request_id
        super().__init__(f"{kind} {id!r} not found")


class PermissionDenied(CreatorkitError):
    """``actor`` may not perform ``action`` (on ``entity``); ``reason`` says which rule refused it."""

    def __init__(self, actor: str, action: str, reason: str, entity: str | None = None) -> None:
        self.actor = actor
        self.action = action
        self.reason = reason
        self.entity = entity
        on = f" on {entity}" if entity else ""
        super().__init__(f"{actor} may not {action}{on}: {reason}")


class StateError(CreatorkitError):
    """``action`` is not allowed in ``state``; ``allowed`` lists the moves that are."""

    def __init__(self, entity: str, state: str, action: str, allowed: Iterable[str], detail: str = "") -> None:
        self.entity = entity
        self.state = state
        self.action = action
        self.allowed = sorted(allowed)
        moves = ", ".join(self.allowed) or "none"
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{entity} is {state}: cannot {action}{extra}; allowed: {moves}")


class ConflictError(StateError):
    """The entity changed underneath the caller; reload and try again."""

    def __init__(self, entity: str, expected_version: int, actual_version: int | None) -> None:
        self.expected_version = expected_version
        self.actual_version = actual_version
        CreatorkitError.__init__(
            self,
            f"{entity} was changed concurrently (expected version {expected_version}, "
            f"found {actual_version}); reload and retry",
        )
        self.entity = entity
        self.state = "changed"
        self.action = "update"
        self.allowed = []


class SignatureError(CreatorkitError):
    """A signature that does not verify, signs an outdated hash, or comes from the wrong party."""

    def __init__(self, message: str, *, signer: str | None = None, document: str | None = None) -> None:
        self.signer = signer
        self.document = document
        super().__init__(message)


class StoreError(CreatorkitError):
    """The store cannot be opened, migrated or written."""


class AuditIntegrityError(CreatorkitError):
    """The audit chain does not verify; ``sequence`` is the first broken event."""

    def __init__(self, sequence: int, reason: str) -> None:
        self.sequence = sequence
        self.reason = reason
        super().__init__(f"audit chain broken at event {sequence}: {reason}")


class PlatformError(CreatorkitError):
    """A platform refused a call: which ``platform``, its own ``code`` and the ``request_id`` for support."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        code: str | int | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.platform = platform
        self.code = code
        self.request_id = request_id
        self.details = details or {}
        suffix = f" (code {code})" if code is not None else ""
        super().__init__(f"{platform}: {message}{suffix}")


class AuthExpired(PlatformError):
    """The token expired or was revoked, and refreshing did not help (or cannot: no refresh token).

    ``connection_id`` or ``grant_id`` names the authorisation that needs renewing; ``action`` says what to do
    (``creatorkit connect tiktok``, "ask the creator to authorise again"). ``revoked`` tells a token the owner
    withdrew from one that merely ran out.
    """

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        connection_id: str | None = None,
        grant_id: str | None = None,
        action: str | None = None,
        revoked: bool = False,
        **kw: Any,
    ) -> None:
        self.connection_id = connection_id
        self.grant_id = grant_id
        self.action = action
        self.revoked = revoked
        self.reason = message  # without the authorisation's name and the action, to build a fuller error from
        which = f"connection {connection_id}" if connection_id else f"grant {grant_id}" if grant_id else None
        text = f"{which}: {message}" if which else message
        if action:
            text += f"; {action}"
        super().__init__(platform, text, **kw)


class RateLimited(PlatformError):
    """Throttled: ``scope`` is the budget that ran out (``app``, ``app_user``, ``user_day`` …, as the plugin's
    limiter names it), ``wait`` the seconds until it allows another call, when the platform or the limiter
    knows. ``retry_after`` is the same figure under its HTTP name."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        scope: str | None = None,
        wait: float | None = None,
        retry_after: float | None = None,
        **kw: Any,
    ) -> None:
        self.scope = scope
        self.wait = wait if wait is not None else retry_after
        super().__init__(platform, message, **kw)

    @property
    def retry_after(self) -> float | None:
        return self.wait


class Transient(PlatformError):
    """A temporary failure (timeout, 5xx) that is safe to retry."""


class DeadlineExceeded(Transient):
    """The call context's deadline passed: the plugin stopped rather than spend more of its rate budget.

    ``deadline`` is when the caller stopped waiting. A later call with a new deadline may succeed."""

    def __init__(self, platform: str, message: str, *, deadline: datetime | None = None, **kw: Any) -> None:
        self.deadline = deadline
        super().__init__(platform, message, **kw)


class InvalidRequest(PlatformError):
    """The platform refused the request as malformed: ``field`` names the parameter it objected to, if it said.

    Retrying the same request never helps; the caller (or the plugin's mapping of it) has to change."""

    def __init__(self, platform: str, message: str, *, field: str | None = None, **kw: Any) -> None:
        self.field = field
        super().__init__(platform, message, **kw)


class NotSupported(PlatformError):
    """The platform offers the stage but not this request: a filter value, an object kind, a region.

    :class:`CapabilityMissing` is for a whole stage the plugin does not offer; this is for one request."""

    def __init__(self, platform: str, message: str, *, feature: str | None = None, **kw: Any) -> None:
        self.feature = feature
        super().__init__(platform, message, **kw)


class PlatformPermissionDenied(PlatformError):
    """The platform says the token or account may not do this: ``scopes`` lists the permissions (OAuth scopes,
    advertiser roles) it lacks, when known. Re-authorising with them, not retrying, is the fix."""

    def __init__(self, platform: str, message: str, *, scopes: Sequence[str] = (), **kw: Any) -> None:
        self.scopes = tuple(scopes)
        if self.scopes:
            message += f" (missing: {', '.join(self.scopes)})"
        super().__init__(platform, message, **kw)


class PaymentError(CreatorkitError):
    """A payment provider or the ledger refused a money movement; ``operation_id`` identifies it.

    ``outcome_unknown`` is true when the call may or may not have moved money (a timeout, a connection lost after
    sending): the operation stays pending and is resolved by re-reading it from the provider, never by assuming
    either way. ``provider_code`` is the provider's own error code.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        operation_id: str | None = None,
        outcome_unknown: bool = False,
        provider_code: str | None = None,
    ) -> None:
        self.provider = provider
        self.operation_id = operation_id
        self.outcome_unknown = outcome_unknown
        self.provider_code = provider_code
        super().__init__(message)


class PaymentNotSupported(PaymentError):
    """A request the provider's capability flags rule out, refused by the host before the provider was called.

    ``flag`` names the :class:`~creatorkit.entities.PaymentCapabilities` field (``max_receivers``,
    ``currencies``, ...), ``limit`` its value and ``requested`` what the request asked for. Nothing moved.
    """

    def __init__(
        self, provider: str, flag: str, limit: object, requested: object, *, operation_id: str | None = None
    ) -> None:
        self.flag = flag
        self.limit = limit
        self.requested = requested
        super().__init__(
            f"{provider}: {flag} = {limit!r} does not allow {requested}",
            provider=provider,
            operation_id=operation_id,
        )


class PayoutAccountMissing(PaymentError):
    """A movement would pay ``party_id`` (a ``party_kind``: creator or agency) at ``provider``, which pays only
    registered accounts (``PaymentCapabilities.requires_payout_account``), and the party has none active there.

    Raised before the movement is recorded: nothing moved and nothing is half-written. ``action`` says what to
    call; once the account is registered, the next sync makes the movement.
    """

    def __init__(self, party_id: str, party_kind: str, provider: str, *, operation_id: str | None = None) -> None:
        self.party_id = party_id
        self.party_kind = party_kind
        self.action = f"kit.payments.register_payout_account(actor, account_ref=..., provider={provider!r})"
        super().__init__(
            f"{provider}: {party_kind} {party_id} has no active payout account there, and {provider} pays only "
            f"registered accounts; the {party_kind} (or the system) registers one with {self.action}",
            provider=provider,
            operation_id=operation_id,
        )


class IdempotencyConflict(PaymentError):
    """``operation_id`` was used before with other parameters: ``fields`` names those that differ, where known.

    The operation id is the provider's idempotency key, so this is a caller's mistake and never a second movement:
    reuse the id only to retry exactly the same request, and give a different request a new id.
    """

    def __init__(
        self,
        operation_id: str,
        fields: Sequence[str] = (),
        *,
        provider: str | None = None,
        provider_code: str | None = None,
    ) -> None:
        self.fields = tuple(fields)
        which = f": {', '.join(self.fields)} differ" if self.fields else ""
        where = f"{provider}: " if provider else ""
        super().__init__(
            f"{where}operation {operation_id!r} was already submitted with other parameters{which}",
            provider=provider,
            operation_id=operation_id,
            provider_code=provider_code,
        )


class InsufficientFunds(PaymentError):
    """A movement would take ``account`` below zero, and its kind cannot owe money (escrow, payables, fees).

    ``available`` is what the account could give when the movement was refused (posted less what pending entries
    reserve), ``requested`` what the movement asked of it; both in ``currency``'s minor units. Nothing moved.
    """

    def __init__(
        self, account: str, currency: str, available: int, requested: int, *, operation_id: str | None = None
    ) -> None:
        self.account = account
        self.currency = currency
        self.available = available
        self.requested = requested
        super().__init__(
            f"ledger account {account} has {available} {currency} (minor units) available, {requested} needed",
            operation_id=operation_id,
        )
