"""Outreach: message templates, invitations that open a deal, and each deal's message thread.

Templates are Jinja2 text rendered in a sandbox (:mod:`._templates`) with ``creator``, ``brief``, ``brand`` and
``deal`` in scope: ``Hi {{ creator.display_name }}, ...``. A field that is missing or empty is an error naming
it — an invitation never goes out with a blank where a name should be.

An invitation or message on the ``platform`` channel is sent through the platform plugin
(:mod:`._platform_channel`: ``invitations`` or ``messaging``, whichever the platform has) and its receipt kept;
on other channels (email, DM) the SDK records what the user sent outside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from .._service import Service
from ..entities import (
    Actor,
    Awaiting,
    Brand,
    BriefStatus,
    CampaignBrief,
    Capability,
    Channel,
    CreatorProfile,
    Deal,
    DealState,
    Direction,
    Invitation,
    InvitationStatus,
    Message,
    MessageTemplate,
    PartyKind,
    PlatformInvitation,
    Thread,
    new_id,
)
from ..errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginContractError,
    Problem,
    StateError,
    ValidationError,
)
from ..money import Money
from ..parties._access import agency_of, on_behalf_of, roster_entry
from ._briefs import price_problems
from ._machine import apply, load_deal
from ._platform_channel import keep_platform_status, reach, same_answer, send_invitation
from ._states import FINAL_STATES
from ._templates import TemplateLimits, check_template, render_template

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["OutreachService"]

_FINAL = frozenset(str(state) for state in FINAL_STATES)


class OutreachService(Service):
    # -- templates ---------------------------------------------------------------------------------------------

    def create_template(self, actor: Actor, *, name: str, body: str, subject: str = "") -> MessageTemplate:
        """Save a template in the actor's workspace. It must parse; fields are checked when rendered."""
        check_template(subject, field="subject")
        check_template(body)
        template = MessageTemplate(id=new_id("tpl"), name=name, subject=subject, body=body)

        def work(change: Change) -> MessageTemplate:
            change.record("template", template, "template.create", workspace=_workspace_of(change, actor))
            return template

        return self._write(actor, "create_template", work)

    def revise_template(
        self, actor: Actor, template_id: str, *, body: str, subject: str | None = None
    ) -> MessageTemplate:
        """A new version of a template; invitations keep the version they were rendered from."""
        check_template(body)
        if subject is not None:
            check_template(subject, field="subject")

        def work(change: Change) -> MessageTemplate:
            workspace = _workspace_of(change, actor)
            record = change.get("template", template_id)
            if record is None or record.workspace != workspace:
                raise NotFound("template", template_id)
            old = change.entity(record, MessageTemplate)
            new = attrs.evolve(
                old, body=body, subject=old.subject if subject is None else subject, version=old.version + 1
            )
            change.replace("template", new, expected_version=record.version)
            change.audit("template.revise", "template", template_id, {"version": new.version}, workspace=workspace)
            return new

        return self._write(actor, "revise_template", work)

    def preview(self, actor: Actor, template_id: str, *, brief_id: str, creator_id: str) -> tuple[str, str]:
        """Render (subject, body) for one creator without sending anything."""
        limits = TemplateLimits.of(self._flow)

        def work(view: View) -> tuple[str, str]:
            template = _template(view, actor, template_id)
            _visible_brief(view, actor, brief_id)
            context = _context(view, brief_id, creator_id, None)
            subject = render_template(template.subject, context, field="subject", limits=limits)
            return subject, render_template(template.body, context, limits=limits)

        return self._read(actor, work)

    # -- invitations -------------------------------------------------------------------------------------------

    def invite(
        self,
        actor: Actor,
        *,
        brief_id: str,
        creator_id: str,
        platform: str,
        template_id: str | None = None,
        body: str | None = None,
        subject: str = "",
        channel: Channel = Channel.PLATFORM,
        proposed_price: Money | None = None,
        respond_days: int | None = None,
    ) -> Deal:
        """Invite a creator to a published brief: opens a deal (INVITED), its invitation and its thread.

        Give ``template_id`` (rendered per creator) or a literal ``body``. On the platform channel the platform
        plugin sends it — outside any store transaction, so a slow platform never holds the database; otherwise
        it is recorded as sent by the user on that channel.
        """
        if (template_id is None) == (body is None):
            raise ValidationError([Problem("template_id", "give exactly one of template_id or body")], "invitation")
        if respond_days is not None and (type(respond_days) is not int or respond_days < 1):
            raise ValidationError([Problem("respond_days", "must be a whole number of days, at least 1")], "invitation")
        now = self._now()
        draft = _Draft(
            deal_id=new_id("deal"),
            brief_id=brief_id,
            creator_id=creator_id,
            platform=platform,
            channel=_channel(channel),
            template_id=template_id,
            body=body,
            subject=subject,
            sent_at=now,
            respond_by=now + timedelta(days=respond_days or self._flow.invitation_response_days),
            proposed_price=proposed_price,
        )
        limits = TemplateLimits.of(self._flow)
        invitation, creator = self._read(actor, lambda view: _rendered(view, actor, draft, limits), "invite")
        receipt = send_invitation(
            self._kit.plugins,
            invitation,
            platform,
            creator,
            lambda: self._kit.connections.for_workspace(invitation.sent_by, platform),
        )
        if receipt is not None:
            invitation = attrs.evolve(invitation, platform_ref=receipt.platform_ref)
        return self._write(actor, "invite", lambda change: _open_deal(change, invitation, platform, proposed_price))

    def respond(self, actor: Actor, deal_id: str, *, accept: bool, message: str = "") -> Deal:
        """The creator (or a manager with the negotiate scope) accepts or declines an invitation."""

        def work(change: Change) -> Deal:
            deal, _ = load_deal(change, actor, deal_id)
            action = "accept_invitation" if accept else "decline_invitation"
            if deal.state is DealState.INVITED and deal.deadline is not None and deal.deadline <= change.now:
                raise StateError(f"deal {deal_id}", "invited", action, [], "the invitation's response deadline passed")
            moved = apply(change, deal, action, payload={"message": message})
            if accept:  # a decline ends the deal, and apply() closes what waited on it
                for record in change.records("invitation", parent=deal_id, state=str(InvitationStatus.SENT)):
                    accepted = attrs.evolve(change.entity(record, Invitation), status=InvitationStatus.ACCEPTED)
                    change.replace(
                        "invitation", accepted, expected_version=record.version, state=str(InvitationStatus.ACCEPTED)
                    )
            if message:
                _append(change, deal, message, Channel.PLATFORM, Direction.INBOUND, None)
            return moved

        return self._write(actor, "respond_invitation", work)

    def invitation(self, actor: Actor, deal_id: str) -> Invitation:
        def work(view: View) -> Invitation:
            load_deal(view, actor, deal_id)
            records = view.records("invitation", parent=deal_id)
            if not records:
                raise NotFound("invitation", deal_id)
            return view.entity(records[0], Invitation)

        return self._read(actor, work)

    # -- messages ----------------------------------------------------------------------------------------------

    def send_message(self, actor: Actor, deal_id: str, body: str, *, channel: Channel = Channel.PLATFORM) -> Message:
        """Write in the deal's thread; on the platform channel the platform plugin delivers it."""
        channel = _channel(channel)
        if not isinstance(body, str) or not body.strip():
            raise ValidationError([Problem("body", "must not be empty")], "message")

        def prepare(view: View) -> tuple[Deal, CreatorProfile]:
            deal, _ = load_deal(view, actor, deal_id)
            if deal.state in FINAL_STATES:
                raise StateError(f"deal {deal_id}", str(deal.state), "send_message", [], "the deal is closed")
            return deal, view.load("creator", deal.creator_id, CreatorProfile)

        deal, creator = self._read(actor, prepare)
        message = Message(
            id=new_id("msg"),
            thread_id="",
            sender_id=actor.id,
            direction=Direction.OUTBOUND,
            channel=channel,
            body=body,
            sent_at=self._now(),
        )
        receipt = None
        if actor.kind is PartyKind.BRAND and channel is Channel.PLATFORM:
            client, account = reach(self._kit.plugins, deal.platform, creator, Capability.MESSAGING)
            context = self._kit.connections.for_workspace(deal.brand_id, deal.platform)
            receipt = client.send_message(message, account, context=context)
        direction = Direction.OUTBOUND if actor.kind is PartyKind.BRAND else Direction.INBOUND
        platform_ref = receipt.platform_ref if receipt else None

        def work(change: Change) -> Message:
            current, _ = load_deal(change, actor, deal_id)
            return _append(change, current, body, channel, direction, platform_ref, message_id=message.id)

        return self._write(actor, "send_message", work)

    def record_inbound(
        self,
        actor: Actor,
        deal_id: str,
        body: str,
        *,
        sender_id: str,
        channel: Channel,
        platform_ref: str | None = None,
    ) -> Message:
        """Record a reply that arrived outside the SDK (a platform webhook, an email) in the deal's thread.

        The system (a webhook handler) records for either side; a party records only what its own side sent —
        a brand cannot put words in the creator's mouth, nor the creator's side in the brand's.
        """
        channel = _channel(channel)

        def work(change: Change) -> Message:
            deal, _ = load_deal(change, actor, deal_id)
            _check_sender(change, actor, deal, sender_id)
            return _append(change, deal, body, channel, Direction.INBOUND, platform_ref, sender=sender_id)

        return self._write(actor, "record_inbound", work)

    def thread(self, actor: Actor, deal_id: str) -> list[Message]:
        def work(view: View) -> list[Message]:
            load_deal(view, actor, deal_id)
            messages: list[Message] = []
            for thread in view.records("thread", parent=deal_id):
                messages.extend(view.find("message", Message, parent=thread.id))
            return sorted(messages, key=lambda m: m.sent_at)  # stable: ties keep the store's insertion order

        return self._read(actor, work)

    def refresh_invitation(self, actor: Actor, deal_id: str) -> PlatformInvitation:
        """Read the deal's invitation back from the platform (``invitations`` capability) and keep what it says.

        The platform's status is kept beside the invitation (store kind ``platform_invitation``) and audited when
        it changes; the deal itself moves only when a party answers through :meth:`respond`, since the state table
        gives that move to the creator's side.
        """

        def prepare(view: View) -> tuple[Deal, Invitation, CreatorProfile, PlatformInvitation | None]:
            deal, _ = load_deal(view, actor, deal_id)
            records = view.records("invitation", parent=deal_id)
            if not records:
                raise NotFound("invitation", deal_id)
            invitation = view.entity(records[0], Invitation)
            kept = view.get("platform_invitation", invitation.id)
            known = None if kept is None else view.entity(kept, PlatformInvitation)
            return deal, invitation, view.load("creator", deal.creator_id, CreatorProfile), known

        deal, invitation, creator, known = self._read(actor, prepare, "refresh_invitation")
        if invitation.channel is not Channel.PLATFORM or invitation.platform_ref is None:
            raise StateError(
                f"invitation {invitation.id}",
                str(invitation.status),
                "refresh_invitation",
                [],
                f"it was not sent through {deal.platform}, so only its recipient can say how it stands",
            )
        client, account = reach(self._kit.plugins, deal.platform, creator, Capability.INVITATIONS)
        context = self._kit.connections.for_workspace(deal.brand_id, deal.platform)
        status = client.get_invitation(invitation.platform_ref, account, context=context)
        if status.platform_ref != invitation.platform_ref:
            raise PluginContractError(
                deal.platform,
                "creatorkit_get_invitation",
                f"answered for {status.platform_ref!r}, not the one asked for",
            )
        if known is not None and same_answer(known, status):
            return status  # nothing new to keep: the trail already holds this answer

        def work(change: Change) -> PlatformInvitation:
            keep_platform_status(change, deal, invitation, status)
            return status

        return self._write(actor, "refresh_invitation", work)

    # -- the platform channel ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Draft:
    """An invitation as the brand asked for it, before it is rendered for the creator."""

    deal_id: str
    brief_id: str
    creator_id: str
    platform: str
    channel: Channel
    template_id: str | None
    body: str | None
    subject: str
    sent_at: datetime
    respond_by: datetime
    proposed_price: Money | None


