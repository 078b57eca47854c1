"""``kit.catalog``: the local catalog — creators a workspace imported from files, kept in the store, ranked column-wise.

An import reads its file in batches (:class:`~creatorkit.analytics._catalog_file.CatalogFile`), checks and
converts each batch column by column, and writes the good rows with one ``executemany`` per batch, all in one
transaction with one audit event (``catalog.imported``, with the counts and the file's SHA-256). A creator is
keyed by (workspace, platform, creator id): importing it again replaces its row. Unless ``skip_bad_rows``, one
rejected row writes nothing: the file is still read to the end, so that the report names every fault (the
first 100, and how many), and the transaction is rolled back. A wrong header or encoding refuses the file before
any row. :meth:`CatalogService.load` reads the workspace's rows back as a
:class:`~creatorkit.analytics.Catalog`, ready to rank.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._service import Service
from ..analytics import Catalog, CatalogColumns
from ..analytics._catalog_checks import CatalogBatch, Creators, Rejections, category_bits, check_batch
from ..analytics._catalog_file import CatalogFile
from ..entities import Actor, AudienceDimension, CatalogImport, Denominator, ImportFormat
from ..errors import PermissionDenied
from ..parties._authorizations import workspace_of
from ..store._catalog import AUDIENCE_PAIR, decode_audience, encode_audience

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["CatalogService", "Progress"]

#: Told the bytes of the file each batch took, after the batch: for a progress bar as long as the file.
Progress = Callable[[int], None]


class _Refused(Exception):
    """Rolls an import with rejected rows back, carrying its report out of the transaction."""

    def __init__(self, report: CatalogImport) -> None:
        self.report = report


def _workspace(view: View, actor: Actor) -> str:
    workspace = workspace_of(view, actor)
    if workspace is None:
        raise PermissionDenied(str(actor), "import_catalog", "a catalog belongs to a brand or an agency")
    return workspace


def _nullable(values: np.ndarray[Any, Any]) -> list[float | None]:
    if not np.isnan(values).any():
        return values.tolist()  # type: ignore[no-any-return]
    return [None if value != value else value for value in values.tolist()]  # NaN is not equal to itself


def _rows(batch: CatalogBatch, codes: Sequence[int], stamp: tuple[Any, Any, Any]) -> zip[tuple[Any, ...]]:
    """A batch as the tuples the store writes: its workspace, the catalog columns in order, import id and time.

    ``zip`` builds each tuple in C; the three values every row shares come from ``repeat``.
    """
    workspace, import_id, imported_at = stamp
    prices = batch.price_minor.tolist()
    priced = bool(batch.price_minor.min(initial=0) >= 0)  # every row has a price, the usual export
    return zip(
        repeat(workspace, len(batch)),
        batch.platform,
        batch.creator_id,
        batch.followers.tolist(),
        batch.engagement_rate.tolist(),
        batch.engagement_denominator,
        prices if priced else [None if price < 0 else price for price in prices],
        batch.currency if priced else [None if p < 0 else code for p, code in zip(prices, batch.currency, strict=True)],
        batch.categories,
        batch.country,
        batch.language,
        _nullable(batch.credibility),
        _nullable(batch.available_from),
        _nullable(batch.available_until),
        encode_audience(batch.audience, codes),
        batch.brand_results,
        batch.recent_captions,
        repeat(import_id, len(batch)),
        repeat(imported_at, len(batch)),
        strict=True,
    )


class CatalogService(Service):
    """``kit.catalog``: import creators from files into the workspace's catalog, and load it for ranking."""

    _drives_payments = False

    def import_file(
        self,
        actor: Actor,
        path: str | Path,
        *,
        format: ImportFormat | str | None = None,
        skip_bad_rows: bool = False,
        progress: Progress | None = None,
    ) -> CatalogImport:
        """Import the creators of ``path`` (CSV, JSON array or JSON Lines; ``format`` defaults to the extension).

        A brand imports into its own catalog, an agency or its managers into the agency's. Returns the report:
        with rejected rows and without ``skip_bad_rows`` nothing was written.

        :raises ValidationError: for a wrong header, a file that is not UTF-8 or not JSON, naming line and column.
        """
        file = CatalogFile(path, format)
        import_id = f"catimp_{secrets.token_hex(8)}"
        try:
            return self._write(
                actor, "import_catalog", lambda change: self._import(change, file, import_id, skip_bad_rows, progress)
            )
        except _Refused as refused:
            return refused.report

    def _import(
        self, change: Change, file: CatalogFile, import_id: str, skip_bad_rows: bool, progress: Progress | None
    ) -> CatalogImport:
        workspace = _workspace(change, change.actor)
        tx = change.catalog
        tx.lock_catalog(workspace)  # imports into one workspace take turns: each counts only the rows it created
        before = tx.catalog_size(workspace)
        rejections, seen = Rejections(), Creators()
        for raw in file.batches(rejections):
            batch = check_batch(raw.table, raw.lines, raw.rows, file.buckets, rejections, seen)
            if len(batch) and (skip_bad_rows or not rejections.rows):
                codes = tx.add_catalog_buckets(workspace, [(str(d), k) for d, k in file.buckets])
                batch_codes = [codes[(str(d), k)] for d, k in file.buckets]
                tx.write_catalog_rows(_rows(batch, batch_codes, (workspace, import_id, tx.catalog_time(change.now))))
            if progress is not None:
                progress(raw.consumed)
        rows = file.rows
        written = rows - rejections.rows if skip_bad_rows or not rejections.rows else 0
        created = tx.catalog_size(workspace) - before if written else 0
        report = CatalogImport(
            id=import_id,
            workspace_id=workspace,
            file=file.path.name,
            sha256=file.digest.hexdigest(),
            format=file.format,
            rows=rows,
            created=created,
            updated=written - created,
            rejected_rows=rejections.rows,
            problems=rejections.problems,
            rejected=tuple(rejections.kept),
            skip_bad_rows=skip_bad_rows,
            imported_at=change.now,
            written=written,
        )
        if not written and rejections.rows:
            raise _Refused(report)
        counts = {k: getattr(report, k) for k in ("rows", "created", "updated", "rejected_rows", "problems")}
        payload = {"file": report.file, "sha256": report.sha256, "format": str(report.format), **counts}
        change.audit("catalog.imported", "catalog_import", import_id, payload, workspace=workspace)
        return report

    def size(self, actor: Actor) -> int:
        """How many creators the actor's workspace catalog holds."""
        return self._read(actor, lambda view: view.catalog.catalog_size(_workspace(view, actor)), "read_catalog")

    def load(self, actor: Actor) -> Catalog:
        """The actor's workspace catalog as columns, ranked by :meth:`Catalog.rank`; rows by platform and id."""
        return self._read(actor, lambda view: _load(view, _workspace(view, actor)), "read_catalog")


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """A text column as codes into its vocabulary (−1 for null), the vocabulary in order of first use."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return np.asarray(indices, dtype=np.int64), tuple(encoded.dictionary.to_pylist())


#: The Arrow type of each catalog column as read (the audience, binary, is decoded apart).
_READ_TYPES = (
    *(pa.string(), pa.string(), pa.int64(), pa.float64(), pa.string(), pa.int64(), pa.string(), pa.string()),
    *(pa.string(), pa.string(), pa.float64(), pa.float64(), pa.float64(), None, pa.string(), pa.string()),
)


def _read_columns(view: View, workspace: str) -> tuple[list[pa.ChunkedArray], Any, Any]:
    """The workspace's rows as one Arrow column per field, and its audience pairs with the row of each.

    Each page of rows becomes arrays at once, so that no more than a page is ever held as Python objects.
    """
    chunks: list[list[pa.Array]] = [[] for _ in _READ_TYPES]
    pair_rows, pairs, offset = [], [], 0
    for page in view.catalog.catalog_pages(workspace):
        columns = list(zip(*page, strict=True))
        for index, kind in enumerate(_READ_TYPES):
            if kind is not None:
                chunks[index].append(pa.array(columns[index], kind))
        rows, found = decode_audience(columns[13])
        pair_rows.append(rows + offset)
        pairs.append(found)
        offset += len(page)
    arrays = [pa.chunked_array(c, kind) if kind else None for c, kind in zip(chunks, _READ_TYPES, strict=True)]
    rows = np.concatenate(pair_rows or [np.empty(0, np.int64)])
    return arrays, rows, np.concatenate(pairs or [np.empty(0, dtype=AUDIENCE_PAIR)])


def _numbers(column: pa.ChunkedArray, kind: Any, missing: float) -> Any:
    return np.asarray(pc.fill_null(column, missing).to_numpy(zero_copy_only=False), dtype=kind)


def _given_texts(column: pa.ChunkedArray) -> list[tuple[int, str]]:
    """The rows of a mostly empty text column that hold something, with what they hold."""
    rows = np.flatnonzero(np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=np.bool_))
    return list(zip(rows.tolist(), pc.take(column, pa.array(rows)).to_pylist(), strict=True))


def _load(view: View, workspace: str) -> Catalog:
    """The workspace's catalog. Why this is long: one column per figure, each built here from the columns read."""
    vocabulary = {
        code: (AudienceDimension(d), key) for (d, key), code in view.catalog.catalog_buckets(workspace).items()
    }
    arrays, pair_rows, pairs = _read_columns(view, workspace)
    size = len(arrays[1])
    platform, platforms = _codes(arrays[0])
    denominator, denominators = _codes(arrays[4])
    currency, currencies = _codes(arrays[6])
    country, countries = _codes(arrays[8])
    language, languages = _codes(arrays[9])
    bits, _ = category_bits(arrays[7], size)
    audience, buckets, known = _audience(pair_rows, pairs, vocabulary, size)
    captions: list[tuple[str, ...]] = [()] * size
    for row, text in _given_texts(arrays[15]):
        captions[row] = tuple(_json(text))
    return Catalog(
        CatalogColumns(
            creator_ids=arrays[1].to_pylist(),
            platform=platform.astype(np.int8),
            platforms=platforms,
            followers=_numbers(arrays[2], np.int64, 0),
            engagement_rate=_numbers(arrays[3], np.float64, np.nan),
            denominator=denominator.astype(np.int8),
            denominators=tuple(Denominator(d) for d in denominators),
            price_minor=_numbers(arrays[5], np.int64, -1),
            currency=currency.astype(np.int16),
            currencies=currencies,
            audience=audience,
            buckets=buckets,
            categories=bits,
            country=country.astype(np.int16),
            countries=countries,
            language=language.astype(np.int16),
            languages=languages,
            credibility=_numbers(arrays[10], np.float64, np.nan),
            available_from=_numbers(arrays[11], np.float64, np.nan),
            available_until=_numbers(arrays[12], np.float64, np.nan),
            brand_results=_brand_results(_given_texts(arrays[14])),
            audience_known=known,
            captions=captions,
        )
    )


