"""The DuckDB query ``ranking.vs_duckdb`` times answers what the catalog answers: same top, same scores."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_ranking.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ranking", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_duckdb_query_ranks_the_same_creators_with_the_same_scores() -> None:
    pytest.importorskip("duckdb")
    bench = _bench()
    data = bench.columns(creators=30_000)
    wanted = bench.brief()
    ranking = bench.Catalog(data).rank(wanted, as_of=bench.AS_OF, top=100, weights=bench.WEIGHTS)
    rows = bench._duckdb_table(data).execute(bench.duckdb_query(wanted)).fetchall()
    assert len(ranking.matches) == len(rows) == 100
    for match, (row_id, score) in zip(ranking.matches, rows, strict=True):
        assert match.creator_id == f"cr_{row_id}"
        assert match.score == pytest.approx(score, abs=1e-6)
