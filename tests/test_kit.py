"""Creatorkit.open: the config decides the store, and a relative SQLite path is relative to the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorkit import Creatorkit


@pytest.mark.parametrize("written", ["plain.db", "sqlite:///plain.db", "data/plain.db"])
def test_a_relative_store_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "creatorkit.toml").write_text(f'[creatorkit]\nstore = "{written}"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with Creatorkit.open(project / "creatorkit.toml") as kit:
        assert kit.store.dialect == "sqlite"
    expected = project / written.removeprefix("sqlite:///")
    assert expected.exists()
    assert list(elsewhere.iterdir()) == []


def test_an_absolute_store_path_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "abs.db"
    config = tmp_path / "conf" / "creatorkit.toml"
    config.parent.mkdir()
    config.write_text(f'[creatorkit]\nstore = "sqlite:///{target}"\n', encoding="utf-8")
    with Creatorkit.open(config):
        pass
    assert target.exists()