def _rendered(view: View, actor: Actor, draft: _Draft, limits: TemplateLimits) -> tuple[Invitation, CreatorProfile]:
    """The invitation rendered for its creator (within ``limits``), after checking the brand, the brief and that
    no deal is open."""
    if actor.kind is not PartyKind.BRAND:
        raise PermissionDenied(str(actor), "invite", "only a brand invites creators to its briefs")
    brief = _published_brief(view, actor, draft.brief_id)
    if draft.proposed_price is not None:
        problems = [] if draft.proposed_price.amount > 0 else [Problem("proposed_price", "must be more than zero")]
        problems += price_problems(
            brief.budget, draft.proposed_price, field="proposed_price", currency_field="proposed_price.currency"
        )
        if problems:
            raise ValidationError(problems, "invitation")
    creator = view.load("creator", draft.creator_id, CreatorProfile)
    _no_open_deal(view, draft.brief_id, draft.creator_id)
    if draft.template_id is not None:
        template = _template(view, actor, draft.template_id)
        subject, body = template.subject, template.body
    else:
        subject, body = draft.subject, draft.body or ""
    context = _context(view, brief.id, draft.creator_id, None)
    rendered_subject = render_template(subject, context, field="subject", limits=limits)
    invitation = Invitation(
        id=new_id("inv"),
        deal_id=draft.deal_id,
        brief_id=brief.id,
        creator_id=draft.creator_id,
        sent_by=actor.id,
        channel=draft.channel,
        body=render_template(body, context, limits=limits),
        subject=rendered_subject,
        sent_at=draft.sent_at,
        respond_by=draft.respond_by,
        platform=draft.platform,
        template_id=draft.template_id,
    )
    return invitation, creator


