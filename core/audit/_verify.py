"""Verifying a store as a whole: its chain, its keys, and its current state against the trail, in one snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from ._chain import ChainReport
from ._checkpoints import Checkpoint, CheckpointReport, check_checkpoint
from ._keys import AuditKeys
from ._state import StateReport

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["AuditReport", "verify_store"]


@attrs.frozen(kw_only=True)
class AuditReport:
    """What :func:`verify_store` found: the chain (``chain``), the current state against it (``state``), and the
    store against each checkpoint given (``checkpoints``).

    ``ok`` only when all are. Read ``chain.keyed`` before trusting an intact trail: without a key it proves only
    that the trail is consistent with itself, and so does the state check built on it.
    """

    chain: ChainReport
    state: StateReport
    checkpoints: tuple[CheckpointReport, ...] = ()

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.state.ok and all(checkpoint.ok for checkpoint in self.checkpoints)


def verify_store(
    store: Store,
    *,
    keys: AuditKeys | None = None,
    checkpoints: Iterable[Checkpoint] = (),
    batch: int = 10_000,
) -> AuditReport:
    """Verify the chain, every stored document against it, and the store against ``checkpoints``, in one snapshot.

    ``keys`` default to the store's own (``store.audit_keys``). The checks, in order: each event's sequence, its
    link to the event before, its hash, the key rotations and each MAC (with keys), the head and its MAC; then
    every document against the last write the trail covers it with; then each checkpoint's MAC, and that the store
    holds the checkpoint's event with the checkpoint's hash.
    """
    keys = store.audit_keys if keys is None else keys
    with store._read_transaction() as tx:
        chain = tx._verify_chain(keys, batch)
        state = tx._verify_state(chain.legacy_events, batch)
        anchors = tuple(check_checkpoint(tx, checkpoint, keys) for checkpoint in checkpoints)
    return AuditReport(chain=chain, state=state, checkpoints=anchors)
