"""Parties: brands (with the verification that gates paid tasks), agencies, talent managers and creators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._service import PARTY_KINDS, Service
from ..converter import coerce_enum
from ..entities import (
    Actor,
    Agency,
    Brand,
    CreatorProfile,
    PartyKind,
    SigningKey,
    TalentManager,
    VerificationStatus,
    new_id,
)
from ..errors import NotFound, PermissionDenied, Problem, SignatureError, ValidationError
from ..signing import check_public_key, verify_key_rotation
from ._access import agency_of, roster_entry

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["PartyService"]

P = TypeVar("P", Brand, Agency, CreatorProfile)

#: The entity each party kind's record holds.
_PARTY_CLASSES: dict[PartyKind, type[Any]] = {
    PartyKind.BRAND: Brand,
    PartyKind.AGENCY: Agency,
    PartyKind.TALENT_MANAGER: TalentManager,
    PartyKind.CREATOR: CreatorProfile,
}


class PartyService(Service):
    """Registering parties. Registration is the embedding app's onboarding step, so it runs as the system."""

    def register_brand(
        self,
        actor: Actor,
        *,
        name: str,
        country: str | None = None,
        legal_name: str = "",
        industry: str = "",
        id: str | None = None,
    ) -> Brand:
        brand = Brand(
            id=id or new_id("brand"), name=_named(name), country=country, legal_name=legal_name, industry=industry
        )
        return self._register(actor, "brand", brand, workspace=brand.id)

    def register_agency(self, actor: Actor, *, name: str, country: str | None = None, id: str | None = None) -> Agency:
        agency = Agency(id=id or new_id("agency"), name=_named(name), country=country)
        return self._register(actor, "agency", agency, workspace=agency.id)

    def register_manager(
        self, actor: Actor, *, agency_id: str, name: str, email: str | None = None, id: str | None = None
    ) -> TalentManager:
        manager = TalentManager(id=id or new_id("mgr"), name=_named(name), agency_id=agency_id, email=email)

        def work(change: Change) -> TalentManager:
            _only_system_or(actor, PartyKind.AGENCY, agency_id, "register_manager")
            change.require("agency", agency_id)
            change.insert("talent_manager", manager, workspace=agency_id)
            change.audit("party.register", "talent_manager", manager.id, {"agency_id": agency_id}, workspace=agency_id)
            return manager

        return self._write(actor, "register_manager", work)

    def register_creator(self, actor: Actor, profile: CreatorProfile) -> CreatorProfile:
        """Register a creator; a ``signing_key`` on the profile becomes the creator's first key, on the record."""
        _named(profile.display_name)
        if profile.signing_key is not None:
            check_public_key(profile.signing_key)
        return self._register(actor, "creator", profile, workspace=profile.id)

    def _register(self, actor: Actor, kind: str, party: P, *, workspace: str) -> P:
        def work(change: Change) -> P:
            _only_system_or(actor, None, None, f"register_{kind}")
            change.insert(kind, party, workspace=workspace)
            key = getattr(party, "signing_key", None)
            if key is not None:
                first = SigningKey(
                    id=new_id("key"),
                    party_kind=PartyKind(kind),
                    party_id=party.id,
                    public_key=key,
                    registered_by=str(actor),
                    valid_from=change.now,
                )
                change.insert("signing_key", first, workspace=workspace, parent=party.id, state="current")
            change.audit(
                "party.register",
                kind,
                party.id,
                {"name": getattr(party, "name", None) or getattr(party, "display_name", "")},
                workspace=workspace,
            )
            return party

        return self._write(actor, f"register_{kind}", work)

    def set_brand_verification(self, actor: Actor, brand_id: str, status: VerificationStatus) -> Brand:
        """The marketplace (system) records a brand's verification; only verified brands publish paid tasks."""

        def work(change: Change) -> Brand:
            if actor.kind is not PartyKind.SYSTEM:
                raise PermissionDenied(
                    str(actor), "verify_brand", "only the marketplace verifies brands", f"brand {brand_id}"
                )
            record = change.require("brand", brand_id)
            brand = attrs.evolve(
                change.entity(record, Brand),
                verification=status,
                verified_at=change.now if status is VerificationStatus.VERIFIED else None,
            )
            change.replace("brand", brand, expected_version=record.version)
            change.audit("brand.verification", "brand", brand_id, {"status": str(status)}, workspace=brand_id)
            return brand

        return self._write(actor, "verify_brand", work)

    def set_signing_key(self, actor: Actor, public_key: str, *, proof: str | None = None) -> None:
        """A party registers the Ed25519 public key (base64) its contract signatures will verify against.

        A party that already has a key replaces it only with ``proof``: the current key's signature over the
        new one, made on the signer's device with :func:`creatorkit.signing.prove_key_rotation`. Whoever merely
        acts as the party cannot swap in a key of their own. A party that lost its key is reset by the system
        (:meth:`reset_signing_key`). Signatures keep verifying against the key that was valid when they were made.
        """
        check_public_key(public_key)

        def work(change: Change) -> None:
            kind = PARTY_KINDS.get(actor.kind)
            if kind is None or actor.kind is PartyKind.AGENCY:
                raise PermissionDenied(str(actor), "set_signing_key", "only brands, managers and creators sign")
            current = change.require(kind, actor.id).doc.get("signing_key")
            replacing = bool(current) and current != public_key
            if current != public_key:
                _refuse_retired(change, actor, public_key)
            if replacing:
                if proof is None:
                    raise SignatureError(
                        f"{actor} already has a signing key: replacing it needs proof, the current key's signature "
                        "over the new one (creatorkit.signing.prove_key_rotation); a lost key is reset by the system",
                        signer=str(actor),
                    )
                verify_key_rotation(str(current), str(actor), public_key, proof)
            # A proof is kept only when it was checked: registering the current key again needs none.
            _register_key(change, actor.kind, actor.id, public_key, proof if replacing else None, "party.signing_key")

        self._write(actor, "set_signing_key", work)

    def reset_signing_key(
        self, actor: Actor, kind: PartyKind | str, party_id: str, public_key: str, *, reason: str
    ) -> None:
        """The system replaces a party's signing key without proof (the party lost it); audited with ``reason``.

        The embedding app decides when that is allowed (after it has verified the person again); the old key's
        signatures keep verifying, and it signs nothing new.
        """
        check_public_key(public_key)
        party_kind = coerce_enum(PartyKind, kind, "kind", what="signing key reset")
        if not reason.strip():
            raise ValidationError([Problem("reason", "say why the key is reset")], "signing key reset")

        def work(change: Change) -> None:
            if actor.kind is not PartyKind.SYSTEM:
                raise PermissionDenied(str(actor), "reset_signing_key", "only the system resets a signing key")
            if party_kind not in _SIGNERS:
                raise ValidationError([Problem("kind", "only brands, managers and creators sign")], "signing key reset")
            change.require(PARTY_KINDS[party_kind], party_id)
            _register_key(change, party_kind, party_id, public_key, None, "party.signing_key_reset", reason=reason)

        self._write(actor, "reset_signing_key", work)

    def get(self, actor: Actor, kind: PartyKind | str, party_id: str) -> Any:
        """A party's record as ``actor`` may see it; ``kind`` may be given as its value (``"agency"``).

        Brands and creators are public pages (a creator's contact details only to the creator and their
        managers; a creator page with figures is ``kit.creators.overview``). An agency and its managers are
        visible inside the agency, to the creators on its roster, and to the system; elsewhere they do not exist.
        """
        kind = coerce_enum(PartyKind, kind, "kind", what="party")
        if kind not in _PARTY_CLASSES:
            raise ValidationError([Problem("kind", f"must be one of {', '.join(sorted(_PARTY_CLASSES))}")], "party")

        def work(view: View) -> Any:
            record = view.get(PARTY_KINDS[kind], party_id)
            if record is None:
                raise NotFound(str(kind), party_id)
            party = view.entity(record, _PARTY_CLASSES[kind])
            if (
                actor.kind is PartyKind.SYSTEM
                or (actor.kind is kind and actor.id == party_id)
                or kind is PartyKind.BRAND
            ):
                return party
            if kind is PartyKind.CREATOR:
                own_side = actor.kind is PartyKind.TALENT_MANAGER and roster_entry(view, actor.id, party_id)
                return party if own_side else attrs.evolve(party, email=None)
            agency_id = party.id if kind is PartyKind.AGENCY else party.agency_id
            if _inside_agency(view, actor, agency_id):
                return party
            raise NotFound(str(kind), party_id)

        return self._read(actor, work, "get_party")


