"""The store's schema, as an ordered list of versioned migrations, with SQL per dialect where it differs.

A store applies the missing ones when it opens, in one transaction, and records each in
``schema_migrations``. A database migrated by a newer creatorkit than this one is refused, never touched.
To change the schema, append a :class:`Migration`; never edit one that has shipped.
"""

from __future__ import annotations

import attrs

from ..errors import StoreError

__all__ = [
    "CATALOG_BUCKETS_TABLE",
    "CATALOG_CREATORS_TABLE",
    "FINAL_DEAL_STATES",
    "LATEST",
    "LEDGER_ACCOUNTS_TABLE",
    "LEDGER_ENTRIES_TABLE",
    "LEDGER_POSTINGS_TABLE",
    "MIGRATIONS",
    "OPEN_DEAL_INDEX",
    "WEBHOOK_EVENTS_TABLE",
    "Migration",
    "bookkeeping_table",
    "check_supported",
    "pending",
]


@attrs.frozen
class Migration:
    """One schema step: its ``version`` (1, 2, ...), what it does, and its statements per dialect."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]
    #: Refuses the migration when this query finds rows (one text column: what each is), with ``refusal`` saying
    #: what they are and what the operator does. A rule the data already breaks is not guessed away.
    #: ``{brief_id}`` in it stands for the dialect's expression of a document's ``brief_id``.
    refuse_when: str | None = None
    refusal: str = ""

    def refusing_query(self, dialect: str) -> str | None:
        """The query that finds rows this migration refuses, in ``dialect``, or None when it refuses none."""
        if self.refuse_when is None:
            return None
        brief_id = "json_extract(doc, '$.brief_id')" if dialect == "sqlite" else "doc->>'brief_id'"
        return self.refuse_when.format(brief_id=brief_id)

    def statements(self, dialect: str) -> tuple[str, ...]:
        if dialect == "sqlite":
            return self.sqlite
        if dialect == "postgresql":
            return self.postgresql
        raise StoreError(f"no migrations for dialect {dialect!r}")


_GENESIS = "0" * 64

_INDEXES = (
    "CREATE INDEX documents_kind_workspace ON documents (kind, workspace)",
    "CREATE INDEX documents_kind_parent ON documents (kind, parent)",
    "CREATE INDEX documents_kind_state ON documents (kind, state)",
    "CREATE INDEX audit_events_entity ON audit_events (entity_id)",
    "CREATE INDEX audit_events_workspace ON audit_events (workspace_id)",
)

_INITIAL = Migration(
    1,
    "documents, the audit chain and its head",
    sqlite=(
        """CREATE TABLE documents (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            workspace TEXT,
            parent TEXT,
            state TEXT,
            version INTEGER NOT NULL,
            doc TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        )""",
        """CREATE TABLE audit_events (
            sequence INTEGER PRIMARY KEY,
            actor_id TEXT NOT NULL,
            on_behalf_of TEXT,
            action TEXT NOT NULL,
            entity_kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            workspace_id TEXT,
            payload_hash TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sequence INTEGER NOT NULL,
            hash TEXT NOT NULL
        )""",
        f"INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, '{_GENESIS}')",
        # Append-only by default; the hash chain still catches anyone who drops these first.
        """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
        """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
        *_INDEXES,
    ),
    postgresql=(
        """CREATE TABLE documents (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            workspace TEXT,
            parent TEXT,
            state TEXT,
            version INTEGER NOT NULL,
            doc JSONB NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (kind, id)
        )""",
        # occurred_at stays text: it is hashed exactly as stored.
        """CREATE TABLE audit_events (
            sequence BIGINT PRIMARY KEY,
            actor_id TEXT NOT NULL,
            on_behalf_of TEXT,
            action TEXT NOT NULL,
            entity_kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            workspace_id TEXT,
            payload_hash TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sequence BIGINT NOT NULL,
            hash TEXT NOT NULL
        )""",
        f"INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, '{_GENESIS}')",
        """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
        """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
           FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
        *_INDEXES,
    ),
)

# Every index a row is in is one more page its commit writes. Rows without a parent, workspace or state (most
# kinds have no state) stay out of those indexes; a query filtering on the column implies it is not null, so
# it still uses them. Nothing queries the audit trail by workspace on a hot path (an export reads it in order).
_PARTIAL_INDEXES_STATEMENTS = (
    "DROP INDEX documents_kind_workspace",
    "DROP INDEX documents_kind_parent",
    "DROP INDEX documents_kind_state",
    "DROP INDEX audit_events_workspace",
    "CREATE INDEX documents_kind_workspace ON documents (kind, workspace) WHERE workspace IS NOT NULL",
    "CREATE INDEX documents_kind_parent ON documents (kind, parent) WHERE parent IS NOT NULL",
    "CREATE INDEX documents_kind_state ON documents (kind, state) WHERE state IS NOT NULL",
)

_PARTIAL_INDEXES = Migration(
    2,
    "documents indexed only where parent, workspace or state is set; no audit index by workspace",
    sqlite=_PARTIAL_INDEXES_STATEMENTS,
    postgresql=_PARTIAL_INDEXES_STATEMENTS,
)

# A cancelled deal used to be stored waiting for "" (nobody); a deal in a final state waits for nobody, which the
# Awaiting enum spells as null. Only that one value changes; the document's version stays (its content does not).
_NOBODY_AWAITED = Migration(
    3,
    "deals that wait for nobody say null, not an empty string",
    sqlite=(
        "UPDATE documents SET doc = json_set(doc, '$.awaiting', json('null'))"
        " WHERE kind = 'deal' AND json_extract(doc, '$.awaiting') = ''",
    ),
    postgresql=(
        "UPDATE documents SET doc = jsonb_set(doc, '{awaiting}', 'null'::jsonb)"
        " WHERE kind = 'deal' AND doc->>'awaiting' = ''",
    ),
)


# Events from here on are format 2: their hash also covers the key that MACs them and the documents their call
# wrote (see creatorkit.audit). Older events keep format 1 and no MAC: they verify as before, reported as such.
# The head records the key of the last event and its own MAC. Adding columns rewrites no row, so the append-only
# triggers are not in the way. Verification asks for the old events and for the key rotations, both few: partial
# indexes answer without reading the trail (no new event enters the first; one per rotation the second).
def _keys_and_coverage(small_int: str) -> tuple[str, ...]:
    return (
        f"ALTER TABLE audit_events ADD COLUMN format {small_int} NOT NULL DEFAULT 1",
        "ALTER TABLE audit_events ADD COLUMN key_id TEXT",
        "ALTER TABLE audit_events ADD COLUMN mac TEXT",
        "ALTER TABLE audit_events ADD COLUMN documents TEXT",
        "ALTER TABLE audit_head ADD COLUMN key_id TEXT",
        "ALTER TABLE audit_head ADD COLUMN mac TEXT",
        "CREATE INDEX audit_events_format_1 ON audit_events (sequence) WHERE format = 1",
        "CREATE INDEX audit_events_rotations ON audit_events (sequence) WHERE action = 'audit.key_rotated'",
    )


_KEYS_AND_COVERAGE = Migration(
    4,
    "audit events record their format, the key that MACs them, their MAC and the documents their call wrote; "
    "the head its key and MAC",
    sqlite=_keys_and_coverage("INTEGER"),
    postgresql=_keys_and_coverage("SMALLINT"),
)

# One open deal per brief and creator, held by the database: on PostgreSQL two concurrent invitations both pass
# the service's check (each reads before the other writes) and only a unique index stops the second. A deal is
# the creator's (parent); while it is open its brief is also in a new column, subject, which the store clears
# when the deal reaches a final state. The index reads only columns an ordinary update leaves alone: one over the
# document's JSON would parse it at every update of a deal, and SQLite maintains an index whose condition reads
# the state, or even the kind, at every update of any document: each cost 1-2 M instructions per deal
# (bench/workflow_instructions.py), this one 0.05 M. Only deals have a subject. The final states are the state
# table's as of this migration; a test holds the two alike.
OPEN_DEAL_INDEX = "documents_one_open_deal"
FINAL_DEAL_STATES = frozenset({"cancelled", "completed", "declined", "expired"})
_NOT_FINAL = "state NOT IN (" + ", ".join(f"'{state}'" for state in sorted(FINAL_DEAL_STATES)) + ")"


def _one_open_deal(brief_id: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE documents ADD COLUMN subject TEXT",
        f"UPDATE documents SET subject = {brief_id} WHERE kind = 'deal' AND {_NOT_FINAL}",
        f"CREATE UNIQUE INDEX {OPEN_DEAL_INDEX} ON documents (kind, parent, subject) WHERE subject IS NOT NULL",
    )


_ONE_OPEN_DEAL = Migration(
    5,
    "at most one open deal per brief and creator",
    sqlite=_one_open_deal("json_extract(doc, '$.brief_id')"),
    postgresql=_one_open_deal("doc->>'brief_id'"),
    refuse_when=(
        "SELECT 'creator ' || parent || ', brief ' || brief_id || ': ' || COUNT(*) || ' open deals'"
        " FROM (SELECT parent, {brief_id} AS brief_id FROM documents"
        f" WHERE kind = 'deal' AND {_NOT_FINAL}) AS open_deals"
        # As the index: a deal without a creator or a brief (only tests write such) conflicts with none.
        " WHERE parent IS NOT NULL AND brief_id IS NOT NULL GROUP BY parent, brief_id HAVING COUNT(*) > 1"
        " ORDER BY parent, brief_id"
    ),
    refusal=(
        "these creators have more than one open deal for one brief, which creatorkit now refuses: cancel all but "
        "one of each with the version of creatorkit that wrote them, then open the store again"
    ),
)

# Webhook events the core has accepted, one row each, unique by (source, event_id): a delivery sent again — by a
# sender retrying (Stripe for 3 days, TikTok for 72 hours), or by someone replaying a captured request within the
# signature's tolerance — finds its events here and is refused, on every process sharing the store. What a notice
# says is kept beside its key, so that an operator can see what was accepted and when, without the payload (the
# core re-reads state; it never keeps what a sender claimed).
WEBHOOK_EVENTS_TABLE = "webhook_events"


def _webhook_events(moment: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE {WEBHOOK_EVENTS_TABLE} (
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            event_type TEXT NOT NULL,
            occurred_at {moment},
            received_at {moment} NOT NULL,
            operation_id TEXT,
            provider_ref TEXT,
            PRIMARY KEY (source, event_id)
        )""",
        # Finds what arrived in a time range (an operator's look, or pruning rows older than any sender retries).
        f"CREATE INDEX webhook_events_received ON {WEBHOOK_EVENTS_TABLE} (received_at)",
    )


