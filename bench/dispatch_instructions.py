"""``dispatch.overhead_ratio`` counted in machine instructions, a figure the machine's load does not move.

``python bench/dispatch_instructions.py`` runs the dispatch benchmark's calls (``bench_core``) under
``valgrind --tool=callgrind``: a facade call, ``host.platform(name).fetch_creator_metrics(account)``, and the raw
pluggy call with the same arguments (the context included, as pluggy wants every argument the spec names), each
1,000 and 6,000 times after the same setup. The difference divided by 5,000 is one call's user-space instructions;
their ratio is the facade's overhead, the figure whose goal is ≤ 2.0. The wall-clock benchmark swings by a third
on a shared 2-core machine; this count repeats to within a fraction of a percent. It takes about a minute.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

_CALLS = """
import sys
sys.path.insert(0, {bench!r})
from bench_core import _BenchPlatform
from creatorkit import CallContext, PluginHost
from creatorkit.entities import Capability, PlatformAccount
host = PluginHost()
host.register(_BenchPlatform("bench"), name="bench")
account = PlatformAccount(platform="bench", account_id="a1", handle="h")
client = host.platform("bench")
raw = host.pm.hook.creatorkit_fetch_creator_metrics
context = CallContext(plugin="bench", hook="creatorkit_fetch_creator_metrics", capability=Capability.METRICS)
facade, calls = sys.argv[1] == "facade", int(sys.argv[2])
client.fetch_creator_metrics(account)
raw(account=account, context=context, period=None)
for _ in range(calls):
    client.fetch_creator_metrics(account) if facade else raw(account=account, context=context, period=None)
"""
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
FEW, MANY = 1_000, 6_000


def _instructions(script: str, kind: str, calls: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script]
    result = subprocess.run([*command, kind, str(calls)], capture_output=True, text=True, check=False)
    found = _COLLECTED.search(result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run ({kind}, {calls} calls) failed:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def count() -> dict[str, object]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    script = _CALLS.format(bench=str(Path(__file__).resolve().parent))
    per_call = {
        kind: (_instructions(script, kind, MANY) - _instructions(script, kind, FEW)) / (MANY - FEW)
        for kind in ("facade", "raw")
    }
    return {
        "name": "dispatch.overhead_instructions_ratio",
        "value": round(per_call["facade"] / per_call["raw"], 3),
        "unit": "ratio",
        "goal": "<= 2.0 (the goal of dispatch.overhead_ratio)",
        "facade_instructions": round(per_call["facade"]),
        "raw_pluggy_instructions": round(per_call["raw"]),
    }


if __name__ == "__main__":
    print(json.dumps(count(), indent=2))
