"""Text no store can keep (U+0000, a lone surrogate) is refused alike by SQLite and PostgreSQL, naming its field.

PostgreSQL cannot hold U+0000 in text or JSONB, and no UTF-8 encoder writes a lone surrogate; SQLite would keep
both, so a workflow tested on SQLite would fail in production on PostgreSQL. Both refuse with a ValidationError
whose problem names the field path, and the refused write leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

import pytest

from creatorkit.errors import ValidationError
from creatorkit.store import Store

NUL = "a\x00b"
SURROGATE = "caf\udce9"


def _refusal(store: Store, write: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        write(tx)
    return caught.value


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("doc", "path"),
    [
        (lambda bad: {"title": bad}, "title"),
        (lambda bad: {"terms": {"notes": ["ok", bad]}}, "terms.notes[1]"),
        (lambda bad: {"labels": {bad: 1}}, "labels.{key}"),
    ],
    ids=["top", "nested", "key"],
)
def test_an_insert_with_unstorable_text_is_refused_naming_the_field(
    store: Store, bad: str, doc: Any, path: str
) -> None:
    error = _refusal(store, lambda tx: tx.insert("note", "n1", doc(bad)))
    expected = path.replace("{key}", bad)
    assert [problem.path for problem in error.problems] == [expected]
    assert "U+0000" in error.problems[0].message or "surrogate" in error.problems[0].message
    assert "note" in str(error) and "n1" in str(error)
    with store.read() as tx:
        assert tx.get("note", "n1") is None


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_an_update_with_unstorable_text_is_refused_and_the_document_keeps_its_version(store: Store, bad: str) -> None:
    with store._write_transaction() as tx:
        tx.insert("note", "n1", {"title": "fine"})
    # Twice: once with the document read from the database, once served from the store's cache of known ones,
    # whose update is deferred to the commit; both are refused at the call.
    for _ in range(2):
        error = _refusal(store, lambda tx: tx.update("note", "n1", {"title": bad}, expected_version=1))
        assert [problem.path for problem in error.problems] == ["title"]
    with store.read() as tx:
        record = tx.require("note", "n1")
    assert (record.version, record.doc) == (1, {"title": "fine"})


def test_an_update_deferred_in_a_transaction_is_refused_at_the_call(store: Store) -> None:
    with store._write_transaction() as tx:
        tx.insert("note", "n1", {"title": "fine"})
    with pytest.raises(ValidationError) as caught, store._write_transaction() as tx:
        first = tx.update("note", "n1", {"title": "better"}, expected_version=1)
        tx.update("note", "n1", {"title": NUL}, expected_version=first.version)
    assert [problem.path for problem in caught.value.problems] == ["title"]
    with store.read() as tx:
        assert tx.require("note", "n1").doc == {"title": "fine"}


@pytest.mark.parametrize("column", ["id", "workspace", "parent", "state"])
def test_a_column_with_unstorable_text_is_refused_naming_the_column(store: Store, column: str) -> None:
    columns = {"id": "n1", "workspace": None, "parent": None, "state": None, column: NUL}
    note_id = columns.pop("id")
    error = _refusal(store, lambda tx: tx.insert("note", note_id, {"title": "fine"}, **columns))
    assert [problem.path for problem in error.problems] == [column]


def test_a_backslash_before_u0000_is_text_like_any_other(store: Store) -> None:
    """The escape orjson writes for U+0000 also appears inside a string that holds a backslash and 'u0000'."""
    with store._write_transaction() as tx:
        tx.insert("note", "n1", {"title": "C:\\u0000\\dir"})
    with store.read() as tx:
        assert tx.require("note", "n1").doc == {"title": "C:\\u0000\\dir"}


def test_every_other_character_round_trips_on_both_stores(store: Store) -> None:
    text = "".join(chr(code) for code in range(1, 0x250)) + "\u2028\u2029\ufeff\U0001f525奇迹광고"
    with store._write_transaction() as tx:
        tx.insert("note", "n1", {"title": text, text: [text]})
    with store.read() as tx:
        assert tx.require("note", "n1").doc == {"title": text, text: [text]}
