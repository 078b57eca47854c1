"""Benchmarks ``tokens.access_token_us``, ``tokens.seal_open_us`` and ``tokens.renew_ms``: what sealed, renewable
tokens cost a call.

- ``access_token_us``: one ``context.tokens.access_token()`` of a connection whose token is far from expiry: what
  every stage call that sends a token pays (the source keeps the opened token in memory; the store is not read).
- ``seal_open_us``: sealing a token pair (XChaCha20-Poly1305 with its record as associated data) and opening it.
- ``renew_ms``: one renewal, end to end, on a SQLite file store with echo answering at once: the lock, the reads,
  the platform call, the sealed pair, the connection and its audit event written in one transaction.

Run directly to print the results as JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from creatorkit import Actor, Creatorkit
from creatorkit.audit import AuditKeys
from creatorkit.host import PluginHost
from creatorkit.store import open_store
from creatorkit.tokens import TokenKey, TokenKeys
from creatorkit_echo import EchoPlatform, consent

__all__ = ["bench_tokens"]

NAMES = {"bench_tokens": ["tokens.access_token_us", "tokens.seal_open_us", "tokens.renew_ms"]}
CALLS = 20_000
SEALS = 5_000
RENEWALS = 200


def _best(run: Any, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def bench_tokens() -> list[dict[str, Any]]:
    keys = TokenKeys(TokenKey(os.urandom(32)))
    with tempfile.TemporaryDirectory(prefix="creatorkit-bench-") as tmp:
        host = PluginHost()
        host.register(EchoPlatform(), name="echo")
        now = datetime(2026, 3, 2, 9, tzinfo=UTC)
        store = open_store(Path(tmp) / "tokens.db", audit_keys=AuditKeys())
        kit = Creatorkit(store=store, plugins=host, clock=lambda: now, token_cipher=keys)
        try:
            brand = Actor.brand("brand_bench")
            kit.parties.register_brand(Actor.system(), name="Bench", id=brand.id)
            started = kit.connections.start(brand, platform="echo")
            kit.connections.finish(brand, redirect_url=consent(started.url))
            tokens = kit.connections.context(brand, platform="echo").tokens
            assert tokens is not None
            tokens.access_token()

            def access() -> None:
                for _ in range(CALLS):
                    tokens.access_token()

            def seal_open() -> None:
                for n in range(SEALS):
                    bound = f"creatorkit/token/v1\x1fconnection\x1fconn_{n}".encode()
                    keys.open(
                        keys.seal(b'{"access_token":"act.x","refresh_token":"rft.y"}', associated_data=bound),
                        associated_data=bound,
                    )

            def renew() -> None:
                for _ in range(RENEWALS):
                    tokens.refresh(tokens.access_token())

            results = [
                {"name": "tokens.access_token_us", "value": round(_best(access) / CALLS * 1e6, 2), "unit": "µs"},
                {"name": "tokens.seal_open_us", "value": round(_best(seal_open) / SEALS * 1e6, 1), "unit": "µs"},
                {"name": "tokens.renew_ms", "value": round(_best(renew, 1) / RENEWALS * 1e3, 2), "unit": "ms"},
            ]
        finally:
            store.close()
    return results


if __name__ == "__main__":
    print(json.dumps(bench_tokens(), indent=2))
