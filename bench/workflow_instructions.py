"""Machine instructions per workflow deal, counted by valgrind: a figure the machine's load does not move.

``python bench/workflow_instructions.py [FEW MANY] [--advancing-clock]`` runs the deals of ``bench_workflow``
under ``valgrind --tool=callgrind`` twice, with FEW and MANY deals (default 10 and 60) after the same setup, and
prints JSON with the difference divided by MANY - FEW: the user-space instructions one deal costs (Python,
SQLite, libsodium; not the kernel's share of a write). Wall-clock benchmarks on a shared machine swing by a
quarter from one minute to the next; this count repeats to within a tenth of a percent, so it tells whether a
change made the deal cheaper. It takes about a minute. A diagnostic, not a benchmark with a goal.

The kit's clock returns the same datetime object on every call, as the wall-clock benchmark's does; that
flatters anything keyed by object identity. ``--advancing-clock`` gives each call a new moment, as a real
clock does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

_RUN_DEALS = """
import itertools, sys, tempfile
from datetime import timedelta
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_workflow import START, _InstantPlatform, _one_deal, _setup
from creatorkit import Creatorkit
from creatorkit.host import PluginHost
from creatorkit.store import open_store
deals = int(sys.argv[1])
{patch}
ticks = itertools.count()
clock = (lambda: START + timedelta(microseconds=next(ticks))) if {advancing} else (lambda: START)
with tempfile.TemporaryDirectory() as folder:
    plugins = PluginHost()
    plugins.register(_InstantPlatform(), name="bench")
    kit = Creatorkit(store=open_store(Path(folder) / "bench.db"), plugins=plugins, clock=clock)
    world = _setup(kit, {setup})
    for i in range(deals):
        _one_deal(kit, world, f"creator_{{i}}")
    kit.close()
"""

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _instructions(script: str, deals: int) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script, str(deals)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # one hash seed: the same dict and set layouts on every run
    )
    found = _COLLECTED.search(result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run with {deals} deals failed:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def count(few: int = 10, many: int = 60, *, advancing: bool = False, patch: str = "") -> dict[str, Any]:
    """Instructions per deal; ``patch`` is Python run in the measured process before the deals (see cache_gains)."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if not 0 <= few < many:
        raise SystemExit("give FEW < MANY, e.g. 10 60")
    script = _RUN_DEALS.format(bench=str(Path(__file__).resolve().parent), setup=many, patch=patch, advancing=advancing)
    low, high = _instructions(script, few), _instructions(script, many)
    return {
        "name": "workflow.instructions_per_deal",
        "value": round((high - low) / (many - few)),
        "unit": "instructions/deal",
        "deals": [few, many],
        "clock": "advancing" if advancing else "constant",
        "note": "user-space instructions (callgrind), setup excluded by difference",
    }


if __name__ == "__main__":
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    arguments = [int(a) for a in sys.argv[1:] if not a.startswith("--")][:2]
    print(json.dumps(count(*arguments, advancing="--advancing-clock" in flags), indent=2))
