"""The public :class:`Transaction`: document, audit-chain, webhook-event and ledger operations over one transaction."""

from __future__ import annotations

from typing import Any

from ._audit_trail import AUDIT_COLUMNS, AuditOperations
from ._catalog import CatalogOperations
from ._documents import DOC_COLUMNS, DocumentOperations
from ._ledger import LedgerOperations
from ._webhook_events import WebhookEventOperations

__all__ = ["Transaction"]


class Transaction(DocumentOperations, AuditOperations, WebhookEventOperations, LedgerOperations, CatalogOperations):
    """Reads (and, on the store's private write path, writes) inside one database transaction.

    What :meth:`Store.read` hands out, valid only inside its ``with`` block. Such a read-only transaction
    refuses every write; the write methods work only in the transaction of the services' private write path
    (``Store._write_transaction``), which is what keeps every change together with its audit event. The
    dialect subclass sets the placeholder style and how documents and timestamps are encoded.

    Documents: :meth:`get`, :meth:`require`, :meth:`find`; on the write path :meth:`insert`, :meth:`update`.
    The audit chain: :meth:`audit_head`, :meth:`audit_for`, :meth:`iter_audit_events`, :meth:`iter_audit_rows`;
    on the write path :meth:`append_audit`, :meth:`append_audits`. Webhook events accepted:
    :meth:`accepted_webhook_events`; on the write path :meth:`record_webhook_event`. The ledger (its rules are
    :mod:`creatorkit.ledger`'s): :meth:`ledger_accounts`, :meth:`ledger_entry`, :meth:`ledger_entries`,
    :meth:`ledger_problems`, ...; on the write path :meth:`open_ledger_account`, :meth:`move_ledger_balance`,
    :meth:`record_ledger_entry`. The local catalog (``kit.catalog``'s): :meth:`catalog_size`,
    :meth:`catalog_pages`, :meth:`catalog_buckets`; on the write path :meth:`write_catalog_rows`,
    :meth:`add_catalog_buckets`.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        p, doc = cls._P, cls._DOC_PARAM
        cls._SQL_GET = f"SELECT {DOC_COLUMNS} FROM documents WHERE kind = {p} AND id = {p}"
        # Any unique rule, not only (kind, id): a deal breaking one-open-deal-per-brief-and-creator is then a
        # ConflictError too, and on PostgreSQL the transaction stays usable to say which deal holds it. The
        # subject column is named only when there is one, as a store of before migration 5 would be written.
        values = f"{p}, {p}, {p}, {p}, {p}, 1, {doc}, {p}, {p}"
        cls._SQL_INSERT = f"INSERT INTO documents ({DOC_COLUMNS}) VALUES ({values}) ON CONFLICT DO NOTHING"
        cls._SQL_RELEASE_SUBJECT = (
            f"UPDATE documents SET subject = NULL WHERE kind = {p} AND id = {p} AND subject IS NOT NULL"
        )
        cls._SQL_INSERT_WITH_SUBJECT = (
            f"INSERT INTO documents ({DOC_COLUMNS}, subject) VALUES ({values}, {p}) ON CONFLICT DO NOTHING"
        )
        cls._SQL_UPDATE_KNOWN = (
            f"UPDATE documents SET doc = {doc}, updated_at = {p}, version = {p}, state = {p}"
            f" WHERE kind = {p} AND id = {p} AND version = {p}"
        )
        cls._SQL_HEAD = f"UPDATE audit_head SET sequence = {p}, hash = {p}, key_id = {p}, mac = {p} WHERE id = 1"
        columns = AUDIT_COLUMNS.count(",") + 1
        cls._SQL_INSERT_AUDIT = f"INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES ({', '.join([p] * columns)})"

    def _finish(self) -> None:
        """Write what was deferred to commit time (updates, the audit head), then refuse further use."""
        self._flush_deferred()
        if self._head_dirty and self._head is not None:
            sequence, hash, key_id = self._head
            # The head's own MAC: without the key, nobody can set the head back to an earlier event.
            key = None if key_id is None else self.store.audit_keys.get(key_id)
            mac = None if key is None else key.head_mac(sequence, hash)
            self._cur.execute(self._SQL_HEAD, (sequence, hash, key_id, mac))
            self._head_dirty = False