#: The party kinds that sign contracts.
_SIGNERS = frozenset({PartyKind.BRAND, PartyKind.TALENT_MANAGER, PartyKind.CREATOR})


def _refuse_retired(change: Change, actor: Actor, public_key: str) -> None:
    """A key the party had and replaced never becomes its key again: a rotation proof once made from it, which
    the audit trail shows anyone who may read it, could otherwise be replayed to bring back a retired key."""
    for record in change.records("signing_key", parent=actor.id):
        if record.doc.get("public_key") == public_key:
            raise SignatureError(
                f"{actor} had this signing key before and replaced it: a retired key is not used again; "
                "register a new one",
                signer=str(actor),
            )


def _register_key(
    change: Change,
    kind: PartyKind,
    party_id: str,
    public_key: str,
    proof: str | None,
    action: str,
    *,
    reason: str | None = None,
) -> None:
    """Make ``public_key`` the party's key: the party's record says so, and its key history records when."""
    record_kind = PARTY_KINDS[kind]
    record = change.require(record_kind, party_id)
    previous = record.doc.get("signing_key")
    _retire_keys(change, kind, party_id, str(previous) if previous else None, record.workspace)
    key = SigningKey(
        id=new_id("key"),
        party_kind=kind,
        party_id=party_id,
        public_key=public_key,
        registered_by=str(change.actor),
        valid_from=change.now,
        proof=proof,
    )
    change.insert("signing_key", key, workspace=record.workspace, parent=party_id, state="current")
    party = attrs.evolve(change.entity(record, _PARTY_CLASSES[kind]), signing_key=public_key)
    document = dict(record.doc, signing_key=public_key)  # the party's record as stored, but for its key
    change.replace(record_kind, party, expected_version=record.version, document=document)
    payload = {"public_key": public_key, "replaces": previous, "proof": proof, "reason": reason}
    change.audit(action, record_kind, party_id, payload, workspace=record.workspace)


