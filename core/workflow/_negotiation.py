"""Negotiation: offers and counter-offers on price, deliverables, payment terms and dates.

One offer is open at a time. Answering an open offer with new terms is a counter-offer (the old one becomes
``countered``); accepting it agrees the deal. Each offer has a response deadline, and the deal's deadline moves
with it. :meth:`NegotiationService.status` tells each side what needs its action.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from .._service import Service
from ..converter import structure
from ..entities import Actor, Awaiting, CampaignBrief, Deal, DealState, Offer, OfferStatus, PartyKind, Terms, new_id
from ..errors import NotFound, PermissionDenied, Problem, StateError, ValidationError
from ..parties._access import on_behalf_of
from ._briefs import price_problems
from ._machine import apply, load_deal, may

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["NegotiationService", "NegotiationStatus"]


class NegotiationStatus(enum.StrEnum):
    """What a negotiation looks like from one side."""

    AWAITING_YOUR_RESPONSE = "awaiting_your_response"
    CHANGES_PROPOSED = "changes_proposed"  # the other side countered what you offered
    AWAITING_THEIR_RESPONSE = "awaiting_their_response"
    NO_OPEN_OFFER = "no_open_offer"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class NegotiationService(Service):
    def propose(
        self,
        actor: Actor,
        deal_id: str,
        terms: Terms | Mapping[str, Any],
        *,
        note: str = "",
        respond_days: int | None = None,
    ) -> Offer:
        """Offer ``terms`` (a :class:`Terms`, or its plain-data form) to the other side; this counters their
        open offer if they have one. Malformed terms are a ValidationError naming each field path from the
        argument (``terms.payment.milestones[1].amount``)."""
        if not isinstance(terms, Terms):
            terms = _structured(terms)
        if respond_days is not None and (type(respond_days) is not int or respond_days < 1):
            raise ValidationError([Problem("respond_days", "must be a whole number of days, at least 1")], "offer")

        def work(change: Change) -> Offer:
            deal, _ = load_deal(change, actor, deal_id)
            side, other = _sides(actor, deal)
            _check_terms(change, deal, terms)
            counter_to = _counter_open_offer(change, deal, side)
            days = respond_days or change.flow.offer_response_days
            offer = Offer(
                id=new_id("offer"),
                deal_id=deal.id,
                from_party=side,
                to_party=other,
                terms=terms,
                created_at=change.now,
                respond_by=change.now + timedelta(days=days),
                counter_to=counter_to,
                note=note,
            )
            change.record(
                "offer",
                offer,
                "offer.propose",
                workspace=deal.brand_id,
                parent=deal.id,
                state=str(offer.status),
                on_behalf_of=on_behalf_of(actor, deal.creator_id),
            )
            payload = {"offer_id": offer.id}
            apply(change, deal, "propose_terms", payload=payload, deadline=offer.respond_by, awaiting=_who(other, deal))
            change.event("offer.proposed", "offer", offer.id, deal_id=deal.id, counter_to=counter_to)
            return offer

        return self._write(actor, "propose_offer", work)

    def accept(self, actor: Actor, offer_id: str) -> Deal:
        """Accept the open offer addressed to you: the deal becomes AGREED on exactly these terms."""

        def work(change: Change) -> Deal:
            offer, version, deal = _addressed(change, actor, offer_id, "accept_offer")
            _check_still_ahead(change, deal, offer.terms)
            _set_status(change, offer, version, OfferStatus.ACCEPTED)
            payload = {"offer_id": offer.id}
            return apply(change, deal, "accept_offer", payload=payload, terms=offer.terms, price=offer.terms.price)

        return self._write(actor, "accept_offer", work)

    def decline(self, actor: Actor, offer_id: str, *, reason: str = "") -> Deal:
        """Decline the offer addressed to you; the deal stays in negotiation for a new proposal."""

        def work(change: Change) -> Deal:
            offer, version, deal = _addressed(change, actor, offer_id, "decline_offer")
            _set_status(change, offer, version, OfferStatus.DECLINED)
            payload = {"offer_id": offer.id, "reason": reason}
            return apply(change, deal, "decline_offer", payload=payload, awaiting=_who(offer.from_party, deal))

        return self._write(actor, "decline_offer", work)

    def withdraw(self, actor: Actor, offer_id: str) -> Offer:
        def work(change: Change) -> Offer:
            offer, version, deal = _offer_and_deal(change, actor, offer_id)
            side, _other = _sides(actor, deal)
            may(change, actor, deal, "propose_terms", "withdraw_offer")
            if offer.from_party != side:
                raise PermissionDenied(str(actor), "withdraw_offer", "only the side that made an offer withdraws it")
            if offer.status is not OfferStatus.OPEN:
                raise StateError(f"offer {offer_id}", str(offer.status), "withdraw", [])
            withdrawn = _set_status(change, offer, version, OfferStatus.WITHDRAWN)
            change.audit("offer.withdraw", "offer", offer_id, {}, workspace=deal.brand_id)
            return withdrawn

        return self._write(actor, "withdraw_offer", work)

    def offers(self, actor: Actor, deal_id: str) -> list[Offer]:
        """The deal's full negotiation history, oldest first."""

        def work(view: View) -> list[Offer]:
            load_deal(view, actor, deal_id)
            return sorted(view.find("offer", Offer, parent=deal_id), key=lambda o: o.created_at)

        return self._read(actor, work)

    def status(self, actor: Actor, deal_id: str) -> NegotiationStatus:
        """What the negotiation needs from ``actor``'s side right now."""

        now = self._now()

        def work(view: View) -> NegotiationStatus:
            deal, _ = load_deal(view, actor, deal_id)
            side, _other = _sides(actor, deal)
            offers = sorted(view.find("offer", Offer, parent=deal_id), key=lambda o: o.created_at)
            return _status(deal, offers, side, now)

        return self._read(actor, work)


