"""Machine instructions one deal's ledger batch costs, counted by valgrind: a figure load does not move.

``python bench/ledger_instructions.py [FEW MANY]`` applies the deal batches of ``bench_ledger`` (12 postings in
5 entries, one ``kit.ledger.apply`` and one commit per deal) on a SQLite file under ``valgrind --tool=callgrind``,
once with FEW deals and once with MANY (default 20 and 120) after the same setup (the kit, the shared accounts,
MANY deal records), and prints JSON with the difference divided by MANY - FEW: the user-space instructions one
deal's batch costs (Python, SQLite; not the kernel's share of the commit's writes, which the wall-clock benchmark
includes). ``postings_per_s`` swings by a quarter on a shared 2-core machine; this count repeats to within a
fraction of a percent, so it tells whether a change made a batch cheaper. It takes about a minute. A diagnostic,
not a benchmark with a goal.

``--without NAME`` measures with one entry of :data:`SWITCHES` switched off (a patch applied in the measured
process only): what that fast path saves is the difference from the figure without the flag.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from workflow_instructions import _instructions

#: What switches each fast path of the ledger's write off, by name. Each patch is run before the batches, in their
#: process.
SWITCHES: dict[str, str] = {
    # An entry's audit document built directly (creatorkit.ledger._journal.entry_document), not by the converter.
    "entry_document": (
        "from creatorkit.ledger import _journal\n"
        "from creatorkit.converter import unstructure\n"
        "_journal.entry_document = lambda entry, created_at: unstructure(entry)"
    ),
}

_RUN_BATCHES = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {bench!r})
{patch}
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


def count(few: int = 20, many: int = 120, *, without: str | None = None) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if not 0 <= few < many:
        raise SystemExit("give FEW < MANY, e.g. 20 120")
    if without is not None and without not in SWITCHES:
        raise SystemExit(f"unknown: {without}; known: {', '.join(SWITCHES)}")
    patch = SWITCHES[without] if without is not None else ""
    script = _RUN_BATCHES.format(bench=str(Path(__file__).resolve().parent), setup=many, patch=patch)
    low, high = _instructions(script, few), _instructions(script, many)
    return {
        "name": "ledger.instructions_per_deal",
        "value": round((high - low) / (many - few)),
        "unit": "instructions/deal",
        "deals": [few, many],
        "without": without,
        "note": "user-space instructions (callgrind), setup excluded by difference; 12 postings in 5 entries a deal",
    }


if __name__ == "__main__":
    switched = sys.argv.index("--without") if "--without" in sys.argv else None
    name = sys.argv[switched + 1] if switched is not None else None
    numbers = [int(a) for a in (sys.argv[1:switched] if switched is not None else sys.argv[1:])][:2]
    print(json.dumps(count(*numbers, without=name), indent=2))
