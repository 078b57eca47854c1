"""Run creatorkit's benchmarks and print their figures.

    python bench/run.py                       # every benchmark, as a table
    python bench/run.py dispatch import --json

A benchmark is a function ``bench_<something>()`` in a ``bench/bench_*.py`` module returning a dict (or a
list of dicts) with at least ``name``, ``value`` and ``unit``; ``goal`` states the target. NAME arguments
select benchmarks whose name starts with one of them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _benchmarks() -> Iterator[tuple[str, Callable[[], Any]]]:
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(f"creatorkit_bench.{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for attr in sorted(vars(module)):
            if attr.startswith("bench_") and callable(getattr(module, attr)):
                names = getattr(module, "NAMES", {}).get(attr, [attr.removeprefix("bench_").replace("_", ".", 1)])
                yield ",".join(names), getattr(module, attr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="run only benchmarks whose name starts with one of these")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    for declared, function in _benchmarks():
        if args.names and not any(n.startswith(p) or p.startswith(n) for n in declared.split(",") for p in args.names):
            continue
        started = time.perf_counter()
        produced = function()
        for item in produced if isinstance(produced, list) else [produced]:
            if args.names and not any(item["name"].startswith(p) for p in args.names):
                continue
            item.setdefault("seconds", round(time.perf_counter() - started, 3))
            results.append(item)
    report = {
        "benchmarks": results,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for item in results:
            print(f"{item['name']:<28} {item['value']:>14,.4g} {item['unit']:<10} goal {item.get('goal', '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