_WEBHOOK_EVENTS = Migration(
    6,
    "webhook events accepted, unique by source and event id, so that a delivery sent again is refused",
    sqlite=_webhook_events("TEXT"),
    postgresql=_webhook_events("TIMESTAMPTZ"),
)

# The ledger (creatorkit.ledger): accounts with their balances, immutable journal entries and their postings.
# What must hold whatever process writes is held here, not only in Python:
# - an account that cannot owe (may_go_negative = 0) never has a negative available balance: a CHECK over its
#   counters, which every movement updates in the transaction that writes its entry (TigerBeetle's account flags);
# - a pending entry is resolved (posted or voided) at most once, and an entry corrected at most once: unique
#   indexes on the link, so that two processes posting one pending entry cannot both succeed;
# - an operation id is applied once: unique;
# - a posting is in its account's currency: a foreign key on (account, currency);
# - entries and postings are never changed or deleted, nor an account's identity: triggers.
# That an entry balances per currency spans rows, which a CHECK cannot see: the service checks it before writing
# and creatorkit.ledger's verify() sums every entry again.
LEDGER_ACCOUNTS_TABLE = "ledger_accounts"
LEDGER_ENTRIES_TABLE = "ledger_entries"
LEDGER_POSTINGS_TABLE = "ledger_postings"
_LEDGER_IMMUTABLE = "ledger entries, their postings and account identities are never changed: correct with a new entry"
_ENTRY_KINDS = "'transfer', 'pending', 'post', 'void', 'correction'"
_ACCOUNT_IDENTITY = "id, kind, currency, holder, deal_id, normal, may_go_negative, opened_at"


