"""The public surface of the store package and the audit module."""

from __future__ import annotations

import inspect
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
