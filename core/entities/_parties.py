"""Who takes part in a deal: brands, agencies, talent managers, and the scopes a roster entry grants."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from .._text import text_problem
from ..errors import Problem, ValidationError
from ._common import aware, country_code, typed_fields


def _basis_points(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 10_000:
        raise ValueError(f"{attribute.name} must be between 0 and 10000 basis points")


__all__ = [
    "Actor",
    "Agency",
    "Brand",
    "PartyKind",
    "RosterEntry",
    "Scope",
    "SigningKey",
    "TalentManager",
    "VerificationStatus",
]


class PartyKind(enum.StrEnum):
    BRAND = "brand"
    AGENCY = "agency"
    TALENT_MANAGER = "talent_manager"
    CREATOR = "creator"
    PLATFORM = "platform"
    SYSTEM = "system"


class VerificationStatus(enum.StrEnum):
    """A brand's standing with the marketplace; only verified brands may publish paid tasks."""

    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Brand:
    id: str
    name: str
    verification: VerificationStatus = VerificationStatus.UNVERIFIED
    verified_at: datetime | None = attrs.field(default=None, validator=aware)
    legal_name: str = ""
    country: str | None = attrs.field(default=None, validator=country_code)
    industry: str = ""
    signing_key: str | None = None

    @property
    def is_verified(self) -> bool:
        return self.verification is VerificationStatus.VERIFIED


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Agency:
    """An agency or talent-management company; its roster and deals form one workspace."""

    id: str
    name: str
    country: str | None = attrs.field(default=None, validator=country_code)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class TalentManager:
    id: str
    name: str
    agency_id: str
    email: str | None = None
    signing_key: str | None = None


class Scope(enum.StrEnum):
    """What a manager may do for a creator on their roster."""

    VIEW_STATS = "view_stats"
    EDIT_RATES = "edit_rates"
    NEGOTIATE = "negotiate"
    MANAGE_CONTENT = "manage_content"
    # Granted only by the creator: the manager signs contracts on the creator's behalf.
    SIGN_ON_BEHALF = "sign_on_behalf"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class RosterEntry:
    """A creator on a manager's roster and the scopes the manager holds.

    Scopes take effect once the creator has accepted (``accepted_at``); ``removed_at`` ends all of them at once.
    """

    id: str
    agency_id: str
    manager_id: str
    creator_id: str
    scopes: frozenset[Scope] = frozenset()
    added_at: datetime = attrs.field(validator=aware)
    accepted_at: datetime | None = attrs.field(default=None, validator=aware)
    removed_at: datetime | None = attrs.field(default=None, validator=aware)
    # The agency's cut of the creator's deals, in basis points of each release's gross (the creator accepts it
    # with the entry).
    agency_cut_bp: int = attrs.field(default=0, validator=_basis_points)

    @property
    def active(self) -> bool:
        return self.accepted_at is not None and self.removed_at is None

    def allows(self, scope: Scope) -> bool:
        return self.active and scope in self.scopes


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class SigningKey:
    """A public key a party signed contracts with, and the time it was that party's key.

    ``valid_from`` is None for a key registered before key history was kept; ``replaced_at`` is None while the
    key is current. ``proof`` is the replaced key's signature over this one (see
    :func:`creatorkit.signing.prove_key_rotation`), or None for a first key or one reset by the system.
    """

    id: str
    party_kind: PartyKind
    party_id: str
    public_key: str
    registered_by: str
    valid_from: datetime | None = attrs.field(default=None, validator=aware)
    replaced_at: datetime | None = attrs.field(default=None, validator=aware)
    proof: str | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Whether this was the party's key at ``moment``."""
        started = self.valid_from is None or self.valid_from <= moment
        return started and (self.replaced_at is None or moment < self.replaced_at)


_KIND_VALUES = tuple(kind._value_ for kind in PartyKind)


def _party_kind(value: object) -> PartyKind:
    """A kind given as its plain value (``"brand"``, as an app's session data holds it) is that kind.

    The services tell kinds apart by identity (``actor.kind is PartyKind.BRAND``), which a plain string never
    passes; converted here, it does. Anything else is refused now, naming the field, not later in a service.
    """
    if isinstance(value, PartyKind):
        return value
    if isinstance(value, str) and value in _KIND_VALUES:
        return PartyKind(value)
    allowed = ", ".join(_KIND_VALUES)
    raise ValidationError([Problem("kind", f"{value!r} is not one of {allowed}")], "actor")


def _actor_id(_actor: object, _attribute: object, value: str) -> None:
    """An actor's id is text a store can keep: it is recorded in the audit trail with every call."""
    why = text_problem(value) if isinstance(value, str) else "must be a string"
    if why:
        raise ValidationError([Problem("id", why)], "actor")


@attrs.frozen
class Actor:
    """The party a call is made as: ``Actor.brand("brand_1")``, ``Actor.manager("mgr_7")``, ...

    ``Actor("brand_1", "brand")`` is the same actor: the kind may be given as its value.
    """

    id: str = attrs.field(validator=_actor_id)
    kind: PartyKind = attrs.field(converter=_party_kind)

    @classmethod
    def brand(cls, id: str) -> Actor:
        return cls(id, PartyKind.BRAND)

    @classmethod
    def creator(cls, id: str) -> Actor:
        return cls(id, PartyKind.CREATOR)

    @classmethod
    def manager(cls, id: str) -> Actor:
        return cls(id, PartyKind.TALENT_MANAGER)

    @classmethod
    def agency(cls, id: str) -> Actor:
        return cls(id, PartyKind.AGENCY)

    @classmethod
    def system(cls, id: str = "system") -> Actor:
        """Deadlines, payment callbacks and the platform's arbiter act as the system."""
        return cls(id, PartyKind.SYSTEM)

    def __str__(self) -> str:
        return f"{self.kind._value_}:{self.id}"  # _value_: formatting the enum itself goes through Enum.__format__
