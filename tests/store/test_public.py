"""The public surface of the store package and the audit module."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from types import ModuleType

import pytest

import creatorkit.audit
import creatorkit.store


def defined_here(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__.startswith(module.__name__)
    }


@pytest.mark.parametrize("module", [creatorkit.store, creatorkit.audit])
def test_all_names_exist_once_and_cover_the_public_definitions(module: ModuleType) -> None:
    names = module.__all__
    assert len(set(names)) == len(names)
    assert all(hasattr(module, name) for name in names)
    assert defined_here(module) <= set(names)


def test_the_store_package_offers_the_documented_interface() -> None:
    assert {"Record", "Store", "Transaction", "open_store"} <= set(creatorkit.store.__all__)


def test_the_dialects_are_exported_for_their_options() -> None:
    from creatorkit.store import PostgresStore, SqliteStore, Store

    assert issubclass(SqliteStore, Store) and issubclass(PostgresStore, Store)
    assert {"PostgresStore", "SqliteStore"} <= set(creatorkit.store.__all__)
    assert {"PostgresStore", "SqliteStore"} <= set(dir(creatorkit.store))


def test_the_store_names_are_sorted() -> None:
    names = creatorkit.store.__all__
    constants = [n for n in names if n.isupper()]
    classes = [n for n in names if n[:1].isupper() and not n.isupper()]
    functions = [n for n in names if n[:1].islower()]
    assert names == sorted(constants) + sorted(classes) + sorted(functions)


_WITHOUT_PSYCOPG = """
import sys
sys.modules["psycopg"] = None  # an install without the postgres extra
import creatorkit.store
from creatorkit.errors import StoreError
assert "creatorkit.store._postgres" not in sys.modules  # loaded on first use only
from creatorkit.store import PostgresStore
try:
    PostgresStore("postgresql://nobody@127.0.0.1:1/none")
except StoreError as exc:
    assert "psycopg" in str(exc), exc
else:
    raise AssertionError("built a PostgresStore without psycopg")
"""


def test_postgres_store_imports_without_psycopg_and_fails_when_built() -> None:
    result = subprocess.run([sys.executable, "-c", _WITHOUT_PSYCOPG], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_importing_the_store_loads_no_dialect() -> None:
    dialects = ("creatorkit.store._postgres", "creatorkit.store._sqlite", "psycopg")
    code = f"import sys, creatorkit.store; print(sorted(m for m in sys.modules if m in {dialects!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("cls", [creatorkit.store.Transaction, creatorkit.store.Store])
def test_public_methods_are_fully_annotated(cls: type) -> None:
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        hints = typing.get_type_hints(method)  # resolves: every name in the annotations exists at run time
        parameters = [p for p in inspect.signature(method).parameters if p != "self"]
        assert set(parameters) | {"return"} <= set(hints), f"{cls.__name__}.{name} is missing annotations"
