"""Catalog files (CSV, a JSON array, JSON Lines) read in batches of rows, each row with the line it starts on.

A CSV file is read in blocks of whole lines, each parsed by Arrow's multithreaded CSV reader into string
columns (:mod:`._catalog_checks` converts them). A CSV row is one line (a value never holds a line break), so the
line of each row is known without a second parser: the block's first line plus its position, corrected only in
a block that holds blank lines or rows of the wrong width. The header is checked before any row is read: a
missing required column, an unknown one, or one given twice refuses the whole file, as does text that is not
UTF-8 (named by line, column and byte offset). JSON files hold objects with the same fields; their audience may
be nested (``{"audience": {"age": {"18-24": 0.3}}}``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..entities import AudienceDimension, ImportFormat, RejectedRow
from ..errors import Problem, ValidationError
from ._catalog_checks import OPTIONAL_FIELDS, REQUIRED_FIELDS, Ints, Rejections

__all__ = ["BLOCK_BYTES", "CatalogFile", "RawBatch"]

#: Bytes of a CSV file parsed at a time: some 50,000 rows of a typical export.
BLOCK_BYTES = 16 << 20
#: Objects of a JSON file converted at a time.
_JSON_BATCH = 50_000
#: What Arrow parses on one thread at a time, within a block.
_ARROW_BLOCK = 1 << 20
_BOM = b"\xef\xbb\xbf"
#: Columns Arrow parses as numbers on the first try of a block (a cell that is no number makes it read all as text).
_NUMBERS = {
    "followers": pa.int64(),
    "engagement_rate": pa.float64(),
    "credibility": pa.float64(),
}
_AUDIENCE = "audience."


@attrs.frozen(eq=False)
class RawBatch:
    """One batch of a file: its rows as string columns, the line each starts on and its place among the rows."""

    table: pa.Table
    lines: Ints
    rows: Ints  # the 1-based index of each row among the file's data rows
    consumed: int  # bytes of the file this batch took, for a progress bar


def _bucket(name: str) -> tuple[AudienceDimension, str] | None:
    """``audience.age.18-24`` as its (dimension, key); None when the dimension is not one creatorkit knows."""
    dimension, _, key = name[len(_AUDIENCE) :].partition(".")
    try:
        return (AudienceDimension(dimension), key) if key else None
    except ValueError:
        return None


def _not_utf8(data: bytes, offset: int, first_line: int, what: str) -> ValidationError | None:
    """The error naming the first byte of ``data`` that is not UTF-8 (``offset``: where ``data`` starts)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        shown = data[exc.start : exc.start + 2].hex(" ")
        message = (
            f"byte {offset + exc.start} (column {column}, bytes {shown}) is not UTF-8: the file must be UTF-8 "
            "(convert a GBK or other export first, e.g. iconv -f GBK -t UTF-8)"
        )
        return ValidationError([Problem(f"line {line}", message)], what)
    return None