def _open_deal(change: Change, invitation: Invitation, platform: str, proposed_price: Money | None) -> Deal:
    """The deal the invitation opens (INVITED, waiting for the creator), with its invitation and thread."""
    _no_open_deal(change, invitation.brief_id, invitation.creator_id)
    brand_id, now = change.actor.id, invitation.sent_at
    deal = Deal(
        id=invitation.deal_id,
        brief_id=invitation.brief_id,
        brand_id=brand_id,
        creator_id=invitation.creator_id,
        platform=platform,
        state=DealState.INVITED,
        created_at=now,
        updated_at=now,
        deadline=invitation.respond_by,
        awaiting=Awaiting.CREATOR,
        price=proposed_price,
    )
    try:
        change.insert(
            "deal", deal, workspace=brand_id, parent=deal.creator_id, subject=deal.brief_id, state=str(deal.state)
        )
    except ConflictError:
        # The database's one-open-deal rule: a concurrent invitation (PostgreSQL: read before this one's deal
        # was written) committed first. Its deal is visible now; name it as the check above would have.
        _no_open_deal(change, invitation.brief_id, invitation.creator_id)
        raise
    change.insert("invitation", invitation, workspace=brand_id, parent=deal.id, state=str(invitation.status))
    thread = Thread(
        id=new_id("thread"),
        deal_id=deal.id,
        participants=(brand_id, deal.creator_id),
        created_at=now,
        subject=invitation.subject,
    )
    change.insert("thread", thread, workspace=brand_id, parent=deal.id)
    change.audit("deal.invite", "deal", deal.id, {"invitation": change.document(invitation)}, workspace=brand_id)
    change.event("deal.state_changed", "deal", deal.id, action="invite", from_state=None, to_state=str(deal.state))
    return deal


