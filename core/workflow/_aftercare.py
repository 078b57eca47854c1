"""After the campaign: thank-you notes and gifts, feedback from both sides, the relationship, brand events.

A brand keeps in touch with the creators it worked with: it thanks them (a note or a gift, recorded against
the creator), both sides rate the collaboration once per deal, and the resulting relationship history shows
which creators are worth re-engaging (:meth:`AftercareService.reengagement_candidates`). Brands also
invite creators to their events; an event may carry a promotional agreement (post from the event, speak on
stage) that a guest must accept explicitly together with the invitation.

Visibility: a brand sees its own notes, events and invitations; a creator (or a manager with the creator on
an active roster entry) sees what concerns the creator. Anything else is reported as not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._service import Service, aware_datetime
from ..converter import coerce_enum
from ..entities import (
    Actor,
    Appreciation,
    AppreciationKind,
    BrandEvent,
    CollaborationFeedback,
    CollaborationSide,
    Deal,
    DealState,
    EventInvitation,
    PartyKind,
    RelationshipSummary,
    RsvpStatus,
    Scope,
    new_id,
)
from ..entities._aftercare import MAX_RATING
from ..entities._common import FieldValueError
from ..errors import NotFound, PermissionDenied, Problem, StateError, ValidationError
from ..money import Money
from ..parties._access import acts_for_creator, on_behalf_of, on_creator_side
from ._machine import load_deal

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["AftercareService"]

E = TypeVar("E")

#: A deal is "after the campaign" once its content is live.
_AFTER = (DealState.PUBLISHED, DealState.COMPLETED)
_CANCELLED = (DealState.CANCELLED, DealState.EXPIRED)


class AftercareService(Service):
    # -- thank-you notes and gifts ---------------------------------------------------------------------------

    def send_appreciation(
        self,
        actor: Actor,
        deal_id: str,
        *,
        kind: AppreciationKind | str,
        message: str = "",
        gift_description: str = "",
        gift_value: Money | None = None,
    ) -> Appreciation:
        """Record a thank-you note or a gift the brand sent for a published or completed deal."""
        chosen = coerce_enum(AppreciationKind, kind, "kind", what="appreciation")

        def work(change: Change) -> Appreciation:
            deal, _ = load_deal(change, actor, deal_id)
            if actor.kind is not PartyKind.BRAND:
                raise PermissionDenied(
                    str(actor), "send_appreciation", "only the brand thanks its creators", f"deal {deal.id}"
                )
            _after_campaign(deal, "send_appreciation")
            appreciation = _build(
                "appreciation",
                Appreciation,
                id=new_id("thanks"),
                deal_id=deal.id,
                brand_id=deal.brand_id,
                creator_id=deal.creator_id,
                kind=chosen,
                sent_by=str(actor),
                sent_at=change.now,
                message=message,
                gift_description=gift_description,
                gift_value=gift_value,
            )
            change.record("appreciation", appreciation, "appreciation.send", workspace=deal.brand_id, parent=deal.id)
            change.event(
                "appreciation.sent",
                "appreciation",
                appreciation.id,
                deal_id=deal.id,
                creator_id=deal.creator_id,
                kind=str(appreciation.kind),
            )
            return appreciation

        return self._write(actor, "send_appreciation", work)

    def appreciations(self, actor: Actor, creator_id: str) -> list[Appreciation]:
        """Notes and gifts to ``creator_id``: a brand sees what it sent, the creator's side all received."""

        def work(view: View) -> list[Appreciation]:
            deals = _deals_with(view, actor, creator_id)
            found = [a for d in deals for a in view.find("appreciation", Appreciation, parent=d.id)]
            return sorted(found, key=lambda a: (a.sent_at, a.id))

        return self._read(actor, work)

    # -- feedback --------------------------------------------------------------------------------------------

    def leave_feedback(
        self, actor: Actor, deal_id: str, *, rating: int, would_work_again: bool, comments: str = ""
    ) -> CollaborationFeedback:
        """Rate the collaboration from 1 to 5, once per side: the brand rates the creator and vice versa.

        A manager speaks for the creator with the ``negotiate`` scope.
        """
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= MAX_RATING:
            raise ValidationError([Problem("rating", f"must be a whole number from 1 to {MAX_RATING}")], "feedback")

        def work(change: Change) -> CollaborationFeedback:
            deal, _ = load_deal(change, actor, deal_id)
            side = _side(change, actor, deal, "leave_feedback")
            _after_campaign(deal, "leave_feedback")
            for record in change.records("feedback", parent=deal.id):
                if record.doc["from_side"] == side:
                    raise StateError(
                        f"deal {deal.id}",
                        str(deal.state),
                        "leave_feedback",
                        [],
                        f"the {side} side has already given its feedback",
                    )
            mine, theirs = (
                (deal.brand_id, deal.creator_id)
                if side is CollaborationSide.BRAND
                else (deal.creator_id, deal.brand_id)
            )
            feedback = CollaborationFeedback(
                id=new_id("fb"),
                deal_id=deal.id,
                from_side=side,
                from_party=mine,
                about_party=theirs,
                submitted_by=str(actor),
                rating=rating,
                would_work_again=would_work_again,
                submitted_at=change.now,
                comments=comments,
            )
            change.record(
                "feedback",
                feedback,
                "feedback.leave",
                workspace=deal.brand_id,
                parent=deal.id,
                on_behalf_of=on_behalf_of(actor, deal.creator_id),
            )
            change.event("feedback.left", "feedback", feedback.id, deal_id=deal.id, from_side=str(side))
            return feedback

        return self._write(actor, "leave_feedback", work)

    def feedback(self, actor: Actor, deal_id: str) -> list[CollaborationFeedback]:
        """Both sides' feedback on a deal, for its parties."""

        def work(view: View) -> list[CollaborationFeedback]:
            deal, _ = load_deal(view, actor, deal_id)
            return _feedback_of(view, [deal])

        return self._read(actor, work)

    # -- the relationship ------------------------------------------------------------------------------------

    def relationship(self, actor: Actor, brand_id: str, creator_id: str) -> RelationshipSummary:
        """What ``brand_id`` and ``creator_id`` did together, for the brand and for the creator's side."""

        def work(view: View) -> RelationshipSummary:
            if actor.kind is PartyKind.BRAND and actor.id != brand_id:
                raise NotFound("relationship", f"{brand_id}/{creator_id}")
            deals = [d for d in _deals_with(view, actor, creator_id) if d.brand_id == brand_id]
            return _summarise(view, brand_id, creator_id, deals)

        return self._read(actor, work)

    def reengagement_candidates(self, actor: Actor, *, min_rating: float = 4) -> list[RelationshipSummary]:
        """Creators the brand rated at least ``min_rating`` on average and did not rule out: best first.

        Best means highest average rating, then most completed deals, then the most recent. Creators the brand
        has not rated are left out; so is anyone whose latest feedback says the brand would not work with them
        again. This is what an app (or a future matching step) calls to re-engage effective creators; nothing
        in discovery consumes it yet.
        """
        if not 1 <= min_rating <= MAX_RATING:
            raise ValidationError([Problem("min_rating", f"must be between 1 and {MAX_RATING}")], "query")

        def work(view: View) -> list[RelationshipSummary]:
            if actor.kind is not PartyKind.BRAND:
                raise PermissionDenied(str(actor), "reengagement_candidates", "only a brand re-engages its creators")
            by_creator: dict[str, list[Deal]] = defaultdict(list)
            for deal in view.find("deal", Deal, workspace=actor.id):
                by_creator[deal.creator_id].append(deal)
            summaries = [_summarise(view, actor.id, creator, deals) for creator, deals in by_creator.items()]
            keep = [
                s
                for s in summaries
                if s.average_rating_from_brand is not None
                and s.average_rating_from_brand >= min_rating
                and s.brand_would_work_again is not False
            ]
            return sorted(keep, key=_best_first)

        return self._read(actor, work, "reengagement_candidates")

    # -- brand events ----------------------------------------------------------------------------------------

    def create_event(
        self,
        actor: Actor,
        *,
        name: str,
        starts_at: datetime,
        ends_at: datetime,
        details: str = "",
        location: str = "",
        capacity: int | None = None,
        promotional_agreement: str | None = None,
    ) -> BrandEvent:
        """A brand plans an event for creators; ``promotional_agreement`` is what its guests agree to do."""
        aware_datetime(starts_at, "starts_at", "event")
        aware_datetime(ends_at, "ends_at", "event")
        problems = []
        if not name.strip():
            problems.append(Problem("name", "must not be empty"))
        if promotional_agreement is not None and not promotional_agreement.strip():
            problems.append(Problem("promotional_agreement", "describe the agreement or leave it out"))
        if problems:
            raise ValidationError(problems, "event")

        def work(change: Change) -> BrandEvent:
            if actor.kind is not PartyKind.BRAND:
                raise PermissionDenied(str(actor), "create_event", "only a brand holds brand events")
            event = _build(
                "event",
                BrandEvent,
                id=new_id("evt"),
                brand_id=actor.id,
                name=name,
                starts_at=starts_at,
                ends_at=ends_at,
                created_at=change.now,
                details=details,
                location=location,
                capacity=capacity,
                promotional_agreement=promotional_agreement,
            )
            if event.starts_at <= change.now:
                raise ValidationError([Problem("starts_at", "must be in the future")], "event")
            change.record("brand_event", event, "event.create", workspace=actor.id)
            change.event("brand_event.created", "brand_event", event.id)
            return event

        return self._write(actor, "create_event", work)

    def event(self, actor: Actor, event_id: str) -> BrandEvent:
        """The event, for its brand and for the creators invited to it."""

        def work(view: View) -> BrandEvent:
            event = _event(view, event_id)
            if actor.kind is PartyKind.BRAND and actor.id == event.brand_id:
                return event
            if any(on_creator_side(view, actor, inv.creator_id) for inv in _invitations(view, event_id)):
                return event
            raise NotFound("brand_event", event_id)

        return self._read(actor, work)

    def invite_to_event(self, actor: Actor, event_id: str, creator_id: str, *, message: str = "") -> EventInvitation:
        """Invite a creator to the brand's event (once per creator, before it starts)."""

        def work(change: Change) -> EventInvitation:
            event = _own_event(change, actor, event_id)
            if change.get("creator", creator_id) is None:
                raise NotFound("creator", creator_id)
            if event.starts_at <= change.now:
                raise StateError(
                    f"brand_event {event_id}",
                    "started",
                    "invite_to_event",
                    [],
                    "the event has already started",
                )
            if any(inv.creator_id == creator_id for inv in _invitations(change, event_id)):
                raise StateError(
                    f"brand_event {event_id}",
                    "invited",
                    "invite_to_event",
                    [],
                    f"{creator_id} is already invited",
                )
            invitation = EventInvitation(
                id=new_id("evtinv"),
                event_id=event.id,
                brand_id=event.brand_id,
                creator_id=creator_id,
                invited_by=str(actor),
                invited_at=change.now,
                message=message,
            )
            change.record(
                "event_invitation",
                invitation,
                "event.invite",
                workspace=event.brand_id,
                parent=event.id,
                state=str(invitation.status),
            )
            change.event(
                "brand_event.invited",
                "event_invitation",
                invitation.id,
                event_id=event.id,
                creator_id=creator_id,
            )
            return invitation

        return self._write(actor, "invite_to_event", work)

    def rsvp(
        self, actor: Actor, invitation_id: str, *, status: RsvpStatus | str, accept_agreement: bool = False
    ) -> EventInvitation:
        """Answer an invitation: accepted, declined or tentative; it may change until the event starts.

        Accepting an event that carries a promotional agreement needs ``accept_agreement=True`` — the guest
        commits to promoting the event. A manager answers for the creator with the ``negotiate`` scope.
        """
        answer = coerce_enum(RsvpStatus, status, "status", what="rsvp")
        if answer is RsvpStatus.INVITED:
            raise ValidationError([Problem("status", "answer accepted, declined or tentative")], "rsvp")

        def work(change: Change) -> EventInvitation:
            invitation, version = _answerable(change, actor, invitation_id)
            event = _event(change, invitation.event_id)
            if event.starts_at <= change.now:
                raise StateError(
                    f"event_invitation {invitation_id}",
                    str(invitation.status),
                    "rsvp",
                    [],
                    "the event has already started",
                )
            _check_agreement(event, answer, accept_agreement)
            if answer is RsvpStatus.ACCEPTED and invitation.status is not RsvpStatus.ACCEPTED:
                _check_capacity(change, event)
            answered = attrs.evolve(
                invitation,
                status=answer,
                responded_at=change.now,
                responded_by=str(actor),
                agreement_accepted=answer is RsvpStatus.ACCEPTED and event.promotional_agreement is not None,
            )
            change.replace("event_invitation", answered, expected_version=version, state=str(answer))
            change.audit(
                "event.rsvp",
                "event_invitation",
                invitation.id,
                change.document(answered),
                on_behalf_of=on_behalf_of(actor, invitation.creator_id),
                workspace=event.brand_id,
            )
            change.event(
                "brand_event.rsvp",
                "event_invitation",
                invitation.id,
                event_id=event.id,
                creator_id=invitation.creator_id,
                status=str(answer),
            )
            return answered

        return self._write(actor, "rsvp", work)

    def event_guests(
        self, actor: Actor, event_id: str, *, status: RsvpStatus | str | None = None
    ) -> list[EventInvitation]:
        """The brand's guest list for its event, optionally only those with ``status``."""
        wanted = None if status is None else coerce_enum(RsvpStatus, status, "status", what="guest list")

        def work(view: View) -> list[EventInvitation]:
            _own_event(view, actor, event_id)
            guests = _invitations(view, event_id)
            return [g for g in guests if wanted is None or g.status is wanted]

        return self._read(actor, work)

    def event_invitations(self, actor: Actor, creator_id: str) -> list[EventInvitation]:
        """Invitations of ``creator_id``: the creator's side sees all, a brand those to its own events."""

        def work(view: View) -> list[EventInvitation]:
            if actor.kind is PartyKind.BRAND:
                found = view.find("event_invitation", EventInvitation, workspace=actor.id)
            elif on_creator_side(view, actor, creator_id):
                found = view.find("event_invitation", EventInvitation)
            else:
                raise NotFound("creator", creator_id)
            return sorted((i for i in found if i.creator_id == creator_id), key=lambda i: (i.invited_at, i.id))

        return self._read(actor, work)


