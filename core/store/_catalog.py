"""A transaction's local-catalog operations: creators written in bulk, read back as columns (migration 8).

Rows go in with one ``executemany`` per batch of tuples, each an upsert on (workspace, platform, creator id);
they come out in pages, each turned into arrays at once, so that a million rows are never a million tuples held
together. An audience is stored as pairs of (bucket code, share) in one binary value per row
(:func:`encode_audience`), a code standing for a (dimension, key) of the workspace's ``catalog_buckets``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ._migrations import CATALOG_BUCKETS_TABLE, CATALOG_CREATORS_TABLE
from ._transaction_base import TransactionBase

__all__ = ["AUDIENCE_PAIR", "CATALOG_COLUMNS", "CatalogOperations", "decode_audience", "encode_audience"]

#: One audience figure as stored: the bucket's code and its share.
AUDIENCE_PAIR = np.dtype([("code", "<u2"), ("share", "<f4")])
#: The columns of a catalog row, in the order the write and the read use.
CATALOG_COLUMNS = (
    "platform, creator_id, followers, engagement_rate, engagement_denominator, price_minor, price_currency,"
    " categories, country, language, credibility, available_from, available_until, audience, brand_results,"
    " recent_captions"
)
_WRITTEN = (*[name.strip() for name in CATALOG_COLUMNS.split(",")], "import_id", "imported_at")
_KEY = ("platform", "creator_id")
#: Rows read from the database at a time when loading a catalog.
_PAGE = 50_000


def encode_audience(shares: npt.NDArray[np.float32], codes: Sequence[int]) -> list[bytes | None]:
    """Each row's given shares (``shares`` is bucket × row, NaN where not given) as its stored value."""
    if not len(codes) or not shares.shape[1]:
        return [None] * shares.shape[1]
    by_row = shares.T  # row-major pairs: each row's figures together
    given = ~np.isnan(by_row)
    pairs = np.empty(by_row.shape, dtype=AUDIENCE_PAIR)
    pairs["code"] = np.asarray(codes, dtype=np.uint16)[None, :]
    pairs["share"] = by_row
    data = pairs[given].tobytes()
    ends = (np.cumsum(given.sum(axis=1)) * AUDIENCE_PAIR.itemsize).tolist()
    starts = [0, *ends[:-1]]
    return [data[start:end] if end > start else None for start, end in zip(starts, ends, strict=True)]


def decode_audience(values: Sequence[bytes | None]) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
    """The stored values of rows back as (row of each pair, the pairs)."""
    sizes = np.asarray([0 if value is None else len(value) for value in values], dtype=np.int64)
    pairs = np.frombuffer(b"".join(value for value in values if value), dtype=AUDIENCE_PAIR)
    rows = np.repeat(np.arange(len(values), dtype=np.int64), sizes // AUDIENCE_PAIR.itemsize)
    return rows, pairs


class CatalogOperations(TransactionBase):
    """The local-catalog part of :class:`~creatorkit.store.Transaction` (``kit.catalog`` alone uses it)."""

    __slots__ = ()

    def _start_bulk_write(self) -> None:
        """Called before each batch of catalog rows: a dialect may set its connection up for bulk writes."""
        return None

    def lock_catalog(self, workspace: str) -> None:
        """Lock the workspace's catalog until the transaction ends, before an import reads what it holds: a dialect
        whose writers run at once makes them take turns here (SQLite's write transactions never overlap)."""
        return None

    def catalog_buckets(self, workspace: str) -> dict[tuple[str, str], int]:
        """The workspace's audience buckets, (dimension, key) → code."""
        self._check(False)
        self._cur.execute(
            f"SELECT dimension, bucket, code FROM {CATALOG_BUCKETS_TABLE} WHERE workspace = {self._P}", (workspace,)
        )
        return {(row[0], row[1]): int(row[2]) for row in self._cur.fetchall()}

    def add_catalog_buckets(self, workspace: str, buckets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Give each of ``buckets`` not known yet the next code; every bucket's code.

        Two imports into one workspace would both read the same largest code and give it out twice: the workspace's
        catalog is locked first, until the transaction ends, so the second reads what the first wrote.
        """
        self._check(True)
        self.lock_catalog(workspace)
        known = self.catalog_buckets(workspace)
        new = [bucket for bucket in dict.fromkeys(buckets) if bucket not in known]
        if new:
            start = max(known.values(), default=-1) + 1
            rows = [(workspace, start + i, dimension, key) for i, (dimension, key) in enumerate(new)]
            p = self._P
            self._cur.executemany(
                f"INSERT INTO {CATALOG_BUCKETS_TABLE} (workspace, code, dimension, bucket) VALUES ({p}, {p}, {p}, {p})",
                rows,
            )
            known.update({bucket: start + i for i, bucket in enumerate(new)})
        return known

    def catalog_time(self, moment: datetime) -> Any:
        """``moment`` as a catalog row's ``imported_at`` parameter (each dialect stores times its own way)."""
        return self._encode_time(moment)

    def write_catalog_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert or update ``rows``: each its workspace, the :data:`CATALOG_COLUMNS`, its import id and time
        (:meth:`catalog_time`). A row already there (same workspace, platform and creator id) is replaced."""
        self._check(True)
        self._start_bulk_write()
        p = self._P
        names = ", ".join(("workspace", *_WRITTEN))
        updates = ", ".join(f"{name} = excluded.{name}" for name in _WRITTEN if name not in _KEY)
        self._cur.executemany(
            f"INSERT INTO {CATALOG_CREATORS_TABLE} ({names}) VALUES ({', '.join([p] * (len(_WRITTEN) + 1))})"
            f" ON CONFLICT (workspace, platform, creator_id) DO UPDATE SET {updates}",
            rows,
        )

    def catalog_size(self, workspace: str) -> int:
        """How many creators the workspace's catalog holds."""
        self._check(False)
        self._cur.execute(f"SELECT COUNT(*) FROM {CATALOG_CREATORS_TABLE} WHERE workspace = {self._P}", (workspace,))
        return int(self._cur.fetchone()[0])

    def catalog_pages(self, workspace: str) -> Iterator[list[tuple[Any, ...]]]:
        """The workspace's rows in :data:`CATALOG_COLUMNS` order, by platform and creator id, a page at a time."""
        self._check(False)
        self._cur.execute(
            f"SELECT {CATALOG_COLUMNS} FROM {CATALOG_CREATORS_TABLE} WHERE workspace = {self._P}"
            " ORDER BY platform, creator_id",
            (workspace,),
        )
        while page := self._cur.fetchmany(_PAGE):
            yield page
