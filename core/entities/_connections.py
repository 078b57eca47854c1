"""Authorisations to call a platform: a workspace's *connection* and a creator's *grant*.

A **connection** is an account a workspace (a brand or an agency) has authorised on a platform: a brand's TikTok
One / Creator Marketplace account and its advertiser token, a brand's Facebook Page token for Instagram, a
Kuaishou app user. A **grant** is a creator's own authorisation for their insights (TikTok Login Kit, an Instagram
user token, a Kuaishou user token): a token the creator can revoke, scoped, never a password.

Neither entity holds a token. Tokens are kept encrypted at rest next to them and handed to a plugin only through
the call context; these records say what was authorised, by whom, for which scopes, and until when — the times
being what the platform's response stated, never a lifetime assumed by the SDK.

The ``authorization`` capability's hooks exchange the rest: an :class:`AuthorizationRequest` goes to the plugin
(build the authorize URL: an :class:`AuthorizationUrl`; exchange the code the platform sent back), the platform's
answer comes back as :class:`IssuedTokens` (the tokens, as :class:`~creatorkit.tokens.Secret` values, and what the
response said of them), a revoke as a :class:`Revocation`. Between the URL and the code, the core keeps a
:class:`PendingAuthorization`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ..tokens import Secret
from ._common import FieldValueError, aware, non_negative, platform_name, typed_fields

__all__ = [
    "AuthorizationKind",
    "AuthorizationRequest",
    "AuthorizationStatus",
    "AuthorizationUrl",
    "Connection",
    "Grant",
    "IssuedTokens",
    "PendingAuthorization",
    "Revocation",
]


class AuthorizationStatus(enum.StrEnum):
    """Where an authorisation stands. Only ``active`` ones are used for calls."""

    ACTIVE = "active"
    #: The access token ran out and could not be refreshed (no refresh token, or it ran out too): re-authorise.
    EXPIRED = "expired"
    #: The owner, the platform or the workspace withdrew it; a new authorisation is a new record.
    REVOKED = "revoked"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Connection:
    """A workspace's authorised account on one platform, through that platform's plugin."""

    id: str
    platform: str = attrs.field(validator=platform_name)
    #: The brand or agency whose account this is.
    workspace_id: str
    #: The platform's id of the account (advertiser id, Page id, app user id).
    account_id: str
    account_name: str = ""
    scopes: tuple[str, ...] = ()
    status: AuthorizationStatus = AuthorizationStatus.ACTIVE
    #: When the access token expires, as the platform stated; ``None`` when it stated no expiry.
    expires_at: datetime | None = attrs.field(default=None, validator=aware)
    #: When the refresh token expires, as the platform stated; ``None`` when it stated none (or there is none).
    refresh_expires_at: datetime | None = attrs.field(default=None, validator=aware)
    connected_at: datetime = attrs.field(validator=aware)
    refreshed_at: datetime | None = attrs.field(default=None, validator=aware)
    revoked_at: datetime | None = attrs.field(default=None, validator=aware)
    #: Platform ids that come with the authorisation (a TikTok token's advertiser ids, an Instagram business
    #: account id), by the plugin's own names.
    details: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Grant:
    """A creator's own authorisation for a workspace to read their account on one platform."""

    id: str
    platform: str = attrs.field(validator=platform_name)
    #: The creator who granted it, and may revoke it.
    creator_id: str
    #: The brand or agency the creator granted it to.
    workspace_id: str
    #: The platform's id of the creator's account (an open id, an Instagram user id).
    account_id: str
    handle: str | None = None
    scopes: tuple[str, ...] = ()
    status: AuthorizationStatus = AuthorizationStatus.ACTIVE
    expires_at: datetime | None = attrs.field(default=None, validator=aware)
    refresh_expires_at: datetime | None = attrs.field(default=None, validator=aware)
    granted_at: datetime = attrs.field(validator=aware)
    refreshed_at: datetime | None = attrs.field(default=None, validator=aware)
    revoked_at: datetime | None = attrs.field(default=None, validator=aware)
    details: dict[str, str] = attrs.field(factory=dict)