def _answerable(change: Change, actor: Actor, invitation_id: str) -> tuple[EventInvitation, int]:
    """The invitation and its version, when ``actor`` answers for its creator (a manager: with ``negotiate``)."""
    record = change.get("event_invitation", invitation_id)
    if record is None:
        raise NotFound("event_invitation", invitation_id)
    invitation = change.entity(record, EventInvitation)
    if not on_creator_side(change, actor, invitation.creator_id):
        raise NotFound("event_invitation", invitation_id)
    if not acts_for_creator(change, actor, invitation.creator_id, Scope.NEGOTIATE):
        raise PermissionDenied(
            str(actor),
            "rsvp",
            f"the roster entry for {invitation.creator_id} lacks the {Scope.NEGOTIATE} scope",
            f"event_invitation {invitation_id}",
        )
    return invitation, record.version


def _side(view: View, actor: Actor, deal: Deal, action: str) -> CollaborationSide:
    if actor.kind is PartyKind.BRAND and actor.id == deal.brand_id:
        return CollaborationSide.BRAND
    if acts_for_creator(view, actor, deal.creator_id, Scope.NEGOTIATE):
        return CollaborationSide.CREATOR
    reason = (
        "the roster entry lacks the negotiate scope"
        if actor.kind is PartyKind.TALENT_MANAGER
        else "only the brand and the creator's side give feedback"
    )
    raise PermissionDenied(str(actor), action, reason, f"deal {deal.id}")


