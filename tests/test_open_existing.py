"""``create=False``: opening only a store that exists, for tools that read one (the CLI's commands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorkit import Config, Creatorkit, StoreError
from creatorkit.store import open_store


@pytest.mark.parametrize("spelling", ["{path}", "sqlite:///{path}", "path-like"])
def test_a_missing_sqlite_file_is_an_error_naming_it_and_is_not_created(tmp_path: Path, spelling: str) -> None:
    missing = tmp_path / "typo.db"
    target = missing if spelling == "path-like" else spelling.format(path=missing)
    with pytest.raises(StoreError) as caught:
        open_store(target, create=False)
    assert str(caught.value) == f"no sqlite store at {missing}: the file does not exist"
    assert not missing.exists()


def test_a_missing_directory_is_a_missing_store_too(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no sqlite store at .*nowhere"):
        open_store(tmp_path / "nowhere" / "ck.db", create=False)


def test_an_existing_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "ck.db"
    open_store(path).close()  # the default creates it, as an embedding app's first open does
    with open_store(path, create=False) as store:
        assert store.schema_version() >= 1


@pytest.mark.parametrize("spelling", [":memory:", "sqlite://"])
def test_an_in_memory_store_never_exists_before(spelling: str) -> None:
    with pytest.raises(StoreError, match="in-memory store is always new"):
        open_store(spelling, create=False)


def test_the_kit_opens_only_an_existing_store_when_asked(tmp_path: Path) -> None:
    config = tmp_path / "creatorkit.toml"
    config.write_text('[creatorkit]\nstore = "data.db"\n', encoding="utf-8")
    with pytest.raises(StoreError, match="no sqlite store at"):
        Creatorkit.open(config, create=False)
    assert not (tmp_path / "data.db").exists()
    Creatorkit.open(Config.load(config)).close()
    with Creatorkit.open(config, create=False) as kit:
        assert kit.store.dialect == "sqlite"
