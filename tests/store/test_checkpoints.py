"""A SQLite file store copies its write-ahead log back into the database on a thread of its own."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import threading
import warnings
from pathlib import Path

import pytest

from creatorkit.errors import StoreError
from creatorkit.store import _sqlite as sqlite_store
from creatorkit.store import open_store
from creatorkit.store._sqlite import Checkpointer, SqliteStore


def _write(store: SqliteStore, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with store._write_transaction() as tx:
            tx.insert("note", f"n{i}", {"i": i})


def _file_store(path: Path, commits: int) -> SqliteStore:
    store = open_store(path)
    assert isinstance(store, SqliteStore)
    _write(store, commits)
    return store


def _in_database_file(path: Path) -> int:
    """Notes in the database file itself, ignoring the write-ahead log (what a checkpoint has copied)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM documents WHERE kind = 'note'").fetchone()[0])
    finally:
        conn.close()


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("creatorkit-checkpoint:")]


@pytest.fixture
def every_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_EVERY_COMMITS", 3)


@pytest.mark.usefixtures("every_three")
def test_commits_wake_the_checkpointer_which_copies_the_log(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = _file_store(path, commits=2)
    assert store._checkpointer is None  # not started before the first nudge
    _write(store, 1, start=2)
    checkpointer = store.checkpointer()
    assert checkpointer.wait_for_run(0, timeout=30)
    assert checkpointer.last_error is None
    assert _in_database_file(path) == 3
    store.close()


@pytest.mark.usefixtures("every_three")
def test_close_ends_the_thread(tmp_path: Path) -> None:
    store = _file_store(tmp_path / "s.db", commits=3)
    checkpointer = store.checkpointer()
    store.close()
    assert not checkpointer.alive


@pytest.mark.usefixtures("every_three")
def test_a_store_dropped_without_close_ends_its_thread(tmp_path: Path) -> None:
    store = _file_store(tmp_path / "s.db", commits=3)
    checkpointer = store.checkpointer()
    assert checkpointer.alive
    del store
    gc.collect()
    assert not checkpointer.alive


@pytest.mark.usefixtures("every_three")
def test_an_in_memory_store_has_no_checkpointer() -> None:
    before = set(_checkpoint_threads())
    store = open_store(":memory:")
    assert isinstance(store, SqliteStore)
    _write(store, 9)
    assert store._checkpointer is None
    assert set(_checkpoint_threads()) == before
    store.close()


def test_reads_do_not_count_as_commits_to_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_EVERY_COMMITS", 2)
    store = _file_store(tmp_path / "s.db", commits=1)
    for _ in range(5):
        with store.read() as tx:
            tx.find("note")
    assert store._checkpointer is None
    store.close()


def test_a_checkpointer_that_cannot_open_its_file_says_so_and_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="creatorkit.store._sqlite")
    checkpointer = Checkpointer(str(tmp_path / "missing" / "s.db"), busy_timeout_ms=100)
    checkpointer.nudge()
    assert checkpointer.wait_for_run(0, timeout=30)  # returns once the thread has ended
    checkpointer.stop()
    assert not checkpointer.alive
    assert "background checkpoints of" in caplog.text and "are off" in caplog.text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("every_three")
def test_a_forked_child_starts_its_own_checkpointer(tmp_path: Path) -> None:
    store = _file_store(tmp_path / "s.db", commits=3)
    parent = store.checkpointer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+ warns about forking with threads running
        pid = os.fork()
    if pid == 0:  # the child: the parent's thread did not come along
        ok = False
        try:
            child = store.checkpointer()
            ok = child is not parent and child.alive and child.pid == os.getpid()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.checkpointer() is parent
    store.close()


@pytest.mark.usefixtures("every_three")
def test_a_checkpointer_that_cannot_start_never_fails_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_threads(*args: object, **kwargs: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(sqlite_store, "Checkpointer", no_threads)
    store = _file_store(tmp_path / "s.db", commits=3)  # the third commit tries to start it
    with store.read() as tx:
        assert len(tx.find("note")) == 3
    assert "cannot start the background checkpointer" in caplog.text
    store.close()


@pytest.mark.usefixtures("every_three")
def test_a_commit_racing_close_starts_no_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _file_store(tmp_path / "s.db", commits=3)
    running = store.checkpointer()
    conn = store._acquire()
    stop = Checkpointer.stop
    started: list[Checkpointer | None] = []

    def stop_while_a_commit_lands(self: Checkpointer) -> None:
        store._committed(conn, True)  # three more commits land while close() is joining the thread
        store._committed(conn, True)
        store._committed(conn, True)
        started.append(store._checkpointer)
        stop(self)

    monkeypatch.setattr(Checkpointer, "stop", stop_while_a_commit_lands)
    store.close()
    assert started == [None]  # no new checkpointer during close
    assert not running.alive
    assert store._checkpointer is None


@pytest.mark.usefixtures("every_three")
def test_a_relative_path_is_checkpointed_where_the_store_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = _file_store(Path("s.db"), commits=2)
    monkeypatch.chdir(tmp_path.parent)  # the app changes directory; its store stays where it was opened
    _write(store, 1, start=2)
    checkpointer = store.checkpointer()
    assert checkpointer.wait_for_run(0, timeout=30)
    assert checkpointer.last_error is None
    assert _in_database_file(tmp_path / "s.db") == 3
    assert not (tmp_path.parent / "s.db").exists()
    store.close()


def test_an_in_memory_store_has_nothing_to_checkpoint() -> None:
    store = open_store(":memory:")
    assert isinstance(store, SqliteStore)
    with pytest.raises(StoreError, match="in-memory"):
        store.checkpointer()
    store.close()