def _audience(
    rows: Any, pairs: Any, vocabulary: dict[int, tuple[AudienceDimension, str]], size: int
) -> tuple[np.ndarray[Any, Any], tuple[tuple[AudienceDimension, str], ...], dict[AudienceDimension, Any]]:
    """The stored audiences as the catalog's bucket × row shares, its buckets sorted, and who has which dimension."""
    used = sorted({int(code) for code in np.unique(pairs["code"]).tolist()}, key=lambda code: vocabulary[code])
    buckets = tuple(vocabulary[code] for code in used)
    place = np.zeros(max(vocabulary, default=0) + 1, dtype=np.int64)
    place[used] = np.arange(len(used))
    shares = np.zeros((len(used), size), dtype=np.float32)
    positions = place[pairs["code"].astype(np.int64)]
    shares[positions, rows] = pairs["share"]
    known: dict[AudienceDimension, Any] = {}
    for dimension in dict.fromkeys(d for d, _ in buckets):
        inside = np.asarray([buckets[p][0] is dimension for p in range(len(buckets))], dtype=np.bool_)
        known[dimension] = np.zeros(size, dtype=np.bool_)
        known[dimension][rows[inside[positions]]] = True
    return shares, buckets, known


def _json(text: str) -> Any:
    import orjson

    return orjson.loads(text)


def _brand_results(texts: list[tuple[int, str]]) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    by_brand: dict[str, tuple[list[int], list[float]]] = {}
    for row, text in texts:
        for brand, met in _json(text).items():
            rows, values = by_brand.setdefault(brand, ([], []))
            rows.append(row)
            values.append(float(met))
    return {b: (np.asarray(r, dtype=np.int64), np.asarray(v, dtype=np.float64)) for b, (r, v) in by_brand.items()}
