"""Where creatorkit keeps its state: documents plus a tamper-evident audit chain, in SQLite or PostgreSQL.

Open a store with :func:`open_store` and read it through one consistent snapshot::

    store = open_store("creatorkit.db")                  # or "postgresql://user@host/db", or ":memory:"
    with store.read() as tx:
        deal = tx.require("deal", deal_id)
        history = tx.audit_for(entity_ids=[deal_id])

The store has no public way to write. Every change is made by a service (``kit.outreach``, ``kit.contracts``,
...), in one transaction together with its audit event, so that it happens with its record or not at all: a
caller holding the store can neither change a document without an event nor append an event no service made.
The services reach the read-write transaction through a private path (``Store._write_transaction``), which
creatorkit's own tests use too; migrations run on a connection of their own as the store opens. Updates are
optimistic: a stale expected version raises :class:`~creatorkit.errors.ConflictError`. Check the chain with
:func:`creatorkit.audit.verify_chain`.

A transaction reads back what it wrote without asking the database. On SQLite each connection also keeps the
committed documents it has seen, and uses them only while ``PRAGMA data_version`` shows that no other
connection or process has committed since; there, repeated updates of one document in a transaction are sent
as one ``UPDATE`` before any query that could see it and at the latest at commit. What :meth:`Store.read` hands
out is the caller's own copy: changing a ``Record.doc`` in place changes neither that cache nor what the services
read next. The services read through a private path (``Store._read_transaction``) that shares the cache.

Documents are JSON. JSON has no NaN or infinity: entities refuse them in their number fields, and in a
document given to the write path directly they are written as null (another connection reads ``None`` back).
Both dialects keep the same text: U+0000 and lone surrogates, which PostgreSQL cannot store, are refused as a
:class:`~creatorkit.errors.ValidationError` naming the field in documents and columns on SQLite too, and an id
holding one is found nowhere. The database holds one rule of the workflow itself: an open deal is unique by
creator (its parent) and brief (its ``subject``, cleared when the deal reaches a final state), so two writers
racing past the service's check cannot both open one (migration 5). It also remembers every webhook event the
core accepted, unique by source and event id (migration 6, :class:`AcceptedEvent`), so that a delivery sent again
is refused on every process sharing the store. The ledger's tables (migration 7, written only through
``kit.ledger``) hold its own rules: accounts that cannot owe never go below zero (a CHECK), a pending entry is
resolved once and an entry corrected once (unique indexes), entries are never changed (triggers).

A SQLite file store copies its write-ahead log back into the database on a thread of its own
(:meth:`SqliteStore.checkpointer`), started with the first writes; ``close()`` ends it.

:func:`open_store` picks the dialect from the URL; :class:`SqliteStore` and :class:`PostgresStore` can also be
built directly (for their options: ``busy_timeout``, ``connect_timeout``). ``PostgresStore`` needs psycopg
only when one is built, and neither dialect is imported before it is first used.

The modules behind these names are private. ``_records``: :class:`Record` and what a connection remembers
of the committed database; ``_transaction``: :class:`Transaction`, made of its state and dialect hooks
(``_transaction_base``), its document operations (``_documents``), its audit-chain operations
(``_audit_trail``), its webhook-event operations (``_webhook_events``) and its ledger operations
(``_ledger``); ``_base``: the :class:`Store` base
(connections, transactions, the migration runner); ``_sqlite``, ``_postgres``: the dialects; ``_migrations``: the
schema.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ._base import Store
from ._documents import UNCHANGED, Order
from ._records import Record
from ._transaction import Transaction
from ._webhook_events import AcceptedEvent

if TYPE_CHECKING:
    from ..audit._keys import AuditKeys
    from ._postgres import PostgresStore
    from ._sqlite import SqliteStore

__all__ = [
    "UNCHANGED",
    "AcceptedEvent",
    "Order",
    "PostgresStore",
    "Record",
    "SqliteStore",
    "Store",
    "Transaction",
    "open_store",
]

# The dialects load on first use: importing PostgresStore's module imports psycopg (when installed), a cost
# every SQLite user would otherwise pay on `import creatorkit`.
_DIALECTS = {"PostgresStore": "._postgres", "SqliteStore": "._sqlite"}


def __getattr__(name: str) -> Any:
    if name not in _DIALECTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_DIALECTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_DIALECTS))


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite://"


def open_store(
    url_or_path: str | os.PathLike[str], *, create: bool = True, audit_keys: AuditKeys | None = None
) -> Store:
    """Open (creating and migrating as needed) the store at ``url_or_path``.

    ``audit_keys`` MAC the audit trail as it is written and verify it (see :mod:`creatorkit.audit`); by default
    they come from the environment (``CREATORKIT_AUDIT_KEY``, ``CREATORKIT_AUDIT_OLD_KEYS``), and with none
    there the trail is written without MACs. Pass ``AuditKeys()`` for none whatever the environment says.

    - ``postgresql://user:password@host:port/db`` (or ``postgres://``): a PostgreSQL store (needs psycopg).
    - ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``: a SQLite file, as SQLAlchemy spells it.
    - ``:memory:`` or ``sqlite://``: a private in-memory SQLite store.
    - anything else: a path to a SQLite file.

    ``create=False`` opens only a store that exists: a missing SQLite file is a :class:`StoreError` naming its
    path instead of a new empty database (and an in-memory store, always new, is refused). Tools that only read
    a store use it, so that a mistyped path is reported rather than answered from an empty store. A PostgreSQL
    database is never created by creatorkit: a missing one fails either way.
    """
    if isinstance(url_or_path, os.PathLike):
        from ._sqlite import SqliteStore

        return SqliteStore(url_or_path, create=create, audit_keys=audit_keys)
    if not isinstance(url_or_path, str) or not url_or_path:
        raise StoreError(f"a store needs a path or URL, not {url_or_path!r}")
    if url_or_path.startswith(_POSTGRES_SCHEMES):
        from ._postgres import PostgresStore

        return PostgresStore(url_or_path, audit_keys=audit_keys)
    from ._sqlite import SqliteStore

    if url_or_path.startswith(_SQLITE_SCHEME):
        path = url_or_path[len(_SQLITE_SCHEME) :]
        if path in ("", "/", "/:memory:"):
            return SqliteStore(":memory:", create=create, audit_keys=audit_keys)
        if not path.startswith("/"):
            raise StoreError(f"a sqlite URL has three slashes before the path: sqlite:///{path}")
        return SqliteStore(path[1:], create=create, audit_keys=audit_keys)
    if "://" in url_or_path:
        scheme = url_or_path.split("://", 1)[0]
        raise StoreError(f"unsupported store URL scheme {scheme!r}: use a file path, sqlite:/// or postgresql://")
    return SqliteStore(url_or_path, create=create, audit_keys=audit_keys)
