"""The benchmark scripts' switches still name real code: a rename in the package shows up here, not in a
silently meaningless figure."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _switches() -> dict[str, str]:
    sys.path.insert(0, str(BENCH))  # cache_gains imports its sibling workflow_instructions
    try:
        spec = importlib.util.spec_from_file_location("cache_gains", BENCH / "cache_gains.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    switches: dict[str, str] = module.SWITCHES
    return switches


SWITCHES = _switches()


@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_each_cache_switch_applies(name: str) -> None:
    """The patch runs, and it replaces something that was there (a name it assigns existed before)."""
    patch = SWITCHES[name]
    *imports, assignment = patch.splitlines()
    target = assignment.split("=", 1)[0].strip()
    check = "\n".join([*imports, f"before = {target}", patch, f"assert {target} is not before, {target!r}"])
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def _discovery_switches() -> dict[str, str]:
    sys.path.insert(0, str(BENCH))  # discovery_instructions imports its sibling workflow_instructions
    try:
        spec = importlib.util.spec_from_file_location("discovery_instructions", BENCH / "discovery_instructions.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    switches: dict[str, str] = module.SWITCHES
    return switches


DISCOVERY_SWITCHES = _discovery_switches()


@pytest.mark.parametrize("name", sorted(DISCOVERY_SWITCHES))
def test_each_discovery_switch_applies(name: str) -> None:
    """The discovery path's cache switches replace something that is there, as the workflow's do."""
    patch = DISCOVERY_SWITCHES[name]
    *imports, assignment = patch.splitlines()
    target = assignment.split("=", 1)[0].strip()
    check = "\n".join([*imports, f"before = {target}", patch, f"assert {target} is not before, {target!r}"])
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_catalog_import_bulk_write_switch_applies() -> None:
    """The switch that times a catalog import without its SQLite bulk-write settings replaces the real method."""
    spec = importlib.util.spec_from_file_location("bench_import", BENCH / "bench_import.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    patch = module.BULK_WRITE_SWITCH
    *imports, assignment = patch.splitlines()
    target = assignment.split("=", 1)[0].strip()
    check = "\n".join([*imports, f"before = {target}", patch, f"assert {target} is not before, {target!r}"])
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
