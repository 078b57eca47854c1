"""The creator page: the overview a manager sees in the portal's right-hand panel, and the edits it allows.

One call returns stats, the editable rate card, audience demographics, core performance metrics (the latest
snapshot per platform, each figure with its denominator, source and ``as_of``), availability and past
collaborations. Reading needs the ``view_stats`` scope for a manager; editing rates and availability needs
``edit_rates``. Nothing here holds or shows platform credentials: figures come from the platform plugins.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._service import Service
from ..entities import (
    AccountSnapshot,
    Actor,
    AudienceProfile,
    AvailabilityWindow,
    Capability,
    CreatorMetrics,
    CreatorProfile,
    DealState,
    PartyKind,
    PastCollaboration,
    Period,
    PlatformAccount,
    RateCard,
    Scope,
)
from ..errors import NotFound, PermissionDenied, Problem, ValidationError
from ..workflow._states import Tab, tab_of
from ._access import on_behalf_of, roster_entry

if TYPE_CHECKING:
    from .._change import Change, View

E = TypeVar("E")

__all__ = ["CreatorOverview", "CreatorPageService"]


@attrs.frozen(kw_only=True)
class CreatorOverview:
    profile: CreatorProfile
    metrics: tuple[CreatorMetrics, ...]
    audience: tuple[AudienceProfile, ...]
    deals_by_tab: dict[str, int]
    completed_collaborations: int


class CreatorPageService(Service):
    def overview(self, actor: Actor, creator_id: str) -> CreatorOverview:
        def work(view: View) -> CreatorOverview:
            profile = _profile(view, actor, creator_id, Scope.VIEW_STATS, "view_creator")
            metrics = tuple(_latest_metrics(view, creator_id))
            audience = tuple(_latest(view, "audience_snapshot", creator_id, AudienceProfile))
            counts = {str(tab): 0 for tab in Tab}
            # A brand sees its own deals with the creator, never how busy the creator is with other brands.
            own = actor.id if actor.kind is PartyKind.BRAND else None
            for record in view.records("deal", parent=creator_id, workspace=own):
                if record.state is not None:  # counted from the records: other brands' deals are not built
                    counts[str(tab_of(DealState(record.state)))] += 1
            return CreatorOverview(
                profile=profile,
                metrics=metrics,
                audience=audience,
                deals_by_tab=counts,
                completed_collaborations=len(profile.past_collaborations) + counts[str(Tab.FINISHED)],
            )

        return self._read(actor, work)

    def refresh_metrics(
        self, actor: Actor, creator_id: str, platform: str, *, period: Period | None = None
    ) -> CreatorMetrics:
        """Read the creator's metrics (and audience, where offered) from the platform and keep a snapshot.

        The creator's side (the creator, a manager with ``view_stats``) or the system does this: it calls the
        platform on the creator's account and writes into the creator's workspace, which a brand may not.

        ``period`` asks for the windowed figures over that stretch of time (a platform that cannot honour it
        answers with ``period=None`` and its own windows); such a snapshot is kept apart from the platform's
        default one and becomes the latest shown. The audience comes in the core's canonical buckets: every
        breakdown says whose it is, over which timeframe and whether the platform cut it to its top buckets.
        """
        if actor.kind is PartyKind.BRAND:

            def refuse(view: View) -> None:
                raise PermissionDenied(
                    str(actor),
                    "refresh_metrics",
                    "only the creator's side refreshes their figures",
                    f"creator {creator_id}",
                )

            self._read(actor, refuse, "refresh_metrics")
        account = self._read(actor, lambda view: _account(view, actor, creator_id, platform), "refresh_metrics")
        client = self._kit.plugins.platform(platform)
        metrics = client.fetch_creator_metrics(account, period=period)
        audience = client.fetch_audience(account) if client.supports(Capability.AUDIENCE) else None

        def work(change: Change) -> CreatorMetrics:
            _profile(change, actor, creator_id, Scope.VIEW_STATS, "refresh_metrics")
            stamp = metrics.as_of.strftime("%Y%m%dT%H%M%S")
            key = f"{creator_id}:{platform}:{stamp}"
            if metrics.period is not None:
                covered = metrics.period
                key += f":{covered.start.strftime('%Y%m%dT%H%M%S')}-{covered.end.strftime('%Y%m%dT%H%M%S')}"
            # The platform may answer with the same as_of again: that snapshot is already kept, refresh it.
            where = {"workspace": creator_id, "parent": creator_id, "state": platform}
            change.keep("metrics_snapshot", key, metrics, **where)
            if audience is not None:
                change.keep("audience_snapshot", key, audience, **where)
            change.audit(
                "creator.metrics_snapshot",
                "creator",
                creator_id,
                _snapshot_note(platform, metrics),
                on_behalf_of=on_behalf_of(actor, creator_id),
                workspace=creator_id,
            )
            return metrics

        return self._write(actor, "refresh_metrics", work)

    def update_rate_card(self, actor: Actor, creator_id: str, rate_card: RateCard) -> CreatorProfile:
        """Replace the rate card (price tiers per deliverable type, negotiable flag)."""
        currencies = {tier.price.currency for tier in rate_card.tiers}
        if len(currencies) > 1:
            raise ValidationError([Problem("rate_card.tiers", "all tiers must be in one currency")], "rate card")
        stamped = attrs.evolve(rate_card, updated_at=self._now())
        return self._edit(actor, creator_id, "update_rate_card", lambda p: attrs.evolve(p, rate_card=stamped))

    def set_availability(self, actor: Actor, creator_id: str, windows: Sequence[AvailabilityWindow]) -> CreatorProfile:
        ordered = tuple(sorted(windows, key=lambda w: w.starts))
        for before, after in itertools.pairwise(ordered):
            if after.starts <= before.ends:
                raise ValidationError([Problem("availability", f"windows overlap at {after.starts}")], "availability")
        return self._edit(actor, creator_id, "set_availability", lambda p: attrs.evolve(p, availability=ordered))

    def add_past_collaboration(self, actor: Actor, creator_id: str, item: PastCollaboration) -> CreatorProfile:
        return self._edit(
            actor,
            creator_id,
            "add_past_collaboration",
            lambda p: attrs.evolve(p, past_collaborations=(*p.past_collaborations, item)),
        )

    # -- helpers -----------------------------------------------------------------------------------------------

    def _edit(
        self, actor: Actor, creator_id: str, action: str, edit: Callable[[CreatorProfile], CreatorProfile]
    ) -> CreatorProfile:
        def work(change: Change) -> CreatorProfile:
            _profile(change, actor, creator_id, Scope.EDIT_RATES, action)
            record = change.require("creator", creator_id)
            updated: CreatorProfile = edit(change.entity(record, CreatorProfile))
            change.replace("creator", updated, expected_version=record.version)
            change.audit(
                f"creator.{action}",
                "creator",
                creator_id,
                change.document(updated),
                on_behalf_of=on_behalf_of(actor, creator_id),
                workspace=creator_id,
            )
            return updated

        return self._write(actor, action, work)


def _snapshot_note(platform: str, metrics: CreatorMetrics) -> dict[str, str]:
    note = {"platform": platform, "as_of": metrics.as_of.isoformat()}
    if metrics.period is not None:
        note["period"] = f"{metrics.period.start.isoformat()}/{metrics.period.end.isoformat()}"
    return note


def _profile(view: View, actor: Actor, creator_id: str, scope: Scope, action: str) -> CreatorProfile:
    """The creator's profile as ``actor`` may see it for ``action`` (a manager needs ``scope``)."""
    record = view.get("creator", creator_id)
    if record is None:
        raise NotFound("creator", creator_id)
    if (actor.kind is PartyKind.CREATOR and actor.id == creator_id) or actor.kind is PartyKind.SYSTEM:
        return view.entity(record, CreatorProfile)
    if actor.kind is PartyKind.TALENT_MANAGER:
        entry = roster_entry(view, actor.id, creator_id)
        if entry is None:
            raise NotFound("creator", creator_id)
        if scope not in entry.scopes:
            raise PermissionDenied(
                str(actor), action, f"the roster entry lacks the {scope} scope", f"creator {creator_id}"
            )
        return view.entity(record, CreatorProfile)
    if actor.kind is PartyKind.BRAND and scope is Scope.VIEW_STATS:
        # Brands see the public page; contact details stay private.
        return attrs.evolve(view.entity(record, CreatorProfile), email=None)
    raise PermissionDenied(str(actor), action, "only the creator or their manager may do this", f"creator {creator_id}")


