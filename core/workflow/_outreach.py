"""Outreach: message templates, invitations that open a deal, and each deal's message thread.

Templates are Jinja2 text rendered in a sandbox (user-written templates cannot reach object internals) with
``creator``, ``brief``, ``brand`` and ``deal`` in scope: ``Hi {{ creator.display_name }}, ...``. A field that is
missing or empty is an error naming it — an invitation never goes out with a blank where a name should be.

An invitation or message on the ``platform`` channel is sent through the platform plugin's outreach hook and
its receipt kept; on other channels (email, DM) the SDK records what the user sent outside it.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import attrs

from .._service import Change, Service, on_behalf_of
from ..entities import (
    Actor,
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
    OutreachReceipt,
    PartyKind,
    Thread,
    new_id,
)
from ..errors import NotFound, PermissionDenied, Problem, StateError, ValidationError
from ..money import Money
from ._states import FINAL_STATES

__all__ = ["OutreachService", "check_template", "render_template"]


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    def no_blanks(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _BlankField()
        return value

    return SandboxedEnvironment(undefined=StrictUndefined, finalize=no_blanks, autoescape=False)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Any:
    """Compiling a template costs far more than rendering it; the same texts are rendered again and again."""
    template = _environment().from_string(text)
    # Jinja keeps a template's globals as a ChainMap over the environment's and copies it key by key on every
    # render, which cost more than rendering a short template. Our environment's globals never change after
    # it is built, so one plain dict says the same.
    template.globals = dict(template.globals)
    return template


class _BlankField(Exception):
    pass


def check_template(text: str, *, field: str = "body", what: str = "template") -> None:
    """Refuse a template that does not parse, naming the field and line; fields are checked when it is rendered."""
    from jinja2 import TemplateSyntaxError

    if not isinstance(text, str):
        raise ValidationError([Problem(field, "must be text")], what)
    try:
        _compiled(text)
    except TemplateSyntaxError as exc:
        raise ValidationError([Problem(f"{field}:line {exc.lineno}", exc.message or "syntax error")], what) from None


def render_template(text: str, context: dict[str, Any], *, field: str = "body") -> str:
    """Render ``text`` with ``context``; a missing or empty field raises ValidationError naming it."""
    if "{" not in text and "\r" not in text and not text.endswith("\n"):
        return text  # no template syntax, nothing for Jinja to normalise: an empty subject, a plain note
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    try:
        template = _compiled(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            [Problem(f"{field}:line {exc.lineno}", exc.message or "syntax error")], "template"
        ) from None
    try:
        return str(template.render(**context))
    except UndefinedError as exc:
        raise ValidationError([Problem(field, f"template field is missing: {exc.message}")], "template") from None
    except _BlankField:
        blank = _first_blank(text, context)
        raise ValidationError(
            [Problem(field, f"template field {blank} is empty for this creator")], "template"
        ) from None
    except SecurityError as exc:
        raise ValidationError([Problem(field, f"template is not allowed to do that: {exc}")], "template") from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        # A template is user input: whatever its expressions do wrong is a problem with the template.
        raise ValidationError([Problem(field, f"template failed: {type(exc).__name__}: {exc}")], "template") from None


def _first_blank(text: str, context: dict[str, Any]) -> str:
    """Name the first ``{{ a.b }}`` expression that renders empty, for the error message."""
    import re

    for expression in re.findall(r"\{\{\s*([\w.]+)\s*\}\}", text):
        value: Any = context
        for part in expression.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            return str(expression)
    return "(an expression)"


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(repr(c.value) for c in Channel)
        raise ValidationError([Problem("channel", f"{value!r} is not one of {allowed}")], "message") from None


class OutreachService(Service):
    # -- templates ---------------------------------------------------------------------------------------------

    def create_template(self, actor: Actor, *, name: str, body: str, subject: str = "") -> MessageTemplate:
        """Save a template in the actor's workspace. It must parse; fields are checked when rendered."""
        check_template(subject, field="subject")
        check_template(body)
        template = MessageTemplate(id=new_id("tpl"), name=name, subject=subject, body=body)

        def work(change: Change) -> MessageTemplate:
            workspace = self._workspace_of(actor, change.tx)
            change.record("template", template, "template.create", workspace=workspace)
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
            workspace = self._workspace_of(actor, change.tx)
            record = change.tx.get("template", template_id)
            if record is None or record.workspace != workspace:
                raise NotFound("template", template_id)
            old = self.entity(record, MessageTemplate)
            new = attrs.evolve(
                old, body=body, subject=old.subject if subject is None else subject, version=old.version + 1
            )
            change.replace("template", new, expected_version=record.version)
            change.audit("template.revise", "template", template_id, {"version": new.version}, workspace=workspace)
            return new

        return self._write(actor, "revise_template", work)

    def preview(self, actor: Actor, template_id: str, *, brief_id: str, creator_id: str) -> tuple[str, str]:
        """Render (subject, body) for one creator without sending anything."""

        def work(tx: Any) -> tuple[str, str]:
            template = self._template(tx, actor, template_id)
            self._visible_brief(tx, actor, brief_id)
            context = self._context(tx, brief_id, creator_id, None)
            return render_template(template.subject, context, field="subject"), render_template(template.body, context)

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
        plugin sends it; otherwise it is recorded as sent by the user on that channel.
        """
        if (template_id is None) == (body is None):
            raise ValidationError([Problem("template_id", "give exactly one of template_id or body")], "invitation")
        now = self.now
        deal_id, invitation_id = new_id("deal"), new_id("inv")
        if respond_days is not None and (type(respond_days) is not int or respond_days < 1):
            raise ValidationError([Problem("respond_days", "must be a whole number of days, at least 1")], "invitation")
        days = respond_days or self.kit.config.workflow.invitation_response_days
        respond_by = now + timedelta(days=days)

        def prepare(tx: Any) -> tuple[Invitation, CreatorProfile]:
            if actor.kind is not PartyKind.BRAND:
                raise PermissionDenied(str(actor), "invite", "only a brand invites creators to its briefs")
            brief = self._brief(tx, actor, brief_id)
            creator = self.entity(tx.require("creator", creator_id), CreatorProfile)
            self._no_open_deal(tx, brief_id, creator_id)
            if template_id is not None:
                template = self._template(tx, actor, template_id)
                context = self._context(tx, brief.id, creator_id, None)
                text_subject = render_template(template.subject, context, field="subject")
                text_body = render_template(template.body, context)
            else:
                context = self._context(tx, brief.id, creator_id, None)
                text_subject = render_template(subject, context, field="subject")
                text_body = render_template(body or "", context)
            invitation = Invitation(
                id=invitation_id,
                deal_id=deal_id,
                brief_id=brief.id,
                creator_id=creator_id,
                sent_by=actor.id,
                channel=channel,
                body=text_body,
                subject=text_subject,
                sent_at=now,
                respond_by=respond_by,
                platform=platform,
                template_id=template_id,
            )
            return invitation, creator

        channel = _channel(channel)
        invitation, creator = self._read(actor, prepare, "invite")
        receipt = self._send(
            invitation.channel, platform, creator, lambda client, account: client.send_invitation(invitation, account)
        )
        if receipt is not None:
            invitation = attrs.evolve(invitation, platform_ref=receipt.platform_ref)

        def work(change: Change) -> Deal:
            self._no_open_deal(change.tx, brief_id, creator_id)
            deal = Deal(
                id=deal_id,
                brief_id=brief_id,
                brand_id=actor.id,
                creator_id=creator_id,
                platform=platform,
                state=DealState.INVITED,
                created_at=now,
                updated_at=now,
                deadline=respond_by,
                awaiting="creator",
                price=proposed_price,
            )
            change.insert("deal", deal, workspace=actor.id, parent=creator_id, state=str(deal.state))
            change.insert("invitation", invitation, workspace=actor.id, parent=deal_id, state=str(invitation.status))
            thread = Thread(
                id=new_id("thread"),
                deal_id=deal_id,
                participants=(actor.id, creator_id),
                created_at=now,
                subject=invitation.subject,
            )
            change.insert("thread", thread, workspace=actor.id, parent=deal_id)
            change.audit(
                "deal.invite", "deal", deal_id, {"invitation": change.document(invitation)}, workspace=actor.id
            )
            change.event(
                "deal.state_changed", "deal", deal_id, action="invite", from_state=None, to_state=str(DealState.INVITED)
            )
            return deal

        return self._write(actor, "invite", work)

    def respond(self, actor: Actor, deal_id: str, *, accept: bool, message: str = "") -> Deal:
        """The creator (or a manager with the negotiate scope) accepts or declines an invitation."""

        def work(change: Change) -> Deal:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            action = "accept_invitation" if accept else "decline_invitation"
            if deal.state is DealState.INVITED and deal.deadline is not None and deal.deadline <= change.now:
                raise StateError(f"deal {deal_id}", "invited", action, [], "the invitation's response deadline passed")
            moved = self.kit.deals.apply(change, deal, action, payload={"message": message})
            if accept:  # a decline ends the deal, and DealService.apply closes what waited on it
                for record in change.tx.find("invitation", parent=deal_id, state=str(InvitationStatus.SENT)):
                    accepted = attrs.evolve(self.entity(record, Invitation), status=InvitationStatus.ACCEPTED)
                    change.replace(
                        "invitation", accepted, expected_version=record.version, state=str(InvitationStatus.ACCEPTED)
                    )
            if message:
                self._append(change, deal, actor, message, Channel.PLATFORM, Direction.INBOUND, None)
            return moved

        return self._write(actor, "respond_invitation", work)

    # -- messages ----------------------------------------------------------------------------------------------

    def send_message(self, actor: Actor, deal_id: str, body: str, *, channel: Channel = Channel.PLATFORM) -> Message:
        """Write in the deal's thread; on the platform channel the platform plugin delivers it."""
        channel = _channel(channel)
        if not isinstance(body, str) or not body.strip():
            raise ValidationError([Problem("body", "must not be empty")], "message")

        def prepare(tx: Any) -> tuple[Deal, CreatorProfile]:
            deal, _ = self.load_deal(tx, actor, deal_id)
            if deal.state in FINAL_STATES:
                raise StateError(f"deal {deal_id}", str(deal.state), "send_message", [], "the deal is closed")
            return deal, self.entity(tx.require("creator", deal.creator_id), CreatorProfile)

        deal, creator = self._read(actor, prepare)
        message = Message(
            id=new_id("msg"),
            thread_id="",
            sender_id=actor.id,
            direction=Direction.OUTBOUND,
            channel=channel,
            body=body,
            sent_at=self.now,
        )
        receipt = None
        if actor.kind is PartyKind.BRAND:
            receipt = self._send(
                channel, deal.platform, creator, lambda client, account: client.send_message(message, account)
            )
        direction = Direction.OUTBOUND if actor.kind is PartyKind.BRAND else Direction.INBOUND

        def work(change: Change) -> Message:
            current, _ = self.load_deal(change.tx, actor, deal_id)
            return self._append(
                change,
                current,
                actor,
                body,
                channel,
                direction,
                receipt.platform_ref if receipt else None,
                message_id=message.id,
            )

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
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            creator_side = {deal.creator_id} | (
                {sender_id} if self.roster_entry(change.tx, sender_id, deal.creator_id) is not None else set()
            )
            if sender_id not in {deal.brand_id} | creator_side:
                raise ValidationError(
                    [Problem("sender_id", f"{sender_id} is not a party to deal {deal_id}")], "message"
                )
            if actor.kind is not PartyKind.SYSTEM:
                own = {deal.brand_id} if actor.kind is PartyKind.BRAND else creator_side
                if sender_id not in own:
                    raise PermissionDenied(
                        str(actor),
                        "record_inbound",
                        "a party records only messages its own side sent",
                        f"deal {deal_id}",
                    )
            return self._append(change, deal, actor, body, channel, Direction.INBOUND, platform_ref, sender=sender_id)

        return self._write(actor, "record_inbound", work)

    def thread(self, actor: Actor, deal_id: str) -> list[Message]:
        def work(tx: Any) -> list[Message]:
            self.load_deal(tx, actor, deal_id)
            messages: list[Message] = []
            for thread in tx.find("thread", parent=deal_id):
                messages.extend(self.entity(r, Message) for r in tx.find("message", parent=thread.id))
            return sorted(messages, key=lambda m: m.sent_at)  # stable: ties keep the store's insertion order

        return self._read(actor, work)

    def invitation(self, actor: Actor, deal_id: str) -> Invitation:
        def work(tx: Any) -> Invitation:
            self.load_deal(tx, actor, deal_id)
            records = tx.find("invitation", parent=deal_id)
            if not records:
                raise NotFound("invitation", deal_id)
            return self.entity(records[0], Invitation)

        return self._read(actor, work)

    # -- helpers -----------------------------------------------------------------------------------------------

    def _append(
        self,
        change: Change,
        deal: Deal,
        actor: Actor,
        body: str,
        channel: Channel,
        direction: Direction,
        platform_ref: str | None,
        *,
        sender: str | None = None,
        message_id: str | None = None,
    ) -> Message:
        threads = change.tx.find("thread", parent=deal.id)
        if not threads:
            raise NotFound("thread", deal.id)
        message = Message(
            id=message_id or new_id("msg"),
            thread_id=threads[0].id,
            sender_id=sender or actor.id,
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
            on_behalf_of=on_behalf_of(actor, deal.creator_id),
        )
        change.event(
            "message.received" if direction is Direction.INBOUND else "message.sent",
            "message",
            message.id,
            deal_id=deal.id,
        )
        return message

    def _send(self, channel: Channel, platform: str, creator: CreatorProfile, call: Any) -> OutreachReceipt | None:
        if channel is not Channel.PLATFORM:
            return None
        account = creator.account_on(platform)
        if account is None:
            raise ValidationError(
                [Problem("platform", f"{creator.id} has no {platform} account to message")], "invitation"
            )
        client = self.kit.plugins.platform(platform)
        if not client.supports(Capability.OUTREACH):
            from ..errors import CapabilityMissing

            raise CapabilityMissing(
                platform,
                Capability.OUTREACH,
                client.metadata.missing.get(Capability.OUTREACH)
                or "send it by email or DM and record it with channel='email' or 'direct_message'",
            )
        receipt: OutreachReceipt = call(client, account)
        return receipt

    def _no_open_deal(self, tx: Any, brief_id: str, creator_id: str) -> None:
        for record in tx.find("deal", parent=creator_id):
            if record.doc["brief_id"] == brief_id and DealState(record.state) not in FINAL_STATES:
                raise StateError(
                    f"deal {record.id}",
                    str(record.state),
                    "invite",
                    [],
                    "this creator already has an open deal for this brief",
                )

    def _brief(self, tx: Any, actor: Actor, brief_id: str) -> CampaignBrief:
        record = tx.get("brief", brief_id)
        if record is None or record.workspace != actor.id:
            raise NotFound("brief", brief_id)
        brief = self.entity(record, CampaignBrief)
        if brief.status is not BriefStatus.PUBLISHED:
            raise StateError(
                f"brief {brief_id}",
                str(brief.status),
                "invite",
                ["publish"] if brief.status is BriefStatus.DRAFT else [],
                "invitations need a published brief",
            )
        return brief

    def _visible_brief(self, tx: Any, actor: Actor, brief_id: str) -> None:
        record = tx.get("brief", brief_id)
        if record is None or (record.workspace != actor.id and record.state != str(BriefStatus.PUBLISHED)):
            raise NotFound("brief", brief_id)

    def _template(self, tx: Any, actor: Actor, template_id: str) -> MessageTemplate:
        record = tx.get("template", template_id)
        if record is None or record.workspace != self._workspace_of(actor, tx):
            raise NotFound("template", template_id)
        return self.entity(record, MessageTemplate)

    def _context(self, tx: Any, brief_id: str, creator_id: str, deal: Deal | None) -> dict[str, Any]:
        brief = self.entity(tx.require("brief", brief_id), CampaignBrief)
        creator = self.entity(tx.require("creator", creator_id), CreatorProfile)
        return {
            # The creator's public page: a template is written by the other side, so private contact details stay out.
            "creator": attrs.evolve(creator, email=None, signing_key=None),
            "brief": brief,
            "brand": self.entity(tx.require("brand", brief.brand_id), Brand),
            "deal": deal,
        }

    def _workspace_of(self, actor: Actor, tx: Any) -> str:
        if actor.kind in (PartyKind.BRAND, PartyKind.AGENCY):
            return actor.id
        if actor.kind is PartyKind.TALENT_MANAGER:
            return str(tx.require("talent_manager", actor.id).doc["agency_id"])
        raise PermissionDenied(str(actor), "use_templates", "templates belong to brands and agencies")