def _deals_with(view: View, actor: Actor, creator_id: str) -> list[Deal]:
    """Deals with ``creator_id`` that ``actor`` may see: the brand's own, all for the creator's side."""
    if actor.kind is PartyKind.BRAND:
        return view.find("deal", Deal, workspace=actor.id, parent=creator_id)
    if actor.kind is PartyKind.SYSTEM or on_creator_side(view, actor, creator_id):
        return view.find("deal", Deal, parent=creator_id)
    raise NotFound("creator", creator_id)


def _event(view: View, event_id: str) -> BrandEvent:
    record = view.get("brand_event", event_id)
    if record is None:
        raise NotFound("brand_event", event_id)
    return view.entity(record, BrandEvent)


def _own_event(view: View, actor: Actor, event_id: str) -> BrandEvent:
    event = _event(view, event_id)
    if actor.kind is not PartyKind.BRAND or actor.id != event.brand_id:
        raise NotFound("brand_event", event_id)
    return event


def _invitations(view: View, event_id: str) -> list[EventInvitation]:
    found = view.find("event_invitation", EventInvitation, parent=event_id)
    return sorted(found, key=lambda i: (i.invited_at, i.id))


def _check_agreement(event: BrandEvent, status: RsvpStatus, accept_agreement: bool) -> None:
    if event.promotional_agreement is None:
        if accept_agreement:
            raise ValidationError([Problem("accept_agreement", "this event has no promotional agreement")], "rsvp")
    elif status is RsvpStatus.ACCEPTED and not accept_agreement:
        raise ValidationError(
            [
                Problem(
                    "accept_agreement",
                    f"accepting this event means accepting its promotional agreement: {event.promotional_agreement}",
                )
            ],
            "rsvp",
        )


