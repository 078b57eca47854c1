"""Usage rights: a brand's authorisation to run a creator's post as a paid ad, tied to the contract that allows it.

On TikTok this is a Spark Ads authorisation: the creator makes a code in the app for one video and a number of
days, the brand binds it to its ad account. On Instagram it is a partnership-ads permission. The plugin answers
with a :class:`UsageRight` (what the platform says: the post, its status, when the authorisation started and
ends); the core keeps a :class:`UsageRightRecord` beside the deal, which adds what the contract allows
(``clauses.usage_rights``: paid ads or not, for how many days) so that a right the platform still honours after
the contract's allowance ended is visible, and revoked.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import FieldValueError, aware, platform_name, positive, typed_fields

__all__ = ["UsageAuthorizationRequest", "UsageRight", "UsageRightRecord", "UsageRightStatus"]


class UsageRightStatus(enum.StrEnum):
    """Where a paid-usage authorisation stands at the platform; a status the plugin cannot map is ``pending``."""

    PENDING = "pending"  # submitted; the platform has not confirmed it yet
    ACTIVE = "active"  # the brand may run the post as an ad
    EXPIRED = "expired"  # its days ran out at the platform
    REVOKED = "revoked"  # unbound by the brand, or withdrawn by the creator


def _code_text(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise FieldValueError(attribute.name, "must not be blank: it is the code the creator made for the post")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class UsageAuthorizationRequest:
    """Bind a creator's authorisation code for one post to the brand's ad account (TikTok's ``tt_video/authorize``)."""

    deal_id: str
    #: The code the creator generated for the post and handed to the brand (it names the post and the days).
    authorization_code: str = attrs.field(validator=_code_text)
    #: The brand's connection whose ad account the right is bound to.
    connection_id: str | None = None
    #: The platform's post id, when the brand already knows which post the code is for.
    post_id: str | None = None
    #: Days of paid use the contract allows (``clauses.usage_rights.duration_days``); ``None``: no end agreed.
    allowed_days: int | None = attrs.field(default=None, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class UsageRight:
    """A paid-usage authorisation as the platform reports it."""

    platform: str = attrs.field(validator=platform_name)
    #: What the platform names the authorisation by (TikTok: the authorisation code); the core reads it back by it.
    platform_ref: str
    post_id: str
    status: UsageRightStatus
    #: The platform's own status, exactly as it put it (TikTok's ``AUTHORIZED``, ``EXPIRED``, ...).
    raw_status: str
    checked_at: datetime = attrs.field(validator=aware)
    creator_handle: str | None = None
    #: The ad account the right is bound to (TikTok's advertiser id).
    ad_account_id: str | None = None
    starts_at: datetime | None = attrs.field(default=None, validator=aware)
    #: When the platform stops honouring it; ``None`` when the platform gives no end.
    ends_at: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class UsageRightRecord:
    """The core's record of one usage right: the platform's view of it and what the deal's contract allows."""

    id: str
    deal_id: str
    contract_id: str
    brand_id: str
    platform: str = attrs.field(validator=platform_name)
    right: UsageRight
    #: The end of the contract's allowance: the right's start plus ``clauses.usage_rights.duration_days``;
    #: ``None`` when the contract sets no end.
    allowed_until: datetime | None = attrs.field(default=None, validator=aware)
    recorded_at: datetime = attrs.field(validator=aware)
    updated_at: datetime = attrs.field(validator=aware)

    def beyond_contract(self, now: datetime) -> bool:
        """Whether the platform still honours the right although the contract's allowance ended: revoke it."""
        live = self.right.status in (UsageRightStatus.ACTIVE, UsageRightStatus.PENDING)
        return live and self.allowed_until is not None and now >= self.allowed_until

    def outlives_contract(self) -> bool:
        """Whether the platform's end lies after the contract's (or it gives none): the brand must revoke it in time."""
        if self.allowed_until is None:
            return False
        return self.right.ends_at is None or self.right.ends_at > self.allowed_until