class CatalogFile:
    """A catalog file opened for import: its format, header (for CSV) and audience buckets, checked up front.

    :raises ValidationError: for a header that is wrong or not UTF-8, naming the line and column.
    """

    def __init__(self, path: str | os.PathLike[str], file_format: ImportFormat | str | None = None) -> None:
        self.path = Path(path)
        self.what = f"catalog file {self.path.name}"
        chosen = file_format or self.path.suffix.lstrip(".").lower()
        try:
            self.format = ImportFormat(chosen)
        except ValueError:
            formats = ", ".join(str(f) for f in ImportFormat)
            problem = Problem(
                "format", f"{chosen!r} is none of {formats}: give the format (the extension does not say)"
            )
            raise ValidationError([problem], self.what) from None
        self.size = self.path.stat().st_size
        self.digest = hashlib.sha256()
        self.columns: tuple[str, ...] = ()
        #: Data rows read so far (all of them once :meth:`batches` is done).
        self.rows = 0
        self.buckets: tuple[tuple[AudienceDimension, str], ...] = ()
        if self.format is ImportFormat.CSV:
            self._header_bytes, self.columns = self._read_header()
            self.buckets = tuple(b for name in self.columns if (b := _bucket(name)) is not None)

    # -- the header ------------------------------------------------------------------------------------------

    def _read_header(self) -> tuple[bytes, tuple[str, ...]]:
        with self.path.open("rb") as handle:
            raw = handle.readline()
        error = _not_utf8(raw, 0, 1, self.what)
        if error is not None:
            raise error
        text = raw.removeprefix(_BOM).decode("utf-8").rstrip("\r\n")
        names = tuple(next(csv.reader([text]), []))
        problems = _header_problems(names)
        if problems:
            raise ValidationError(problems, self.what)
        return raw, names

    # -- batches ---------------------------------------------------------------------------------------------

    def batches(self, rejections: Rejections) -> Iterator[RawBatch]:
        """The file's rows in batches; rows that cannot even be split into fields go straight to ``rejections``."""
        if self.format is ImportFormat.CSV:
            yield from self._csv_batches(rejections)
        else:
            yield from self._json_batches(rejections)

    def _csv_batches(self, rejections: Rejections) -> Iterator[RawBatch]:
        """The CSV file's blocks as batches, each block parsed while the one before it is checked and written.

        Arrow parses a block without the interpreter's lock (it waits only to start and to hand the table back),
        so a thread of its own parses block N + 1 while the caller works on block N: the parse costs the import
        almost no time of its own on a machine with a core to spare. Everything else (the line of each row, the
        rows rejected for their width, the digest) happens here, in the file's order.
        """
        with self.path.open("rb") as handle, ThreadPoolExecutor(1, thread_name_prefix="creatorkit-csv") as parser:
            header = handle.readline()
            self.digest.update(header)
            offset, line, row = len(header), 2, 1
            pending: tuple[bytes, int, int, Future[tuple[pa.Table, list[tuple[str, int]]]]] | None = None
            for chunk in self._chunks(handle):
                newlines = chunk.count(b"\n")
                parsed = parser.submit(self._parse_csv, chunk, offset, line)
                if pending is not None:
                    batch, row = self._batch(*pending, row, rejections)
                    yield batch
                pending = (chunk, line, newlines, parsed)
                offset += len(chunk)
                line += newlines + (0 if chunk.endswith(b"\n") else 1)
            if pending is not None:
                yield self._batch(*pending, row, rejections)[0]

    def _chunks(self, handle: BinaryIO) -> Iterator[bytes]:
        """The rest of the file in blocks of whole lines (the last may end without a line break), digested."""
        carry = b""
        while True:
            block = handle.read(BLOCK_BYTES)
            self.digest.update(block)
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            if cut == 0 and block:
                carry = data
                continue
            chunk, carry = data[:cut], data[cut:]
            if chunk:
                yield chunk
            if not block:
                return

    def _batch(
        self,
        chunk: bytes,
        line: int,
        newlines: int,
        parsed: Future[tuple[pa.Table, list[tuple[str, int]]]],
        row: int,
        rejections: Rejections,
    ) -> tuple[RawBatch, int]:
        """A parsed block as a batch, and the index the next block's first row has."""
        table, narrow = parsed.result()
        lines, rows = self._lines(chunk, line, newlines, table.num_rows, narrow, row, rejections)
        following = row + table.num_rows + len(narrow)
        self.rows = following - 1
        return RawBatch(table, lines, rows, len(chunk)), following

    def _parse_csv(self, chunk: bytes, offset: int, line: int) -> tuple[pa.Table, list[tuple[str, int]]]:
        """One block of whole lines as a table, and the rows of the wrong width (their text and width).

        Arrow parses the block on every core unless it is given a handler for rows of the wrong width, which makes
        it serial: so the block is parsed without one, and again with one only when such a row stops the first try.
        """
        narrow: list[tuple[str, int]] = []

        def wrong_width(invalid: Any) -> str:
            narrow.append((invalid.text.rstrip("\r"), invalid.actual_columns))
            return "skip"

        try:
            try:
                table = self._read_block(chunk, None, typed=True)
            except pa.ArrowInvalid as exc:
                if "CSV conversion error" in str(exc):  # a number that is none: checked as text, row by row
                    table = self._read_block(chunk, None, typed=False)
                elif "Expected" in str(exc) and "columns" in str(exc):
                    table = self._read_block(chunk, wrong_width, typed=False)
                else:
                    raise
        except pa.ArrowInvalid as exc:
            last = line + chunk.count(b"\n")
            raise _not_utf8(chunk, offset, line, self.what) or ValidationError(
                [Problem(f"lines {line}-{last}", f"cannot be read as CSV: {exc}")], self.what
            ) from None
        return table, narrow

    def _read_block(self, chunk: bytes, wrong_width: Callable[[Any], str] | None, *, typed: bool) -> pa.Table:
        """``chunk`` as a table: its numbers parsed as numbers (``typed``: the first try) or every cell as text."""
        types = dict.fromkeys(self.columns, pa.string())
        if typed:
            types.update({name: kind for name, kind in _NUMBERS.items() if name in types})
            types.update({name: pa.float64() for name in self.columns if name.startswith(_AUDIENCE)})
        return pacsv.read_csv(
            io.BytesIO(chunk),
            read_options=pacsv.ReadOptions(column_names=list(self.columns), block_size=_ARROW_BLOCK),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, invalid_row_handler=wrong_width),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )

    def _lines(
        self,
        chunk: bytes,
        line: int,
        newlines: int,
        rows: int,
        narrow: list[tuple[str, int]],
        first_row: int,
        rejections: Rejections,
    ) -> tuple[Ints, Ints]:
        """The line and row index of each parsed row; the rows of the wrong width are reported with theirs.

        Arrow skips blank lines and ends a line at a lone carriage return too: when it parsed as many rows as the
        block has lines, none of the wrong width, and every carriage return is one of a CRLF's (as many as line
        breaks, or none), each line is one row and the lines are counted, not split.
        """
        lines = newlines + (0 if chunk.endswith(b"\n") else 1)
        if not narrow and rows == lines and (b"\r" not in chunk or chunk.count(b"\r") == newlines):
            return np.arange(line, line + rows, dtype=np.int64), np.arange(first_row, first_row + rows, dtype=np.int64)
        widths = dict(narrow)
        parsed: list[int] = []
        numbers: list[int] = []
        rejected: list[RejectedRow] = []
        for index, text in enumerate(chunk.decode("utf-8").split("\n")):
            text = text.rstrip("\r")
            if not text:
                continue  # a blank line holds no row
            number = first_row + len(parsed) + len(rejected)
            if text in widths:
                width = f"has {widths[text]} fields, the header has {len(self.columns)}"
                rejected.append(RejectedRow(line=line + index, row=number, reason=width, value=text[:120]))
            else:
                parsed.append(line + index)
                numbers.append(number)
        rejections.add_rows(rejected, len(rejected))
        if len(parsed) != rows:  # pragma: no cover - a row Arrow and this split count differently
            raise ValidationError([Problem(f"line {line}", "rows could not be told apart from lines")], self.what)
        return np.asarray(parsed, dtype=np.int64), np.asarray(numbers, dtype=np.int64)

    def _json_batches(self, rejections: Rejections) -> Iterator[RawBatch]:
        data = self.path.read_bytes()
        self.digest.update(data)
        error = _not_utf8(data, 0, 1, self.what)
        if error is not None:
            raise error
        text = data.decode("utf-8").removeprefix("\ufeff")
        objects = _json_lines(text, self.what) if self.format is ImportFormat.JSONL else _json_array(text, self.what)
        pending: list[tuple[int, Any]] = []
        row = 1
        for line, value in objects:
            pending.append((line, value))
            if len(pending) == _JSON_BATCH:
                yield self._json_batch(pending, row, rejections, 0)
                row += len(pending)
                pending = []
        if pending or row == 1:
            yield self._json_batch(pending, row, rejections, len(data))

    def _json_batch(
        self, objects: list[tuple[int, Any]], first_row: int, rejections: Rejections, consumed: int
    ) -> RawBatch:
        """JSON objects as string columns, like a CSV block; an object with unknown or misshapen keys is rejected."""
        flat: list[dict[str, str | None]] = []
        lines: list[int] = []
        numbers: list[int] = []
        rejected: list[RejectedRow] = []
        self.rows += len(objects)
        for index, (line, value) in enumerate(objects):
            cells, problem = _flatten(value)
            if problem is not None:
                field, reason = problem
                rejected.append(RejectedRow(line=line, row=first_row + index, reason=reason, field=field))
                continue
            flat.append(cells)
            lines.append(line)
            numbers.append(first_row + index)
        rejections.add_rows(rejected, len(rejected))
        names = list(dict.fromkeys(name for cells in flat for name in cells))
        buckets = tuple(b for name in names if name.startswith(_AUDIENCE) and (b := _bucket(name)) is not None)
        self.buckets = tuple(dict.fromkeys((*self.buckets, *buckets)))
        columns = {name: pa.array([cells.get(name) for cells in flat], pa.string()) for name in names}
        table = pa.table(columns) if columns else pa.table({"creator_id": pa.array([], pa.string())})
        return RawBatch(table, np.asarray(lines, dtype=np.int64), np.asarray(numbers, dtype=np.int64), consumed)