def _retire_keys(change: Change, kind: PartyKind, party_id: str, previous: str | None, workspace: str | None) -> None:
    """The party's current key stops being current now (one registered before key history gets a record)."""
    current = [
        r for r in change.records("signing_key", parent=party_id, state="current") if r.doc["party_kind"] == kind
    ]
    if not current and previous is not None:
        legacy = SigningKey(
            id=new_id("key"),
            party_kind=kind,
            party_id=party_id,
            public_key=previous,
            registered_by="unknown",
            replaced_at=change.now,
        )
        change.insert("signing_key", legacy, workspace=workspace, parent=party_id, state="replaced")
    for record in current:
        retired = attrs.evolve(change.entity(record, SigningKey), replaced_at=change.now)
        change.replace("signing_key", retired, expected_version=record.version, state="replaced")


def _inside_agency(view: View, actor: Actor, agency_id: str) -> bool:
    """The agency itself, one of its managers, or a creator on an active entry of its roster."""
    if actor.kind is PartyKind.AGENCY:
        return actor.id == agency_id
    if actor.kind is PartyKind.TALENT_MANAGER:
        return agency_of(view, actor.id) == agency_id
    if actor.kind is PartyKind.CREATOR:
        return any(
            r.doc["agency_id"] == agency_id and r.state == "active"
            for r in view.records("roster_entry", parent=actor.id)
        )
    return False


def _only_system_or(actor: Actor, kind: PartyKind | None, id: str | None, action: str) -> None:
    if actor.kind is PartyKind.SYSTEM or (kind is not None and actor.kind is kind and actor.id == id):
        return
    raise PermissionDenied(str(actor), action, "parties are registered by the embedding app (system)")


def _named(name: str) -> str:
    if not name.strip():
        raise ValidationError([Problem("name", "must not be empty")], "party")
    return name