# -- helpers -------------------------------------------------------------------------------------------------


def _status(deal: Deal, offers: list[Offer], side: str, now: datetime) -> NegotiationStatus:
    """What the negotiation needs from ``side``, given every offer of the deal, oldest first."""
    if deal.state is DealState.EXPIRED:
        return NegotiationStatus.EXPIRED
    if deal.state is DealState.DECLINED:
        return NegotiationStatus.DECLINED
    if not offers:
        return NegotiationStatus.NO_OPEN_OFFER
    last = offers[-1]
    if last.status is OfferStatus.ACCEPTED:
        return NegotiationStatus.ACCEPTED
    if last.status is OfferStatus.DECLINED:
        return NegotiationStatus.DECLINED
    if last.status is not OfferStatus.OPEN:
        return NegotiationStatus.NO_OPEN_OFFER
    if last.respond_by <= now:
        return NegotiationStatus.EXPIRED
    if last.to_party != side:
        return NegotiationStatus.AWAITING_THEIR_RESPONSE
    mine_before = any(o.from_party == side for o in offers[:-1])
    return (
        NegotiationStatus.CHANGES_PROPOSED
        if last.counter_to and mine_before
        else NegotiationStatus.AWAITING_YOUR_RESPONSE
    )


def _sides(actor: Actor, deal: Deal) -> tuple[str, str]:
    """(the actor's side, the other side) of the negotiation, as party ids."""
    if actor.kind is PartyKind.BRAND:
        return deal.brand_id, deal.creator_id
    if actor.kind in (PartyKind.CREATOR, PartyKind.TALENT_MANAGER):
        return deal.creator_id, deal.brand_id
    raise PermissionDenied(str(actor), "negotiate", "only the brand and the creator's side negotiate")


def _counter_open_offer(change: Change, deal: Deal, side: str) -> str | None:
    """A new offer counters the other side's open one (which becomes ``countered``); yours must be withdrawn."""
    counter_to = None
    for record in change.records("offer", parent=deal.id, state=str(OfferStatus.OPEN)):
        offer = change.entity(record, Offer)
        if offer.from_party == side:
            raise StateError(
                f"offer {offer.id}",
                "open",
                "propose",
                ["withdraw"],
                "your previous offer is still open; withdraw it first",
            )
        _set_status(change, offer, record.version, OfferStatus.COUNTERED)
        counter_to = offer.id
    return counter_to