def _append(
    change: Change,
    deal: Deal,
    body: str,
    channel: Channel,
    direction: Direction,
    platform_ref: str | None,
    *,
    sender: str | None = None,
    message_id: str | None = None,
) -> Message:
    """Add a message to the deal's thread, on behalf of the creator when their manager writes it."""
    threads = change.records("thread", parent=deal.id)
    if not threads:
        raise NotFound("thread", deal.id)
    message = Message(
        id=message_id or new_id("msg"),
        thread_id=threads[0].id,
        sender_id=sender or change.actor.id,
        direction=direction,
        channel=channel,
        body=body,
        sent_at=change.now,
        platform_ref=platform_ref,
    )
    change.record(
        "message",
        message,
        "message.append",
        workspace=deal.brand_id,
        parent=threads[0].id,
        on_behalf_of=on_behalf_of(change.actor, deal.creator_id),
    )
    name = "message.received" if direction is Direction.INBOUND else "message.sent"
    change.event(name, "message", message.id, deal_id=deal.id)
    return message


def _check_sender(view: View, actor: Actor, deal: Deal, sender_id: str) -> None:
    """The sender is a party to the deal, and a party records only what its own side sent."""
    creator_side = {deal.creator_id}
    if roster_entry(view, sender_id, deal.creator_id) is not None:
        creator_side.add(sender_id)
    if sender_id not in {deal.brand_id} | creator_side:
        raise ValidationError([Problem("sender_id", f"{sender_id} is not a party to deal {deal.id}")], "message")
    if actor.kind is not PartyKind.SYSTEM:
        own = {deal.brand_id} if actor.kind is PartyKind.BRAND else creator_side
        if sender_id not in own:
            raise PermissionDenied(
                str(actor), "record_inbound", "a party records only messages its own side sent", f"deal {deal.id}"
            )


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(repr(c.value) for c in Channel)
        raise ValidationError([Problem("channel", f"{value!r} is not one of {allowed}")], "message") from None