def _ledger_tables(integer: str, moment: str, sequence: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE {LEDGER_ACCOUNTS_TABLE} (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            currency TEXT NOT NULL,
            holder TEXT,
            deal_id TEXT,
            normal SMALLINT NOT NULL CHECK (normal IN (-1, 1)),
            may_go_negative SMALLINT NOT NULL CHECK (may_go_negative IN (0, 1)),
            opened_at {moment} NOT NULL,
            posted {integer} NOT NULL DEFAULT 0,
            pending_debits {integer} NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
            pending_credits {integer} NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
            UNIQUE (id, currency),
            CONSTRAINT ledger_accounts_cannot_owe CHECK (
                may_go_negative = 1
                OR normal * posted - CASE WHEN normal = 1 THEN pending_credits ELSE pending_debits END >= 0
            )
        )""",
        f"""CREATE TABLE {LEDGER_ENTRIES_TABLE} (
            sequence {sequence},
            id TEXT NOT NULL UNIQUE,
            operation_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ({_ENTRY_KINDS})),
            deal_id TEXT,
            resolves TEXT REFERENCES {LEDGER_ENTRIES_TABLE} (id),
            corrects TEXT REFERENCES {LEDGER_ENTRIES_TABLE} (id),
            memo TEXT NOT NULL,
            request TEXT NOT NULL,
            created_at {moment} NOT NULL,
            CHECK ((kind IN ('post', 'void')) = (resolves IS NOT NULL)),
            CHECK ((kind = 'correction') = (corrects IS NOT NULL))
        )""",
        f"CREATE UNIQUE INDEX ledger_entries_one_resolution ON {LEDGER_ENTRIES_TABLE} (resolves)"
        " WHERE resolves IS NOT NULL",
        f"CREATE UNIQUE INDEX ledger_entries_one_correction ON {LEDGER_ENTRIES_TABLE} (corrects)"
        " WHERE corrects IS NOT NULL",
        f"CREATE INDEX ledger_entries_deal ON {LEDGER_ENTRIES_TABLE} (deal_id) WHERE deal_id IS NOT NULL",
        f"""CREATE TABLE {LEDGER_POSTINGS_TABLE} (
            entry {integer} NOT NULL REFERENCES {LEDGER_ENTRIES_TABLE} (sequence),
            leg SMALLINT NOT NULL,
            account_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount {integer} NOT NULL CHECK (amount <> 0),
            PRIMARY KEY (entry, leg),
            FOREIGN KEY (account_id, currency) REFERENCES {LEDGER_ACCOUNTS_TABLE} (id, currency)
        )""",
        f"CREATE INDEX ledger_postings_account ON {LEDGER_POSTINGS_TABLE} (account_id)",
    )


def _sqlite_guard(name: str, when: str) -> str:
    return f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{_LEDGER_IMMUTABLE}'); END"


_LEDGER = Migration(
    7,
    "the ledger: accounts and their balances, immutable journal entries resolved and corrected at most once",
    sqlite=(
        *_ledger_tables("INTEGER", "TEXT", "INTEGER PRIMARY KEY"),
        _sqlite_guard("ledger_entries_no_update", f"BEFORE UPDATE ON {LEDGER_ENTRIES_TABLE}"),
        _sqlite_guard("ledger_entries_no_delete", f"BEFORE DELETE ON {LEDGER_ENTRIES_TABLE}"),
        _sqlite_guard("ledger_postings_no_update", f"BEFORE UPDATE ON {LEDGER_POSTINGS_TABLE}"),
        _sqlite_guard("ledger_postings_no_delete", f"BEFORE DELETE ON {LEDGER_POSTINGS_TABLE}"),
        _sqlite_guard("ledger_accounts_fixed", f"BEFORE UPDATE OF {_ACCOUNT_IDENTITY} ON {LEDGER_ACCOUNTS_TABLE}"),
        _sqlite_guard("ledger_accounts_no_delete", f"BEFORE DELETE ON {LEDGER_ACCOUNTS_TABLE}"),
    ),
    postgresql=(
        *_ledger_tables("BIGINT", "TIMESTAMPTZ", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        f"""CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '{_LEDGER_IMMUTABLE}'; END $$""",
        f"""CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON {LEDGER_ENTRIES_TABLE}
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable()""",
        f"""CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON {LEDGER_POSTINGS_TABLE}
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable()""",
        f"""CREATE TRIGGER ledger_accounts_fixed BEFORE UPDATE OF {_ACCOUNT_IDENTITY} ON {LEDGER_ACCOUNTS_TABLE}
           FOR EACH ROW EXECUTE FUNCTION ledger_immutable()""",
        f"""CREATE TRIGGER ledger_accounts_kept BEFORE DELETE OR TRUNCATE ON {LEDGER_ACCOUNTS_TABLE}
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable()""",
    ),
)

# The local catalog (kit.catalog): one row per creator account a workspace imported, keyed by (workspace,
# platform, creator id) so that importing a creator again updates its row. Its figures are columns, not a JSON
# document, so that loading a million rows for ranking reads numbers, not text to parse; the audience is one
# binary value per row, pairs of (bucket code, share) as little-endian uint16 and float32, each code standing
# for a (dimension, key) of the workspace's catalog_buckets. Times are POSIX seconds, as the catalog ranks them.
CATALOG_CREATORS_TABLE = "catalog_creators"
CATALOG_BUCKETS_TABLE = "catalog_buckets"


def _catalog_tables(integer: str, real: str, binary: str, moment: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE {CATALOG_CREATORS_TABLE} (
            workspace TEXT NOT NULL,
            platform TEXT NOT NULL,
            creator_id TEXT NOT NULL,
            followers {integer} NOT NULL CHECK (followers >= 0),
            engagement_rate {real} NOT NULL CHECK (engagement_rate >= 0),
            engagement_denominator TEXT NOT NULL,
            price_minor {integer},
            price_currency TEXT,
            categories TEXT,
            country TEXT,
            language TEXT,
            credibility {real},
            available_from {real},
            available_until {real},
            audience {binary},
            brand_results TEXT,
            recent_captions TEXT,
            import_id TEXT NOT NULL,
            imported_at {moment} NOT NULL,
            PRIMARY KEY (workspace, platform, creator_id),
            CHECK ((price_minor IS NULL) = (price_currency IS NULL))
        )""",
        f"""CREATE TABLE {CATALOG_BUCKETS_TABLE} (
            workspace TEXT NOT NULL,
            code INTEGER NOT NULL CHECK (code >= 0 AND code < 65536),
            dimension TEXT NOT NULL,
            bucket TEXT NOT NULL,
            PRIMARY KEY (workspace, code),
            UNIQUE (workspace, dimension, bucket)
        )""",
    )