def _check_capacity(view: View, event: BrandEvent) -> None:
    if event.capacity is None:
        return
    accepted = len(view.records("event_invitation", parent=event.id, state=str(RsvpStatus.ACCEPTED)))
    if accepted >= event.capacity:
        raise StateError(
            f"brand_event {event.id}",
            "full",
            "rsvp",
            ["decline", "tentative"],
            f"all {event.capacity} places are taken",
        )


def _after_campaign(deal: Deal, action: str) -> None:
    if deal.state not in _AFTER:
        raise StateError(f"deal {deal.id}", str(deal.state), action, [], "only once the content is published")


def _build(what: str, cls: type[E], **fields: Any) -> E:
    """Build an entity from service input; a validator's complaint is a ValidationError naming the field."""
    try:
        return cls(**fields)
    except FieldValueError as exc:
        raise ValidationError([Problem(exc.field, str(exc))], what) from None


def _feedback_of(view: View, deals: Iterable[Deal]) -> list[CollaborationFeedback]:
    found = [f for d in deals for f in view.find("feedback", CollaborationFeedback, parent=d.id)]
    return sorted(found, key=lambda f: (f.submitted_at, f.id))


def _summarise(view: View, brand_id: str, creator_id: str, deals: list[Deal]) -> RelationshipSummary:
    completed = [d for d in deals if d.state is DealState.COMPLETED]
    feedback = _feedback_of(view, deals)
    from_brand = [f for f in feedback if f.from_side is CollaborationSide.BRAND]
    from_creator = [f for f in feedback if f.from_side is CollaborationSide.CREATOR]
    contracted: dict[str, Money] = {}
    for deal in completed:
        if deal.price is not None:
            currency = deal.price.currency
            contracted[currency] = contracted[currency] + deal.price if currency in contracted else deal.price
    return RelationshipSummary(
        brand_id=brand_id,
        creator_id=creator_id,
        deals_total=len(deals),
        deals_completed=len(completed),
        deals_cancelled=sum(d.state in _CANCELLED for d in deals),
        disputes=sum(len(view.records("dispute", parent=d.id)) for d in deals),
        first_deal_at=min((d.created_at for d in deals), default=None),
        last_completed_at=max((d.updated_at for d in completed), default=None),
        average_rating_from_brand=_average(from_brand),
        ratings_from_brand=len(from_brand),
        average_rating_from_creator=_average(from_creator),
        ratings_from_creator=len(from_creator),
        brand_would_work_again=from_brand[-1].would_work_again if from_brand else None,
        creator_would_work_again=from_creator[-1].would_work_again if from_creator else None,
        appreciations_sent=sum(len(view.records("appreciation", parent=d.id)) for d in deals),
        contracted_value=tuple(contracted[c] for c in sorted(contracted)),
    )


def _best_first(summary: RelationshipSummary) -> tuple[float, int, float, str]:
    """Highest average rating, then most completed deals, then the most recently completed."""
    last = summary.last_completed_at.timestamp() if summary.last_completed_at else float("-inf")
    return (-(summary.average_rating_from_brand or 0), -summary.deals_completed, -last, summary.creator_id)


def _average(feedback: list[CollaborationFeedback]) -> float | None:
    return sum(f.rating for f in feedback) / len(feedback) if feedback else None
