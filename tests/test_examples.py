"""The embedding example stays runnable: it walks one deal from brief to published post."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "embedding" / "run_a_deal.py"


def test_the_embedding_example_runs_a_whole_deal(tmp_path: Path) -> None:
    module = runpy.run_path(str(EXAMPLE))
    outcome = module["run"](tmp_path)
    assert outcome == {
        "state": "published",
        "checks_passed": True,
        "audit_events": outcome["audit_events"],
        "audit_intact": True,
    }
    assert isinstance(outcome["audit_events"], int) and outcome["audit_events"] > 20