_CATALOG = Migration(
    8,
    "the local catalog: creators a workspace imported, one row each with its figures as columns",
    sqlite=_catalog_tables("INTEGER", "REAL", "BLOB", "TEXT"),
    postgresql=_catalog_tables("BIGINT", "DOUBLE PRECISION", "BYTEA", "TIMESTAMPTZ"),
)

MIGRATIONS: tuple[Migration, ...] = (
    _INITIAL,
    _PARTIAL_INDEXES,
    _NOBODY_AWAITED,
    _KEYS_AND_COVERAGE,
    _ONE_OPEN_DEAL,
    _WEBHOOK_EVENTS,
    _LEDGER,
    _CATALOG,
)
"""Every migration, oldest first; versions are 1, 2, 3, ... without gaps."""

LATEST: int = MIGRATIONS[-1].version
"""The schema version this code writes and expects."""


def bookkeeping_table(dialect: str) -> str:
    """The statement that creates ``schema_migrations`` if it is missing."""
    applied_at = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    return (
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
        f" applied_at {applied_at} NOT NULL)"
    )


def check_supported(current: int, *, where: str) -> None:
    """Refuse a database whose schema is newer than this code knows."""
    if current > LATEST:
        raise StoreError(
            f"the store at {where} has schema version {current}, but this creatorkit only knows up to "
            f"version {LATEST}; upgrade creatorkit to open it"
        )


def pending(current: int) -> list[Migration]:
    """The migrations still to apply on a database at schema version ``current``, in order."""
    return [m for m in MIGRATIONS if m.version > current]