def _header_problems(names: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    known = {*REQUIRED_FIELDS, *OPTIONAL_FIELDS}
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        where = f"line 1, column {position} ({name!r})"
        if name in seen:
            problems.append(Problem(where, f"repeats column {seen[name]}"))
        seen.setdefault(name, position)
        if name.startswith(_AUDIENCE):
            if _bucket(name) is None:
                dimensions = ", ".join(str(d) for d in AudienceDimension)
                problems.append(Problem(where, f"is not audience.<dimension>.<key> with a dimension of {dimensions}"))
        elif name not in known:
            problems.append(Problem(where, "is not a catalog column (see docs/analytics.md, Local catalog)"))
    problems.extend(
        Problem("line 1", f"has no {name!r} column, which is required") for name in REQUIRED_FIELDS if name not in seen
    )
    if "price" in seen and "currency" not in seen:
        problems.append(Problem("line 1", "has a 'price' column but no 'currency' column to say what it is in"))
    return problems


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str | int | float):
        return str(value) if not isinstance(value, float) else repr(value)
    raise TypeError


def _flatten(value: Any) -> tuple[dict[str, str | None], tuple[str | None, str] | None]:
    """A JSON object as the CSV row it stands for: nested audience flattened, lists and objects as JSON text."""
    if isinstance(value, _Unreadable):
        return {}, (None, f"is not JSON: {value.reason}")
    if not isinstance(value, dict):
        return {}, (None, f"is a JSON {_json_type(value)}, not an object")
    known = {*REQUIRED_FIELDS, *OPTIONAL_FIELDS}
    cells: dict[str, str | None] = {}
    for key, item in value.items():
        if key == "audience" and isinstance(item, dict):
            for dimension, shares in item.items():
                if not isinstance(shares, dict):
                    return {}, (f"audience.{dimension}", "is not an object of shares by key")
                for bucket, share in shares.items():
                    cells[f"audience.{dimension}.{bucket}"] = None if share is None else str(share)
            continue
        if key in ("brand_results", "recent_captions") and isinstance(item, dict | list):
            cells[key] = json.dumps(item, ensure_ascii=False) if item else None
            continue
        if key == "categories" and isinstance(item, list) and all(isinstance(c, str) for c in item):
            cells[key] = "|".join(item) or None
            continue
        if key not in known and not (key.startswith(_AUDIENCE) and _bucket(key) is not None):
            return {}, (key, "is not a catalog field (see docs/analytics.md, Local catalog)")
        try:
            cells[key] = _cell(item)
        except TypeError:
            return {}, (key, f"is a JSON {_json_type(item) if not isinstance(item, dict) else 'object'}, not a value")
    unknown = [name for name in cells if name.startswith(_AUDIENCE) and _bucket(name) is None]
    if unknown:
        return {}, (unknown[0], "is not audience.<dimension>.<key> with a dimension creatorkit knows")
    return cells, None


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")


def _json_lines(text: str, what: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Unreadable(exc.msg)


class _Unreadable:
    """A JSON Lines line that is no JSON: rejected as a row, as a CSV row of the wrong width is."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_array(text: str, what: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    position, line = _skip(text, 0), 1
    if position >= len(text) or text[position] != "[":
        raise ValidationError([Problem("line 1", "a .json catalog is one JSON array of objects")], what)
    position = _skip(text, position + 1)
    while position < len(text) and text[position] != "]":
        line = 1 + text.count("\n", 0, position)
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValidationError([Problem(f"line {exc.lineno}", f"is not JSON: {exc.msg}")], what) from None
        yield line, value
        position = _skip(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip(text, position + 1)
    if position >= len(text):
        raise ValidationError([Problem(f"line {line}", "the JSON array is not closed")], what)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


Progress = Callable[[int], None]
