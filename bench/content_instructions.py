"""Machine instructions one check of ``content.check_ms`` costs, counted by valgrind: a figure load does not move.

``python bench/content_instructions.py`` runs the check of ``bench_content`` (a 1 MB caption, 1,000 rules,
compiled already) under ``valgrind --tool=callgrind`` once with one check and once with three, after the same
setup, and prints JSON with the difference halved. The wall-clock benchmark swings by a quarter on a shared
machine; this count repeats, so it tells whether a change to normalisation or matching made the check cheaper.
It takes about a minute. A diagnostic, not a benchmark with a goal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow_instructions import _instructions

_RUN_CHECKS = """
import random, sys
sys.path.insert(0, {bench!r})
import bench_content
from creatorkit.workflow import check_draft
rng = random.Random(2026)
rules = bench_content._rules(rng)
caption = bench_content._caption(rng)
check_draft(rules, caption="")
for _ in range(int(sys.argv[1])):
    check_draft(rules, caption=caption)
"""


def count() -> dict[str, Any]:
    script = _RUN_CHECKS.format(bench=str(Path(__file__).resolve().parent))
    one, three = _instructions(script, 1), _instructions(script, 3)
    return {
        "name": "content.instructions_per_check",
        "value": round((three - one) / 2),
        "unit": "instructions/check",
        "note": "user-space instructions (callgrind), setup excluded by difference; rules compiled already",
    }


if __name__ == "__main__":
    print(json.dumps(count(), indent=2))
