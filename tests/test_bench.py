"""The benchmark scripts' switches still name real code: a rename in the package shows up here, not in a
silently meaningless figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from cache_gains import SWITCHES  # noqa: E402


@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_each_cache_switch_applies(name: str) -> None:
    """The patch runs, and it replaces something that was there (a name it assigns existed before)."""
    patch = SWITCHES[name]
    *imports, assignment = patch.splitlines()
    target = assignment.split("=", 1)[0].strip()
    check = "\n".join([*imports, f"before = {target}", patch, f"assert {target} is not before, {target!r}"])
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
