"""Machine instructions one deal's ledger batch costs, counted by valgrind: a figure load does not move.

``python bench/ledger_instructions.py [FEW MANY]`` applies the deal batches of ``bench_ledger`` (12 postings in
5 entries, one ``kit.ledger.apply`` and one commit per deal) on a SQLite file under ``valgrind --tool=callgrind``,
once with FEW deals and once with MANY (default 20 and 120) after the same setup (the kit, the shared accounts,
MANY deal records), and prints JSON with the difference divided by MANY - FEW: the user-space instructions one
deal's batch costs (Python, SQLite; not the kernel's share of the commit's writes, which the wall-clock benchmark
includes). ``postings_per_s`` swings by a quarter on a shared 2-core machine; this count repeats to within a
fraction of a percent, so it tells whether a change made a batch cheaper. It takes about a minute. A diagnostic,
not a benchmark with a goal.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from workflow_instructions import _instructions

_RUN_BATCHES = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_ledger import NOW, SYSTEM, _deal_batch, _deals, _open_shared_accounts, _shared_accounts
from creatorkit import Creatorkit
from creatorkit.audit import AuditKeys
from creatorkit.store import open_store
with tempfile.TemporaryDirectory() as folder:
    store = open_store(f"sqlite:///{{Path(folder) / 'bench.db'}}", audit_keys=AuditKeys())
    with Creatorkit(store=store, clock=lambda: NOW) as kit:
        accounts = _shared_accounts()
        _open_shared_accounts(kit)
        deal_ids = _deals(kit, {setup}, 0)
        batches = [_deal_batch(deal_id, accounts) for deal_id in deal_ids[: int(sys.argv[1])]]
        for batch in batches:
            kit.ledger.apply(SYSTEM, batch)
"""


def count(few: int = 20, many: int = 120) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if not 0 <= few < many:
        raise SystemExit("give FEW < MANY, e.g. 20 120")
    script = _RUN_BATCHES.format(bench=str(Path(__file__).resolve().parent), setup=many)
    low, high = _instructions(script, few), _instructions(script, many)
    return {
        "name": "ledger.instructions_per_deal",
        "value": round((high - low) / (many - few)),
        "unit": "instructions/deal",
        "deals": [few, many],
        "note": "user-space instructions (callgrind), setup excluded by difference; 12 postings in 5 entries a deal",
    }


if __name__ == "__main__":
    print(json.dumps(count(*[int(a) for a in sys.argv[1:3]]), indent=2))