def _account(view: View, actor: Actor, creator_id: str, platform: str) -> PlatformAccount:
    profile = _profile(view, actor, creator_id, Scope.VIEW_STATS, "refresh_metrics")
    account = profile.account_on(platform)
    if account is None:
        raise ValidationError([Problem("platform", f"{creator_id} has no {platform} account")], "creator")
    return account


def _latest_metrics(view: View, creator_id: str) -> list[CreatorMetrics]:
    """The freshest figures per platform: the creator's own refresh or the metrics round's, whichever came later."""
    refreshed = {record.state: record for record in view.records("metrics_snapshot", parent=creator_id)}
    rounds = {record.state: record for record in view.records("account_snapshot", parent=creator_id)}
    latest: dict[str | None, CreatorMetrics] = {}
    for platform in sorted(refreshed.keys() | rounds.keys(), key=lambda name: name or ""):
        own, synced = refreshed.get(platform), rounds.get(platform)
        if synced is not None and (own is None or synced.updated_at >= own.updated_at):
            latest[platform] = view.entity(synced, AccountSnapshot).metrics
        elif own is not None:
            latest[platform] = view.entity(own, CreatorMetrics)
    return list(latest.values())


def _latest(view: View, kind: str, creator_id: str, cls: type[E]) -> list[E]:
    """The latest snapshot of ``kind`` per platform (``find`` is oldest first, so the last one wins)."""
    latest = {record.state: record for record in view.records(kind, parent=creator_id)}
    return [view.entity(record, cls) for _, record in sorted(latest.items(), key=lambda item: item[0] or "")]
