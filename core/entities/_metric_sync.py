"""Metric snapshots: what a published post's figures were at each sync round, and what a round did.

A sync round reads every post still being measured once per *slot* (a day by default): its snapshot is kept under
the post and the slot, so that a round run again, resumed after a crash or shared by several workers writes each
post's snapshot for the slot at most once. The snapshots of a post, slot after slot, are its time series.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._common import FieldValueError, aware, non_negative, platform_name, typed_fields
from ._item_errors import ItemError
from ._metrics import CreatorMetrics, PostMetrics

__all__ = ["AccountSnapshot", "AccountSyncFailure", "MetricsSyncReport", "PostSnapshot", "SyncFailure"]


def _metrics_of_the_post(instance: PostSnapshot, attribute: attrs.Attribute[Any], value: PostMetrics) -> None:
    if value.platform != instance.platform:
        raise FieldValueError(attribute.name, f"are from {value.platform!r}, not {instance.platform!r}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PostSnapshot:
    """One post's metrics as the sync round of ``slot`` read them, at ``fetched_at``; ``metrics.as_of`` is the
    platform's own time of the figures (it may lag the fetch).

    ``synced_by`` says what wrote it: ``"in-process"`` for a round run by the caller, or the worker and job that ran it.
    """

    post_id: str
    deal_id: str
    platform: str = attrs.field(validator=platform_name)
    slot: datetime = attrs.field(validator=aware)
    fetched_at: datetime = attrs.field(validator=aware)
    metrics: PostMetrics = attrs.field(validator=_metrics_of_the_post)
    synced_by: str


def _metrics_of_the_account(instance: AccountSnapshot, attribute: attrs.Attribute[Any], value: CreatorMetrics) -> None:
    if value.platform != instance.platform:
        raise FieldValueError(attribute.name, f"are from {value.platform!r}, not {instance.platform!r}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AccountSnapshot:
    """A creator's account figures as the sync round of ``slot`` read them, at ``fetched_at``: the account's
    time series (followers slot by slot give its growth during a campaign). ``metrics.as_of`` is the platform's
    own time of the figures."""

    creator_id: str
    platform: str = attrs.field(validator=platform_name)
    slot: datetime = attrs.field(validator=aware)
    fetched_at: datetime = attrs.field(validator=aware)
    metrics: CreatorMetrics = attrs.field(validator=_metrics_of_the_account)
    synced_by: str


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class SyncFailure:
    """A post the round could not read, with what its platform said; the next round of the slot tries it again."""

    post_id: str
    platform: str = attrs.field(validator=platform_name)
    error: ItemError


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AccountSyncFailure:
    """A creator's account the round could not read, with what its platform said; the next round of the slot tries
    it again."""

    creator_id: str
    platform: str = attrs.field(validator=platform_name)
    error: ItemError


def _every_account_counted(instance: MetricsSyncReport, attribute: attrs.Attribute[Any], value: int) -> None:
    counted = (
        instance.accounts_synced
        + instance.accounts_already_synced
        + len(instance.accounts_failed)
        + instance.accounts_queued
    )
    if counted != instance.accounts:
        raise FieldValueError(
            attribute.name,
            f"is {instance.accounts}, but accounts_synced + accounts_already_synced + accounts_failed + "
            f"accounts_queued is {counted}",
        )


def _everything_counted(instance: MetricsSyncReport, attribute: attrs.Attribute[Any], value: int) -> None:
    counted = instance.synced + instance.already_synced + len(instance.failed) + instance.queued
    if counted != instance.posts:
        raise FieldValueError(
            attribute.name,
            f"is {instance.posts}, but synced + already_synced + failed + queued is {counted}",
        )


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class MetricsSyncReport:
    """What a sync round (or one batch of it) did with the ``posts`` due in ``slot``; every post is counted once.

    ``synced``: snapshots this call wrote; ``already_synced``: posts whose snapshot for the slot was already kept (a
    round run again, or resumed after a crash); ``failed``: posts their platform gave no figures for; ``queued``:
    posts handed to the job queue for ``creatorkit worker`` to read (PostgreSQL), in ``jobs`` jobs.

    The ``accounts_*`` counts say the same of the creators' accounts the round reads (followers, views per video …,
    one :class:`~creatorkit.entities.CreatorMetrics` per account and slot): each account counted once in
    ``accounts``. ``jobs`` counts the account jobs too.
    """

    slot: datetime = attrs.field(validator=aware)
    synced: int = attrs.field(default=0, validator=non_negative)
    already_synced: int = attrs.field(default=0, validator=non_negative)
    failed: tuple[SyncFailure, ...] = ()
    queued: int = attrs.field(default=0, validator=non_negative)
    jobs: int = attrs.field(default=0, validator=non_negative)
    posts: int = attrs.field(default=0, validator=[non_negative, _everything_counted])
    accounts_synced: int = attrs.field(default=0, validator=non_negative)
    accounts_already_synced: int = attrs.field(default=0, validator=non_negative)
    accounts_failed: tuple[AccountSyncFailure, ...] = ()
    accounts_queued: int = attrs.field(default=0, validator=non_negative)
    accounts: int = attrs.field(default=0, validator=[non_negative, _every_account_counted])

    def __add__(self, other: MetricsSyncReport) -> MetricsSyncReport:
        if other.slot != self.slot:
            raise ValueError(f"reports of different slots: {self.slot.isoformat()} and {other.slot.isoformat()}")
        return MetricsSyncReport(
            slot=self.slot,
            synced=self.synced + other.synced,
            already_synced=self.already_synced + other.already_synced,
            failed=self.failed + other.failed,
            queued=self.queued + other.queued,
            jobs=self.jobs + other.jobs,
            posts=self.posts + other.posts,
            accounts_synced=self.accounts_synced + other.accounts_synced,
            accounts_already_synced=self.accounts_already_synced + other.accounts_already_synced,
            accounts_failed=self.accounts_failed + other.accounts_failed,
            accounts_queued=self.accounts_queued + other.accounts_queued,
            accounts=self.accounts + other.accounts,
        )