def _no_open_deal(view: View, brief_id: str, creator_id: str) -> None:
    # From the records themselves: another brand's deals with this creator are not this call's to build.
    for record in view.records("deal", parent=creator_id):
        if record.doc.get("brief_id") == brief_id and record.state not in _FINAL:
            raise StateError(
                f"deal {record.id}",
                str(record.state),
                "invite",
                [],
                "this creator already has an open deal for this brief",
            )


def _published_brief(view: View, actor: Actor, brief_id: str) -> CampaignBrief:
    record = view.get("brief", brief_id)
    if record is None or record.workspace != actor.id:
        raise NotFound("brief", brief_id)
    brief = view.entity(record, CampaignBrief)
    if brief.status is not BriefStatus.PUBLISHED:
        raise StateError(
            f"brief {brief_id}",
            str(brief.status),
            "invite",
            ["publish"] if brief.status is BriefStatus.DRAFT else [],
            "invitations need a published brief",
        )
    return brief


def _visible_brief(view: View, actor: Actor, brief_id: str) -> None:
    record = view.get("brief", brief_id)
    if record is None or (record.workspace != actor.id and record.state != str(BriefStatus.PUBLISHED)):
        raise NotFound("brief", brief_id)


def _template(view: View, actor: Actor, template_id: str) -> MessageTemplate:
    record = view.get("template", template_id)
    if record is None or record.workspace != _workspace_of(view, actor):
        raise NotFound("template", template_id)
    return view.entity(record, MessageTemplate)


def _context(view: View, brief_id: str, creator_id: str, deal: Deal | None) -> dict[str, Any]:
    brief = view.load("brief", brief_id, CampaignBrief)
    creator = view.load("creator", creator_id, CreatorProfile)
    return {
        # The creator's public page: a template is written by the other side, so private contact details stay out.
        "creator": attrs.evolve(creator, email=None, signing_key=None),
        "brief": brief,
        "brand": view.load("brand", brief.brand_id, Brand),
        "deal": deal,
    }


def _workspace_of(view: View, actor: Actor) -> str:
    if actor.kind in (PartyKind.BRAND, PartyKind.AGENCY):
        return actor.id
    if actor.kind is PartyKind.TALENT_MANAGER:
        return agency_of(view, actor.id)
    raise PermissionDenied(str(actor), "use_templates", "templates belong to brands and agencies")
