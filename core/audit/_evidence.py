"""The audit trail as users see it: verify the chain, and export a deal's evidence bundle for a dispute.

The bundle is a zip: ``manifest.json`` (deal id, when, the chain's verification result and head hash, and the
SHA-256 of every other file) plus ``deal.json``, ``events.json`` (every audit event about the deal and its
records), ``messages.json``, ``offers.json``, ``contracts.json`` (every version), ``signatures.json``,
``content.json`` (drafts, reviews, the post) and ``disputes.json``. Anyone can re-hash the files against the
manifest, and the events against the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._service import Service
from ..converter import unstructure
from ..entities import Actor, AuditEvent
from ..errors import ConfigError, Problem
from ..store._records import copy_document
from ..workflow._machine import load_deal
from ._checkpoints import Checkpoint, make_checkpoint
from ._keys import AUDIT_KEY_ENV
from ._verify import AuditReport, verify_store

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["AuditService"]

_PARTS = {
    "offers.json": ("offer",),
    "contracts.json": ("contract",),
    "signatures.json": ("signature",),
    "content.json": ("submission", "review", "publish_schedule", "post"),
    "disputes.json": ("dispute",),
    "invitations.json": ("invitation", "platform_invitation"),
    "orders.json": ("order_intent", "platform_order"),
}


class AuditService(Service):
    def verify(self, checkpoints: Iterable[Checkpoint] = ()) -> AuditReport:
        """Verify the trail (hashes, links, MACs, the head), the current state against it, and the checkpoints.

        The report names the first broken event, the first document that is not what its last audited write made
        it, and how the store fails a checkpoint; and it says whether a key checked the MACs (see
        :func:`creatorkit.audit.verify_store`).
        """
        return verify_store(self._kit.store, checkpoints=checkpoints)

    def checkpoint(self) -> Checkpoint:
        """A checkpoint of the trail's head now, signed with the current key (unsigned without one): keep it
        elsewhere, and verify against it later."""
        with self._kit.store._read_transaction() as tx:
            return make_checkpoint(tx, self._kit.store.audit_keys, self._now())

    def rotate_key(self) -> AuditEvent | None:
        """MAC the trail with the current key from now on: its ``audit.key_rotated`` event, or None if it already is.

        The old key must be among the old ones (``CREATORKIT_AUDIT_OLD_KEYS``); the store refuses otherwise. The
        first write under a new key rotates on its own: this does it at once, before any other write.
        """
        if self._kit.store.audit_keys.current is None:
            raise ConfigError([Problem(AUDIT_KEY_ENV, "is not set: there is no key to rotate to")])
        return self._write(Actor.system(), "rotate_audit_key", lambda change: change.rotate_audit_key())

    def evidence(self, actor: Actor, deal_id: str) -> dict[str, Any]:
        """The evidence for one deal as plain data: the deal, its records, its messages and its audit events."""

        def work(view: View) -> dict[str, Any]:
            # Whoever may see the deal — its brand, its creator, their manager or agency, the system — may export
            # its evidence; anyone else is told it does not exist.
            deal, _record = load_deal(view, actor, deal_id)
            parts: dict[str, Any] = {"deal.json": unstructure(deal)}
            ids = [deal.id]
            for name, kinds in _PARTS.items():
                docs = []
                for kind in kinds:
                    for child in view.records(kind, parent=deal.id):
                        doc = copy_document(child.doc)  # the caller's to change: the stored one may be shared
                        docs.append({"kind": kind, "id": child.id, "version": child.version, "doc": doc})
                        ids.append(child.id)
                parts[name] = docs
            messages = []
            for thread in view.records("thread", parent=deal.id):
                ids.append(thread.id)
                for message in view.records("message", parent=thread.id):
                    messages.append(copy_document(message.doc))
                    ids.append(message.id)
            parts["messages.json"] = messages
            parts["events.json"] = [unstructure(event) for event in view.audit_for(ids)]
            return parts

        return self._read(actor, work, "export_evidence")

    def export(self, actor: Actor, deal_id: str, path: str | Path) -> Path:
        """Write the evidence bundle for ``deal_id`` to ``path`` (a .zip) and record that it was exported."""
        parts = self.evidence(actor, deal_id)
        verified = self.verify()
        report = verified.chain
        encoded = {
            name: json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode()
            for name, data in parts.items()
        }
        manifest = {
            "deal_id": deal_id,
            "exported_at": self._now().isoformat(),
            "exported_by": str(actor),
            "chain": {
                "ok": report.ok,
                "events": report.events,
                "first_bad": report.first_bad,
                "reason": report.reason,
                "head_hash": self._kit.store.audit_head()[1],
                "keyed": report.keyed,
            },
            "state": {
                "ok": verified.state.ok,
                "documents": verified.state.documents,
                "first_bad": verified.state.first_bad,
                "reason": verified.state.reason,
                "uncovered": verified.state.uncovered,
            },
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(encoded.items())},
        }
        target = Path(path)
        # Written beside the target and renamed only once the export is on record: a bundle never exists without
        # its audit event, and a failed write leaves no half-written file under the real name.
        partial = target.with_name(target.name + ".partial")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                bundle.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
                for name, data in sorted(encoded.items()):
                    bundle.writestr(name, data)

            def work(change: Change) -> None:
                change.audit("evidence.export", "deal", deal_id, {"files": manifest["files"]})

            self._write(actor, "export_evidence", work)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target
