"""Outreach over contract v2's ``invitations`` and ``messaging``: the service works with either, and says what to do
without them.

TikTok's marketplace invites creators and reports the invitation's status but has no messaging; Instagram's creator
messaging sends messages but has no invitation object. Echo variants here stand for each.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from creatorkit import hookimpl
from creatorkit.entities import (
    Capability,
    Channel,
    DealState,
    InvitationStatus,
    PlatformAccount,
    PlatformInvitation,
)
from creatorkit.errors import CapabilityMissing, PluginContractError, StateError
from creatorkit_echo import EchoPlatform
from world import World

#: The hooks of each outreach capability, to leave out of a variant.
HOOKS = {
    Capability.INVITATIONS: ("creatorkit_send_invitation", "creatorkit_get_invitation"),
    Capability.MESSAGING: ("creatorkit_send_message",),
}


def variant(without: Capability, missing: str) -> EchoPlatform:
    """Echo without one outreach capability, explaining it the way that platform's plugin would."""

    def metadata(self: EchoPlatform) -> Any:
        meta = EchoPlatform.creatorkit_plugin_metadata(self)
        return attrs.evolve(
            meta, capabilities=meta.capabilities - {without}, missing={**meta.missing, without: missing}
        )

    # None is not a hook implementation: the variant simply lacks the capability's hooks.
    body: dict[str, Any] = dict.fromkeys(HOOKS[without])
    body["creatorkit_plugin_metadata"] = hookimpl(metadata)
    cls = type(f"EchoWithout{without.title()}", (EchoPlatform,), body)
    plugin: EchoPlatform = cls()
    return plugin


TIKTOK_LIKE = "TikTok's marketplace has no messaging API: message in TikTok One, then record it with channel='other'"
INSTAGRAM_LIKE = "Instagram has no invitation object: the invitation goes out as a creator message"


def _swap(world: World, plugin: EchoPlatform) -> EchoPlatform:
    world.kit.plugins.unregister("echo")
    world.kit.plugins.register(plugin, name="echo")
    return plugin


def _echo(world: World) -> EchoPlatform:
    plugin = world.kit.plugins.pm.get_plugin("echo")
    assert isinstance(plugin, EchoPlatform)
    return plugin


def _actions(world: World) -> list[str]:
    return [event.action for event in world.kit.store.iter_audit()]


# -- a platform with invitations but no messaging (TikTok) ---------------------------------------------------------


def test_invitations_without_messaging_invite_and_say_how_to_message(world):
    platform = _swap(world, variant(Capability.MESSAGING, TIKTOK_LIKE))

    deal = world.invite()
    invitation = world.kit.outreach.invitation(world.brand, deal.id)
    assert invitation.platform_ref and platform.invitations, "sent through the platform's invitations"

    with pytest.raises(CapabilityMissing) as missing:
        world.kit.outreach.send_message(world.brand, deal.id, "Brief attached")
    assert missing.value.capability == Capability.MESSAGING
    assert missing.value.alternative == TIKTOK_LIKE
    recorded = world.kit.outreach.send_message(world.brand, deal.id, "Brief attached", channel=Channel.OTHER)
    assert recorded.channel is Channel.OTHER and recorded.platform_ref is None


# -- a platform with messaging but no invitations (Instagram) ----------------------------------------------------


def test_messaging_without_invitations_sends_the_invitation_as_the_first_message(world):
    platform = _swap(world, variant(Capability.INVITATIONS, INSTAGRAM_LIKE))

    deal = world.invite(subject="Spring Glow")

    invitation = world.kit.outreach.invitation(world.brand, deal.id)
    assert platform.sent == [invitation.id], "delivered once, as a message"
    assert invitation.platform_ref and platform.invitations == {}
    with pytest.raises(CapabilityMissing) as missing:
        world.kit.outreach.refresh_invitation(world.brand, deal.id)
    assert missing.value.capability == Capability.INVITATIONS
    assert missing.value.alternative == INSTAGRAM_LIKE
    message = world.kit.outreach.send_message(world.brand, deal.id, "Any questions?")
    assert message.platform_ref


