"""The platform channel of outreach: reaching a creator through their platform's ``invitations`` or ``messaging``.

Contract v2 splits what was ``outreach`` in two, because the platforms do: TikTok's marketplace sends invitations
(and reports their status) but has no messaging; Instagram's creator messaging sends messages but has no
invitation object. An invitation therefore goes out through ``invitations`` where the platform has it, else as
the thread's first message through ``messaging``; a message needs ``messaging``. A platform lacking what a step
needs is a :class:`~creatorkit.errors.CapabilityMissing` carrying the platform's own ``missing`` explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .._call_context import CallContext
from ..entities import (
    Capability,
    Channel,
    CreatorProfile,
    Deal,
    Direction,
    Invitation,
    Message,
    OutreachReceipt,
    PlatformAccount,
    PlatformInvitation,
)
from ..errors import CapabilityMissing, Problem, ValidationError

if TYPE_CHECKING:
    from .._change import Change
    from ..host import PlatformClient, PluginHost

__all__ = ["keep_platform_status", "reach", "same_answer", "send_invitation"]

#: What to do instead when a platform cannot carry a step at all and its plugin gives no explanation.
OFF_PLATFORM = "send it by email or DM and record it with channel='email' or 'direct_message'"


def reach(
    plugins: PluginHost,
    platform: str,
    creator: CreatorProfile,
    capability: Capability,
    *,
    also: CapabilityMissing | None = None,
) -> tuple[PlatformClient, PlatformAccount]:
    """The platform's client and the creator's account on it, if the platform offers ``capability``.

    Otherwise CapabilityMissing with the platform's own explanation (and ``also``'s, for a stage tried first,
    under whose name it is raised), or the off-platform alternative when the plugin gives none.
    """
    account = creator.account_on(platform)
    if account is None:
        raise ValidationError([Problem("platform", f"{creator.id} has no {platform} account to message")], "invitation")
    client = plugins.platform(platform)
    if not client.supports(capability):
        reasons = [also.alternative] if also is not None and also.alternative else []
        reasons.append(client.metadata.missing.get(capability) or OFF_PLATFORM)
        explained = "; ".join(dict.fromkeys(reasons))
        raise CapabilityMissing(platform, also.capability if also else capability, explained)
    return client, account


def send_invitation(
    plugins: PluginHost,
    invitation: Invitation,
    platform: str,
    creator: CreatorProfile,
    context: Callable[[], CallContext],
) -> OutreachReceipt | None:
    """Send ``invitation`` through the platform when it goes by the platform channel; ``None`` otherwise.

    ``context`` builds the call's context (the sender's connection on the platform), only when one is needed.
    """
    if invitation.channel is not Channel.PLATFORM:
        return None
    try:
        client, account = reach(plugins, platform, creator, Capability.INVITATIONS)
    except CapabilityMissing as lacking:
        client, account = reach(plugins, platform, creator, Capability.MESSAGING, also=lacking)
        return client.send_message(_as_message(invitation), account, context=context())
    return client.send_invitation(invitation, account, context=context())


def _as_message(invitation: Invitation) -> Message:
    """The invitation as the first message of a thread, for a platform that has messaging but no invitations."""
    body = f"{invitation.subject}\n\n{invitation.body}" if invitation.subject else invitation.body
    return Message(
        id=invitation.id,
        thread_id="",
        sender_id=invitation.sent_by,
        direction=Direction.OUTBOUND,
        channel=Channel.PLATFORM,
        body=body,
        sent_at=invitation.sent_at,
    )


def same_answer(before: PlatformInvitation, after: PlatformInvitation) -> bool:
    """Whether the platform says nothing new (when it was asked does not count)."""
    said = (before.status, before.raw_status, before.responded_at)
    return said == (after.status, after.raw_status, after.responded_at)


def keep_platform_status(change: Change, deal: Deal, invitation: Invitation, status: PlatformInvitation) -> None:
    """Keep the platform's word on the invitation (store kind ``platform_invitation``), audited and announced."""
    state = str(status.status)
    kept = change.get("platform_invitation", invitation.id)
    if kept is None:
        change.insert(
            "platform_invitation", status, key=invitation.id, workspace=deal.brand_id, parent=deal.id, state=state
        )
    else:
        # The state column moves with the status, so the platform's word can be queried (Change.keep leaves it).
        change.replace("platform_invitation", status, key=invitation.id, expected_version=kept.version, state=state)
    change.audit(
        "invitation.platform_status",
        "platform_invitation",
        invitation.id,
        change.document(status),
        workspace=deal.brand_id,
    )
    change.event(
        "invitation.platform_status_changed",
        "invitation",
        invitation.id,
        deal_id=deal.id,
        status=str(status.status),
        raw_status=status.raw_status,
    )
