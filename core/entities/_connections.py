"""Authorisations to call a platform: a workspace's *connection* and a creator's *grant*.

A **connection** is an account a workspace (a brand or an agency) has authorised on a platform: a brand's TikTok
One / Creator Marketplace account and its advertiser token, a brand's Facebook Page token for Instagram, a
Kuaishou app user. A **grant** is a creator's own authorisation for their insights (TikTok Login Kit, an Instagram
user token, a Kuaishou user token): a token the creator can revoke, scoped, never a password.

Neither entity holds a token. Tokens are kept encrypted at rest next to them and handed to a plugin only through
the call context; these records say what was authorised, by whom, for which scopes, and until when — the times
being what the platform's response stated, never a lifetime assumed by the SDK.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import aware, platform_name, typed_fields

__all__ = ["AuthorizationStatus", "Connection", "Grant"]


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