def test_a_platform_with_neither_opens_no_deal_and_explains_both(world):
    class Silent(EchoPlatform):
        creatorkit_send_invitation = None  # type: ignore[assignment]
        creatorkit_get_invitation = None  # type: ignore[assignment]
        creatorkit_send_message = None  # type: ignore[assignment]

        @hookimpl
        def creatorkit_plugin_metadata(self) -> Any:
            meta = super().creatorkit_plugin_metadata()
            return attrs.evolve(
                meta,
                capabilities=meta.capabilities - set(HOOKS),
                missing={**meta.missing, Capability.INVITATIONS: "no invitations", Capability.MESSAGING: "no DMs"},
            )

    _swap(world, Silent())

    with pytest.raises(CapabilityMissing) as missing:
        world.invite()

    assert missing.value.capability == Capability.INVITATIONS
    assert missing.value.alternative == "no invitations; no DMs"
    with world.kit.store.read() as tx:
        assert tx.find("deal", parent=world.creator.id) == []


def test_without_an_explanation_the_off_platform_route_is_named(world):
    class Mute(EchoPlatform):
        creatorkit_send_message = None  # type: ignore[assignment]

        @hookimpl
        def creatorkit_plugin_metadata(self) -> Any:
            meta = super().creatorkit_plugin_metadata()
            return attrs.evolve(meta, capabilities=meta.capabilities - {Capability.MESSAGING}, missing={})

    _swap(world, Mute())
    deal = world.invite()

    with pytest.raises(CapabilityMissing, match="channel='email'"):
        world.kit.outreach.send_message(world.brand, deal.id, "hello")


# -- reading an invitation's status back ---------------------------------------------------------------------------


def test_an_invitations_status_is_read_back_kept_and_audited_when_it_changes(world, events):
    deal = world.invite()
    invitation = world.kit.outreach.invitation(world.brand, deal.id)

    first = world.kit.outreach.refresh_invitation(world.brand, deal.id)
    assert (first.status, first.raw_status, first.platform_ref) == (
        InvitationStatus.SENT,
        "INVITED",
        invitation.platform_ref,
    )
    audited = _actions(world).count("invitation.platform_status")
    world.kit.outreach.refresh_invitation(world.brand, deal.id)
    assert _actions(world).count("invitation.platform_status") == audited == 1, "an unchanged answer is not rewritten"

    assert invitation.platform_ref is not None
    _echo(world).answer_invitation(invitation.platform_ref, accept=True)
    answered = world.kit.outreach.refresh_invitation(world.manager, deal.id)

    assert (answered.status, answered.raw_status) == (InvitationStatus.ACCEPTED, "ACCEPTED")
    with world.kit.store.read() as tx:
        kept = tx.require("platform_invitation", invitation.id)
    assert (kept.state, kept.parent, kept.doc["raw_status"]) == ("accepted", deal.id, "ACCEPTED")
    changed = [e for e in events if e.name == "invitation.platform_status_changed"]
    assert [e.data["status"] for e in changed] == ["sent", "accepted"]
    # The state table gives accepting to the creator's side: the platform's word is kept, the deal waits for it.
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.INVITED
    assert any(e["action"] == "invitation.platform_status" for e in world.kit.deals.history(world.brand, deal.id))
    assert world.kit.audit.verify().ok, "every write of the platform's status is in the trail"


def test_an_invitation_sent_off_platform_has_no_platform_status(world):
    deal = world.invite(channel=Channel.EMAIL)

    with pytest.raises(StateError, match="not sent through echo"):
        world.kit.outreach.refresh_invitation(world.brand, deal.id)


def test_a_status_for_another_invitation_is_a_contract_breach(world):
    class Confused(EchoPlatform):
        @hookimpl
        def creatorkit_get_invitation(self, platform_ref: str, account: PlatformAccount) -> PlatformInvitation:
            return attrs.evolve(super().creatorkit_get_invitation(platform_ref, account), platform_ref="echo-other")

    _swap(world, Confused())
    deal = world.invite()

    with pytest.raises(PluginContractError, match="echo-other"):
        world.kit.outreach.refresh_invitation(world.brand, deal.id)
    with world.kit.store.read() as tx:
        assert tx.find("platform_invitation", parent=deal.id) == []
