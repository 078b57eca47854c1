"""Benchmarks for the ledger: postings per second through ``kit.ledger.apply`` on a SQLite file, one commit per deal.

Each deal's money is one batch, one transaction, one durable commit (WAL, ``synchronous = NORMAL``: what the
store always runs): its escrow account opened, the brand's money taken by the provider (2 postings), held for the
deal as a pending entry (2) and posted (2), the milestone released into platform fee, agency share and creator
payable (4, split by the one allocator) and paid out to the creator (2): 12 postings in 5 entries, each with its
idempotency check, its guarded balance updates, its audit event. Beside it, ``ledger.raw_sqlite_postings_per_s``:
the same rows (entries, postings, balance updates) inserted with plain ``sqlite3`` into equivalent tables with the
same pragmas and one commit per deal — no checks, no audit, no Python objects: the floor the store stands on.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from creatorkit import Actor, Creatorkit, Money
from creatorkit.audit import AuditKeys
from creatorkit.entities import LedgerAccountKind as Kind
from creatorkit.entities import Posting
from creatorkit.ledger import OpenAccount, Pending, Post, Transfer, account_id, entry_id, legs
from creatorkit.store import open_store

NAMES = {"bench_ledger_postings": ["ledger.postings_per_s", "ledger.raw_sqlite_postings_per_s"]}

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system()
CURRENCY = "USD"
POSTINGS_PER_DEAL = 12
GROSS = Money(150_000, CURRENCY)


#: The holders of the accounts every deal shares (the platform's fee account has none).
HOLDERS = {
    Kind.BRAND_FUNDING: "brand_bench",
    Kind.AGENCY_SHARE: "agency_bench",
    Kind.CREATOR_PAYABLE: "creator_bench",
    Kind.PROVIDER_CLEARING: "echo_pay",
}


def _shared_accounts() -> dict[Kind, str]:
    ids = {kind: account_id(kind, CURRENCY, holder=holder) for kind, holder in HOLDERS.items()}
    ids[Kind.PLATFORM_FEES] = account_id(Kind.PLATFORM_FEES, CURRENCY)
    return ids


def _open_shared_accounts(kit: Creatorkit) -> None:
    opened = [OpenAccount(kind=kind, currency=CURRENCY, holder=holder) for kind, holder in HOLDERS.items()]
    kit.ledger.apply(SYSTEM, [*opened, OpenAccount(kind=Kind.PLATFORM_FEES, currency=CURRENCY)])


def _deal_batch(deal_id: str, accounts: dict[Kind, str]) -> list[Any]:
    """One deal's money, start to payout; the post names the pending entry by its operation id's entry id.

    Operation ids name the deal first, as ``kit.payments`` names its movements (``pay-<deal>-<step>-<attempt>``):
    a deal's entries then sit together in the indexes on entry id and operation id, as they do in use.
    """
    escrow = account_id(Kind.DEAL_ESCROW, CURRENCY, deal_id=deal_id)
    fee, agency, creator = GROSS.allocate([1_500, 1_000, 7_500])
    release = (
        Posting(account=escrow, amount=GROSS),
        Posting(account=accounts[Kind.PLATFORM_FEES], amount=-fee),
        Posting(account=accounts[Kind.AGENCY_SHARE], amount=-agency),
        Posting(account=accounts[Kind.CREATOR_PAYABLE], amount=-creator),
    )
    return [
        OpenAccount(kind=Kind.DEAL_ESCROW, currency=CURRENCY, deal_id=deal_id),
        Transfer(
            operation_id=f"pay-{deal_id}-fund",
            postings=legs(accounts[Kind.PROVIDER_CLEARING], accounts[Kind.BRAND_FUNDING], GROSS),
            deal_id=deal_id,
        ),
        Pending(
            operation_id=f"pay-{deal_id}-hold",
            debit=accounts[Kind.BRAND_FUNDING],
            credit=escrow,
            amount=GROSS,
            deal_id=deal_id,
        ),
        Post(operation_id=f"pay-{deal_id}-post", pending_id=entry_id(f"pay-{deal_id}-hold")),
        Transfer(operation_id=f"pay-{deal_id}-release", postings=release, deal_id=deal_id),
        Transfer(
            operation_id=f"pay-{deal_id}-payout",
            postings=legs(accounts[Kind.CREATOR_PAYABLE], accounts[Kind.PROVIDER_CLEARING], creator),
            deal_id=deal_id,
        ),
    ]


def _ledger_round(kit: Creatorkit, deal_ids: list[str], accounts: dict[Kind, str]) -> float:
    """Postings per second, one ``kit.ledger.apply`` (one transaction, one commit) per deal."""
    batches = [_deal_batch(deal_id, accounts) for deal_id in deal_ids]
    apply = kit.ledger.apply
    started = time.perf_counter()
    for batch in batches:
        apply(SYSTEM, batch)
    return len(deal_ids) * POSTINGS_PER_DEAL / (time.perf_counter() - started)


def _deals(kit: Creatorkit, count: int, round_: int) -> list[str]:
    """Deal records to hold money for, written before the clock starts."""
    ids = [f"deal_{round_}_{i}" for i in range(count)]
    with kit.store._write_transaction() as tx:
        for deal_id in ids:
            tx.insert("deal", deal_id, {"id": deal_id, "brand_id": "brand_bench"}, now=NOW)
    return ids


_RAW_SCHEMA = (
    "CREATE TABLE accounts (id TEXT PRIMARY KEY, posted INTEGER NOT NULL, pending_debits INTEGER NOT NULL,"
    " pending_credits INTEGER NOT NULL)",
    "CREATE TABLE entries (sequence INTEGER PRIMARY KEY, id TEXT UNIQUE, operation_id TEXT UNIQUE, kind TEXT,"
    " deal_id TEXT, resolves TEXT, memo TEXT, request TEXT, created_at TEXT)",
    "CREATE TABLE postings (entry INTEGER, leg INTEGER, account_id TEXT, currency TEXT, amount INTEGER,"
    " PRIMARY KEY (entry, leg))",
)


def _raw_round(path: Path, deal_ids: list[str], accounts: dict[Kind, str]) -> float:
    """The same rows with plain sqlite3: 5 entries, 12 postings and 12 balance updates per deal, a commit each."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in _RAW_SCHEMA:
        conn.execute(statement.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    shared = list(accounts.values())
    conn.executemany("INSERT OR IGNORE INTO accounts VALUES (?, 0, 0, 0)", [(a,) for a in shared])
    request = json.dumps({"kind": "transfer"})
    when = NOW.isoformat()
    started = time.perf_counter()
    for deal_id in deal_ids:
        conn.execute("BEGIN IMMEDIATE")
        escrow = f"deal_escrow:{deal_id}:USD"
        names = [*shared, escrow]
        conn.execute("INSERT INTO accounts VALUES (?, 0, 0, 0)", (escrow,))
        for step in range(5):
            row = (f"le_{deal_id}_{step}", f"op_{deal_id}_{step}", "transfer", deal_id, None, "", request, when)
            cur = conn.execute(
                "INSERT INTO entries (id, operation_id, kind, deal_id, resolves, memo, request, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING sequence",
                row,
            )
            sequence = cur.fetchone()[0]
            legs_ = 4 if step == 3 else 2
            conn.executemany(
                "INSERT INTO postings VALUES (?, ?, ?, 'USD', ?)",
                [(sequence, leg, names[leg], 1 if leg else -1) for leg in range(legs_)],
            )
            conn.executemany(
                "UPDATE accounts SET posted = posted + ? WHERE id = ?",
                [(1, names[leg]) for leg in range(legs_)],
            )
        conn.execute("COMMIT")
    rate = len(deal_ids) * POSTINGS_PER_DEAL / (time.perf_counter() - started)
    conn.close()
    return rate


def bench_ledger_postings(deals: int = 1_000, rounds: int = 3) -> list[dict[str, Any]]:
    accounts = _shared_accounts()
    ledger_rates, raw_rates = [], []
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}", audit_keys=AuditKeys())
        with Creatorkit(store=store, clock=lambda: NOW) as kit:
            _open_shared_accounts(kit)
            for round_ in range(rounds):
                deal_ids = _deals(kit, deals, round_)
                ledger_rates.append(_ledger_round(kit, deal_ids, accounts))
                raw_rates.append(_raw_round(Path(folder) / "raw.db", deal_ids, accounts))
            problems = kit.ledger.verify(SYSTEM)
            if problems:
                raise AssertionError(f"the benchmark left an unsound ledger: {problems[:3]}")
    common = {"deals": deals, "rounds": rounds, "store": "sqlite file, WAL, synchronous=NORMAL, a commit per deal"}
    return [
        {
            "name": "ledger.postings_per_s",
            "value": round(max(ledger_rates)),
            "unit": "/s",
            "median": round(statistics.median(ledger_rates)),
            "goal": ">= 20,000 /s",
            "note": "12 postings in 5 entries per deal through kit.ledger: checked, idempotent, balanced, audited",
            **common,
        },
        {
            "name": "ledger.raw_sqlite_postings_per_s",
            "value": round(max(raw_rates)),
            "unit": "/s",
            "median": round(statistics.median(raw_rates)),
            "goal": "reported",
            "note": "the same entry, posting and balance rows with plain sqlite3, no checks or audit",
            **common,
        },
    ]