class AuthorizationKind(enum.StrEnum):
    """Whose authorisation a flow asks for: a workspace's account, or a creator's own."""

    CONNECTION = "connection"
    GRANT = "grant"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AuthorizationRequest:
    """What the core asks a platform to authorise, given to the authorize-URL and the code-exchange hooks."""

    platform: str = attrs.field(validator=platform_name)
    kind: AuthorizationKind
    #: The brand or agency the connection or grant will belong to.
    workspace_id: str
    #: The creator asked to authorise, for a grant; ``None`` for a connection.
    creator_id: str | None = None
    #: Where the platform sends the user back with the code; ``None``: the plugin's configured default.
    redirect_uri: str | None = None
    #: The permissions asked for, by the platform's own names; empty: the plugin's defaults for this kind.
    scopes: tuple[str, ...] = ()
    #: The value the platform must send back with the code, unchanged (RFC 6749 section 10.12).
    state: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AuthorizationUrl:
    """The plugin's answer to ``creatorkit_authorization_url``: where the owner goes to authorise."""

    platform: str = attrs.field(validator=platform_name)
    url: str
    #: The URL carries a PKCE challenge of the verifier the hook was given, so the exchange needs the verifier.
    uses_pkce: bool = False


def _token_text(instance: object, attribute: attrs.Attribute[Secret], value: Secret) -> None:
    if not value:
        raise FieldValueError(attribute.name, "must not be empty")


def _optional_token_text(instance: object, attribute: attrs.Attribute[Secret | None], value: Secret | None) -> None:
    if value is not None and not value:
        raise FieldValueError(attribute.name, "must not be empty (None when the platform issued none)")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class IssuedTokens:
    """What a platform issued, in answer to a code exchange or a refresh: the tokens and what it said of them.

    Lifetimes are the seconds the response stated (``expires_in``, ``refresh_expires_in`` or the platform's
    names for them); the core turns them into instants by the call context's clock. A ``None`` ``expires_in``
    means the response stated none: a token that does not expire (TikTok's advertiser tokens, a Facebook Page
    token). In answer to a refresh, the other ``None`` fields keep what is stored: no new refresh token means
    the old one stays (with its expiry); no scopes, account name, handle or details mean they did not change.
    """

    platform: str = attrs.field(validator=platform_name)
    access_token: Secret = attrs.field(converter=Secret, validator=_token_text)
    refresh_token: Secret | None = attrs.field(
        default=None, converter=attrs.converters.optional(Secret), validator=_optional_token_text
    )
    #: Seconds until the access token expires, as the platform stated.
    expires_in: int | None = attrs.field(default=None, validator=non_negative)
    #: Seconds until the refresh token expires, as the platform stated.
    refresh_expires_in: int | None = attrs.field(default=None, validator=non_negative)
    #: The permissions granted, as the platform named them (possibly fewer than asked for).
    scopes: tuple[str, ...] | None = None
    #: The platform's id of the authorised account (an advertiser id, a Page id, an open id): required on an
    #: exchange, where it identifies the connection or grant.
    account_id: str | None = None
    account_name: str | None = None
    #: The creator's handle, for a grant.
    handle: str | None = None
    #: Platform ids that come with the authorisation, by the plugin's own names; merged over the stored ones.
    details: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Revocation:
    """The plugin's answer to ``creatorkit_revoke_tokens``: whether the platform no longer honours the tokens."""

    platform: str = attrs.field(validator=platform_name)
    #: False when the platform has no way to revoke (the owner removes the app on the platform itself).
    revoked: bool
    #: What the platform said, or what the owner must do instead.
    detail: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PendingAuthorization:
    """A flow the core started and the platform has not answered yet: kept from the authorize URL to the code.

    Its id is derived from the flow's ``state``, which is stored only as that hash; the PKCE verifier, if the
    platform uses one, is sealed like a token.
    """

    id: str
    platform: str = attrs.field(validator=platform_name)
    kind: AuthorizationKind
    workspace_id: str
    creator_id: str | None = None
    redirect_uri: str | None = None
    scopes: tuple[str, ...] = ()
    uses_pkce: bool = False
    #: Who started it (``brand:brand_1``): only a party allowed to start it may finish it.
    started_by: str
    started_at: datetime = attrs.field(validator=aware)
    #: After this the code is no longer taken: start again.
    expires_at: datetime = attrs.field(validator=aware)
    finished_at: datetime | None = attrs.field(default=None, validator=aware)
    #: The connection or grant it made.
    authorization_id: str | None = None
    #: The platform's refusal (``access_denied: the user cancelled``), when it refused.
    refusal: str | None = None