def _addressed(change: Change, actor: Actor, offer_id: str, action: str) -> tuple[Offer, int, Deal]:
    """The open, unexpired offer ``offer_id`` addressed to the actor's side, its version, and its deal."""
    offer, version, deal = _offer_and_deal(change, actor, offer_id)
    side, _other = _sides(actor, deal)
    if offer.status is not OfferStatus.OPEN:
        raise StateError(f"offer {offer_id}", str(offer.status), action, [], "only an open offer can be answered")
    if offer.to_party != side:
        raise PermissionDenied(str(actor), action, "this offer is addressed to the other side", f"offer {offer_id}")
    if offer.respond_by <= change.now:
        raise StateError(f"offer {offer_id}", "expired", action, ["propose"], "its response deadline passed")
    return offer, version, deal


def _offer_and_deal(view: View, actor: Actor, offer_id: str) -> tuple[Offer, int, Deal]:
    """The offer, its version and its deal; an offer on a deal the actor may not see does not exist.

    Answering with the deal's NotFound would tell another workspace which deal the offer belongs to.
    """
    record = view.get("offer", offer_id)
    if record is None:
        raise NotFound("offer", offer_id)
    offer = view.entity(record, Offer)
    try:
        deal, _ = load_deal(view, actor, offer.deal_id)
    except NotFound:
        raise NotFound("offer", offer_id) from None
    return offer, record.version, deal


def _set_status(change: Change, offer: Offer, version: int, status: OfferStatus) -> Offer:
    updated = attrs.evolve(offer, status=status)
    change.replace("offer", updated, expected_version=version, state=str(status))
    return updated


def _structured(terms: object) -> Terms:
    """Terms from their plain-data form, each problem's path starting at the argument (``terms.price``).

    A positive price, positive milestones and milestones that add up to the price hold for every Terms value,
    so the entity checks them; what depends on the deal (its brief, today's date) is checked by the service.
    """
    if not isinstance(terms, Mapping):
        raise ValidationError([Problem("terms", f"expected Terms, got {type(terms).__name__}")], "terms")
    try:
        return structure(terms, Terms, what="terms")
    except ValidationError as invalid:
        problems = [Problem(f"terms.{p.path}" if p.path else "terms", p.message) for p in invalid.problems]
        raise ValidationError(problems, "terms") from None


def _check_terms(change: Change, deal: Deal, terms: Terms) -> None:
    """What the terms must be on this deal, now: deliverables, a price the deal's brief can pay, dates ahead."""
    problems = [] if terms.deliverables else [Problem("terms.deliverables", "at least one deliverable")]
    brief = change.load("brief", deal.brief_id, CampaignBrief)
    problems += price_problems(brief.budget, terms.price, field="terms.price", currency_field="terms.price.currency")
    problems += _passed_dates(terms, brief, change.now)
    if problems:
        raise ValidationError(problems, "terms")


def _check_still_ahead(change: Change, deal: Deal, terms: Terms) -> None:
    """Time has moved since the offer was made: its dates must still lie ahead when it is accepted."""
    problems = _passed_dates(terms, change.load("brief", deal.brief_id, CampaignBrief), change.now)
    if problems:
        raise ValidationError(problems, "terms")


def _passed_dates(terms: Terms, brief: CampaignBrief, now: datetime) -> list[Problem]:
    """The dates of ``terms`` that are not ahead of ``now``, each at its path.

    Agreed, a publishing date in the past leaves a deal that no contract can be drafted for (its draft date must
    lie ahead and come before the publishing date). Without a ``publish_by`` of their own the terms take the
    brief's window's end, which must then still be ahead.
    """
    dates: list[tuple[str, datetime | None]] = [("terms.publish_by", terms.publish_by)]
    dates += [(f"terms.deliverables[{i}].due", item.due) for i, item in enumerate(terms.deliverables)]
    dates += [(f"terms.payment.milestones[{i}].due", part.due) for i, part in enumerate(terms.payment.milestones)]
    problems = [
        Problem(path, f"must be in the future (now is {now.isoformat()})")
        for path, moment in dates
        if moment is not None and moment <= now
    ]
    window_end = brief.timeline.publish_until
    if terms.publish_by is None and window_end <= now:
        problems.append(
            Problem("terms.publish_by", f"the brief's window ended at {window_end.isoformat()}: give a date ahead")
        )
    return problems


def _who(party_id: str, deal: Deal) -> Awaiting:
    return Awaiting.BRAND if party_id == deal.brand_id else Awaiting.CREATOR
