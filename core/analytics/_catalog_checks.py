"""A catalog file's rows checked and converted column by column: text cells in, typed NumPy columns out.

Every column of a batch (some 50,000 rows) is one Arrow string array, empty cells null. Each field is converted
by one vectorised cast; only when a cast fails does a regular expression find which rows hold what cannot be
read, so that a clean file costs one cast per column. Each check makes a mask of the rows it rejects, with one
reason; a row any mask rejects is left out of the batch, and the report keeps the first
:data:`REPORTED_REJECTIONS` of the reasons in line order and counts the rest (a million bad rows stay a
bounded report).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..entities import AudienceDimension, Denominator, RejectedRow
from ..entities._imports import REPORTED_REJECTIONS
from ..money import currencies
from ._scoring import CATEGORY_BITS

__all__ = [
    "OPTIONAL_FIELDS",
    "REPORTED_REJECTIONS",
    "REQUIRED_FIELDS",
    "CatalogBatch",
    "Creators",
    "Rejections",
    "category_bits",
    "check_batch",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

REQUIRED_FIELDS = ("creator_id", "platform", "followers", "engagement_rate", "engagement_denominator")
OPTIONAL_FIELDS = (
    *("price", "currency", "categories", "country", "language", "credibility", "available_from", "available_until"),
    *("brand_results", "recent_captions"),
)
_PLATFORM = r"^[a-z][a-z0-9_]{0,39}$"
_COUNTRY = r"^[A-Z]{2}$"
_LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
_WHOLE = r"^[0-9]{1,18}$"
_NUMBER = r"^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
_DECIMAL = r"^[0-9]{1,15}([.][0-9]*)?$"
_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})$"
_SHOWN = 120  # characters of an offending value a rejection quotes
_TOLERANCE = 1e-6  # a dimension's shares may add up to 1 + this (rounding in an export)


class Rejections:
    """What a file's checks rejected: every row counted, the first :data:`REPORTED_REJECTIONS` reasons kept."""

    def __init__(self, limit: int = REPORTED_REJECTIONS) -> None:
        self.limit = limit
        self.rows = 0  # distinct rows rejected
        self.problems = 0  # reasons, a row with two bad fields has two
        self.kept: list[RejectedRow] = []
        # Rows of the batch being read that were rejected as a whole; kept in line order with its other faults.
        self._whole: list[RejectedRow] = []

    def add_rows(self, found: Sequence[RejectedRow], rows: int) -> None:
        """Rows rejected as a whole (too few fields, not an object), before their batch's checks report."""
        self.rows += rows
        self.problems += rows
        self._whole.extend(found[: self.limit - len(self.kept)])

    def add_batch(self, found: list[tuple[int, int, RejectedRow]], rows: int, problems: int) -> None:
        """A batch's faults, (line, order of the check, fault) each; its rows rejected as a whole join them."""
        self.rows += rows
        self.problems += problems
        found.extend((row.line, -1, row) for row in self._whole)
        self._whole = []
        found.sort(key=lambda each: (each[0], each[1]))
        self.kept.extend(row for _, _, row in found[: self.limit - len(self.kept)])


@attrs.frozen(kw_only=True, eq=False)
class CatalogBatch:
    """The good rows of one batch, as columns: NaN (or −1 for a price) where a figure is not given.

    ``audience`` is one row per bucket of the file (``buckets``), NaN where a cell is empty; the text columns
    keep None for an empty cell; ``brand_results`` and ``recent_captions`` are compact JSON text.
    """

    lines: Ints
    creator_id: list[str]
    platform: list[str]
    followers: Ints
    engagement_rate: Floats
    engagement_denominator: list[str]
    price_minor: Ints
    currency: list[str | None]
    categories: list[str | None]
    country: list[str | None]
    language: list[str | None]
    credibility: Floats
    available_from: Floats
    available_until: Floats
    audience: npt.NDArray[np.float32]
    brand_results: list[str | None]
    recent_captions: list[str | None]

    def __len__(self) -> int:
        return len(self.creator_id)


def _same(reason: str, row: int) -> str:
    return reason


class _Checker:
    """The masks of one batch's checks, and the reasons they give."""

    def __init__(self, table: pa.Table, lines: Ints, rows: Ints) -> None:
        self.table = table
        self.size = table.num_rows
        self.lines = lines
        self.rows = rows
        self.bad = np.zeros(self.size, dtype=np.bool_)
        self.found: list[tuple[Bools, str, Callable[[int], str]]] = []

    def column(self, name: str) -> pa.ChunkedArray | None:
        return self.table.column(name) if name in self.table.column_names else None

    def reject(self, field: str, mask: Bools, reason: str | Callable[[int], str]) -> None:
        if mask.any():
            self.bad |= mask
            self.found.append((mask, field, reason if callable(reason) else functools.partial(_same, reason)))

    def report(self, into: Rejections) -> None:
        room = into.limit - len(into.kept)
        found: list[tuple[int, int, RejectedRow]] = []
        for order, (mask, field, reason) in enumerate(self.found):
            if room <= 0:
                break
            column = self.column(field)
            for index in np.flatnonzero(mask)[:room].tolist():
                value = None if column is None else column[index].as_py()
                found.append((int(self.lines[index]), order, self._row(index, field, reason(index), value)))
        problems = sum(int(mask.sum()) for mask, _, _ in self.found)
        into.add_batch(found, int(self.bad.sum()), problems)

    def _row(self, index: int, field: str, reason: str, value: object) -> RejectedRow:
        shown = None if value is None else str(value)[:_SHOWN]
        line, row = int(self.lines[index]), int(self.rows[index])
        return RejectedRow(line=line, row=row, reason=reason, field=field, value=shown)


def _mask(array: pa.ChunkedArray | pa.Array) -> Bools:
    """A boolean Arrow result as a NumPy mask, null as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _given(column: pa.ChunkedArray | None, size: int) -> Bools:
    return np.zeros(size, dtype=np.bool_) if column is None else _mask(pc.is_valid(column))


def _matches(column: pa.ChunkedArray, pattern: str) -> Bools:
    return _mask(pc.match_substring_regex(column, pattern))


def _cast(checker: _Checker, name: str, kind: pa.DataType, pattern: str, reason: str) -> pa.ChunkedArray | None:
    """``name`` cast to ``kind``; rows whose text does not match ``pattern`` are rejected and become null."""
    column = checker.column(name)
    if column is None:
        return None
    if column.type == kind:
        return column  # Arrow read the block's numbers as numbers already
    try:
        return pc.cast(column, kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        readable = _matches(column, pattern) | ~_given(column, checker.size)
        checker.reject(name, ~readable, reason)
        try:
            return pc.cast(pc.if_else(pa.array(readable), column, None), kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # the pattern let through what the cast refuses
            return pc.cast(_each(column, readable, kind, checker, name, reason), kind)


def _each(
    column: pa.ChunkedArray, readable: Bools, kind: pa.DataType, checker: _Checker, name: str, reason: str
) -> pa.Array:
    """Cast cell by cell (a rare path: text shaped like the type that is still not one, a 30th of February)."""
    values: list[object] = []
    bad = np.zeros(checker.size, dtype=np.bool_)
    for index, text in enumerate(column.to_pylist()):
        try:
            values.append(None if text is None or not readable[index] else pc.cast(pa.scalar(text), kind).as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values.append(None)
            bad[index] = True
    checker.reject(name, bad, reason)
    return pa.array(values, kind)


def _floats(checker: _Checker, name: str, *, low: float, high: float | None) -> Floats:
    """``name`` as floats (NaN where empty), rejecting what is no number or lies outside [low, high]."""
    cast = _cast(checker, name, pa.float64(), _NUMBER, "is not a number")
    if cast is None:
        return np.full(checker.size, np.nan)
    # A "nan" cell is given but no number; NaN stands for an empty cell from here on, so it is refused here.
    checker.reject(name, _mask(pc.is_nan(cast)), "is not a number")
    values = np.asarray(pc.fill_null(cast, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(values) & ((values < low) | ~np.isfinite(values) | (values > (high or np.inf)))
    bounds = f"between {low:g} and {high:g}" if high is not None else f"a finite number of at least {low:g}"
    checker.reject(name, outside, f"must be {bounds}")
    return values


def _required(checker: _Checker, name: str) -> None:
    checker.reject(name, ~_given(checker.column(name), checker.size), "is required")


def _texts(checker: _Checker, name: str, pattern: str | None, reason: str) -> list[str | None]:
    column = checker.column(name)
    if column is None:
        return [None] * checker.size
    checker.reject(name, _mask(pc.match_substring(column, "\x00")), "contains U+0000 (NUL), which no store keeps")
    if pattern is not None:
        checker.reject(name, _given(column, checker.size) & ~_matches(column, pattern), reason)
    texts: list[str | None] = column.to_pylist()
    return texts


def _enumerated(checker: _Checker, name: str, allowed: Sequence[str]) -> list[str | None]:
    """A text column of known values (``allowed``; none given: ISO 4217 currencies)."""
    column = checker.column(name)
    if column is None:
        return [None] * checker.size
    value_set = pa.array(list(allowed), pa.string()) if allowed else _currency_table()[0]
    known = _mask(pc.is_in(column, value_set=value_set))
    shown = f"is none of {', '.join(allowed)}" if allowed else "is not an ISO 4217 currency code"
    checker.reject(name, _given(column, checker.size) & ~known, shown)
    texts: list[str | None] = column.to_pylist()
    return texts


@functools.cache
def _category_table() -> tuple[pa.Array, npt.NDArray[np.uint64]]:
    names = list(CATEGORY_BITS)
    return pa.array([str(name) for name in names]), np.asarray([CATEGORY_BITS[n] for n in names], dtype=np.uint64)


def category_bits(column: pa.ChunkedArray | pa.Array, size: int) -> tuple[npt.NDArray[np.uint64], Bools]:
    """Each row's categories (``beauty|fashion``) as the catalog's 64-bit set, and the rows naming an unknown one."""
    names, bits = _category_table()
    lists = pc.split_pattern(pc.fill_null(column, ""), "|")
    flat, parents = pc.list_flatten(lists), pc.list_parent_indices(lists)
    positions = pc.index_in(flat, value_set=names)
    empty = _mask(pc.equal(flat, ""))
    unknown_cell = ~_mask(pc.is_valid(positions)) & ~empty
    rows = np.asarray(parents.to_numpy(zero_copy_only=False), dtype=np.int64)
    unknown = np.zeros(size, dtype=np.bool_)
    unknown[rows[unknown_cell]] = True
    found = np.asarray(pc.fill_null(positions, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    result = np.zeros(size, dtype=np.uint64)
    known = ~unknown_cell & ~empty
    np.bitwise_or.at(result, rows[known], bits[found[known]])
    return result, unknown


def _categories(checker: _Checker) -> list[str | None]:
    column = checker.column("categories")
    if column is None:
        return [None] * checker.size
    _, unknown = category_bits(column, checker.size)
    checker.reject("categories", unknown, "names a category creatorkit does not know (see docs/analytics.md)")
    texts: list[str | None] = column.to_pylist()
    return texts


def _moments(checker: _Checker, name: str) -> Floats:
    """``name`` as POSIX seconds (NaN where empty); ISO 8601 with a zone offset (``Z`` or ``+08:00``)."""
    reason = "is not an ISO 8601 time with a zone offset (2026-03-01T00:00:00Z)"
    cast = _cast(checker, name, pa.timestamp("us", tz="UTC"), _MOMENT, reason)
    if cast is None:
        return np.full(checker.size, np.nan)
    micros = pc.cast(cast, pa.int64())
    given = _mask(pc.is_valid(micros))
    values = np.asarray(pc.fill_null(micros, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.where(given, values / 1e6, np.nan)


@functools.cache
def _currency_table() -> tuple[pa.Array, Ints]:
    codes = sorted(currencies())
    return pa.array(codes, pa.string()), np.asarray([currencies()[code] for code in codes], dtype=np.int64)


def _price(checker: _Checker) -> tuple[Ints, list[str | None]]:
    """Prices in minor units (−1 where none) from decimal text in major units, per its currency's exponent."""
    price, size = checker.column("price"), checker.size
    codes = _enumerated(checker, "currency", [])
    if price is None:
        return np.full(size, -1, dtype=np.int64), codes
    names, exponents = _currency_table()
    found = pc.index_in(checker.column("currency"), value_set=names)
    known = _mask(pc.is_valid(found))
    exponent = exponents[np.asarray(pc.fill_null(found, 0).to_numpy(zero_copy_only=False), dtype=np.int64)]
    given = _given(price, size)
    checker.reject("currency", given & ~_given(checker.column("currency"), size), "is required with a price")
    readable = _matches(price, _DECIMAL)
    checker.reject("price", given & ~readable, "is not an amount in major units (1200.00)")
    parts = pc.split_pattern(pc.binary_join_element_wise(pc.fill_null(price, "0"), ".", ""), ".", max_splits=2)
    whole, fraction = pc.list_element(parts, 0), pc.list_element(parts, 1)
    usable = given & known & readable
    minor = np.full(size, -1, dtype=np.int64)
    digits = np.asarray(pc.utf8_length(fraction).to_numpy(zero_copy_only=False), dtype=np.int64)
    checker.reject("price", usable & (digits > exponent), lambda row: f"has more decimals than {codes[row]} allows")
    usable &= digits <= exponent
    for places in np.unique(exponent[usable]).tolist():
        rows = usable & (exponent == places)
        chosen = pa.array(rows)
        units = pc.cast(pc.filter(whole, chosen), pa.int64()).to_numpy(zero_copy_only=False)
        cents = pc.utf8_rpad(pc.filter(fraction, chosen), width=places, padding="0")
        cents = pc.cast(pc.if_else(pc.equal(cents, ""), "0", cents), pa.int64()).to_numpy(zero_copy_only=False)
        minor[rows] = units * 10**places + cents
    return minor, codes


def _audience(checker: _Checker, buckets: Sequence[tuple[AudienceDimension, str]]) -> npt.NDArray[np.float32]:
    shares = np.full((len(buckets), checker.size), np.nan, dtype=np.float32)
    for index, (dimension, key) in enumerate(buckets):
        shares[index] = _floats(checker, f"audience.{dimension}.{key}", low=0.0, high=1.0)
    for dimension in dict.fromkeys(dimension for dimension, _ in buckets):
        rows = [i for i, (d, _) in enumerate(buckets) if d == dimension]
        total: Floats = np.asarray(np.nansum(shares[rows], axis=0, dtype=np.float64))
        field = f"audience.{dimension}.{buckets[rows[0]][1]}"
        checker.reject(field, total > 1 + _TOLERANCE, functools.partial(_too_much, str(dimension), total))
    return shares


def _too_much(dimension: str, totals: Floats, row: int) -> str:
    return f"{dimension} shares add up to {totals[row]:g}"


def _json_texts(checker: _Checker, name: str, parse: Callable[[object], str | None]) -> list[str | None]:
    """A JSON column, each given cell read and written back compactly; a cell ``parse`` refuses is rejected."""
    column = checker.column(name)
    if column is None:
        return [None] * checker.size
    given = np.flatnonzero(_given(column, checker.size))
    texts: list[str | None] = [None] * checker.size
    reasons: dict[int, str] = {}
    for index, text in zip(given.tolist(), pc.take(column, pa.array(given)).to_pylist(), strict=True):
        try:
            texts[index] = parse(orjson.loads(text))
        except (orjson.JSONDecodeError, ValueError) as exc:
            reasons[index] = f"is not JSON ({exc})" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
            texts[index] = None
    bad = np.zeros(checker.size, dtype=np.bool_)
    bad[list(reasons)] = True
    checker.reject(name, bad, lambda row: reasons[row])
    return texts


def _brand_results(value: object) -> str | None:
    shares = isinstance(value, dict) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in value.values()
    )  # JSON true and false are Python ints: not shares
    if not shares:
        raise ValueError('is not a JSON object of brand ids and shares of KPI targets met ({"brand_1": 0.8})')
    return orjson.dumps(value).decode() if value else None


def _captions(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and "\x00" not in v for v in value):
        raise ValueError('is not a JSON array of caption texts (["first caption", "second"])')
    return orjson.dumps(value).decode() if value else None


class Creators:
    """The creators a file's good rows named so far, as 64-bit hashes of (platform, creator id) and their lines.

    A million creators take 16 MB here (their keys as Python objects would take some 300 MB). Two different
    creators share a hash with a chance of about one in 30 million in a file of a million: the cost of a bounded
    memory, and the price of a false "repeats" rejection, which names the line it takes for the first.
    """

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.int64)  # sorted
        self.lines = np.empty(0, dtype=np.int64)  # the line of each, in the same order

    def repeats(self, keys: list[tuple[str, str]], lines: Ints) -> tuple[Ints, Ints]:
        """Which of ``keys`` (their positions) name a creator named before (the line of the first), and remember
        the others."""
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        earlier = np.full(len(keys), -1, dtype=np.int64)
        within = first[inverse] != np.arange(len(keys))
        earlier[within] = lines[first[inverse][within]]
        place = np.minimum(np.searchsorted(self.hashes, hashes), max(len(self.hashes) - 1, 0))
        before = self.hashes[place] == hashes if len(self.hashes) else np.zeros(len(keys), dtype=np.bool_)
        earlier[before] = self.lines[place[before]]
        new = earlier < 0
        merged = np.concatenate([self.hashes, hashes[new]])
        order = np.argsort(merged, kind="stable")  # two sorted runs: merged in linear time
        self.hashes, self.lines = merged[order], np.concatenate([self.lines, lines[new]])[order]
        repeated = np.flatnonzero(~new)
        return repeated, earlier[repeated]


def _repeats(checker: _Checker, platform: list[str | None], creator_id: list[str | None], seen: Creators) -> None:
    """Reject rows naming a creator an earlier good row of the file named; remember the good rows' creators."""
    good = np.flatnonzero(~checker.bad)
    everyone = len(good) == checker.size
    keys = list(zip(platform, creator_id, strict=True)) if everyone else [(platform[i], creator_id[i]) for i in good]
    positions, lines = seen.repeats(keys, checker.lines[good])  # type: ignore[arg-type]  # good rows have both
    earlier = dict(zip(good[positions].tolist(), lines.tolist(), strict=True))
    mask = np.zeros(checker.size, dtype=np.bool_)
    mask[list(earlier)] = True
    checker.reject("creator_id", mask, lambda row: f"repeats the creator of line {earlier[row]} (same platform)")


def check_batch(
    table: pa.Table,
    lines: Ints,
    rows: Ints,
    buckets: Sequence[tuple[AudienceDimension, str]],
    rejections: Rejections,
    seen: Creators,
) -> CatalogBatch:
    """The rows of ``table`` that pass every check, converted; the others go to ``rejections``.

    ``seen`` holds the creators the file's earlier good rows named: a row repeating one is rejected (a file says
    one thing about a creator), and the rows kept are added to it.

    Why this is long: one line per field, in the order of the file format's table (docs/analytics.md).
    """
    checker = _Checker(table, lines, rows)
    for name in REQUIRED_FIELDS:
        _required(checker, name)
    creator_id = _texts(checker, "creator_id", None, "")
    platform = _texts(checker, "platform", _PLATFORM, "is not a platform name (lowercase letters, digits, _)")
    followers_cast = _cast(checker, "followers", pa.int64(), _WHOLE, "is not a whole number of followers")
    if followers_cast is None:  # no row of the batch gave the column: _required rejected every one of them
        followers = np.zeros(checker.size, dtype=np.int64)
    else:
        followers = np.asarray(pc.fill_null(followers_cast, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    checker.reject("followers", followers < 0, "cannot be negative")
    engagement = _floats(checker, "engagement_rate", low=0.0, high=None)
    denominator = _enumerated(checker, "engagement_denominator", [str(d) for d in Denominator])
    price_minor, currency = _price(checker)
    categories = _categories(checker)
    country = _texts(checker, "country", _COUNTRY, "is not an ISO 3166 country code (two capital letters)")
    language = _texts(checker, "language", _LANGUAGE, "is not a language code (en, zh, pt-BR)")
    credibility = _floats(checker, "credibility", low=0.0, high=1.0)
    available_from = _moments(checker, "available_from")
    available_until = _moments(checker, "available_until")
    with np.errstate(invalid="ignore"):
        checker.reject("available_until", available_until < available_from, "is before available_from")
    audience = _audience(checker, buckets)
    brand_results = _json_texts(checker, "brand_results", _brand_results)
    recent_captions = _json_texts(checker, "recent_captions", _captions)
    _repeats(checker, platform, creator_id, seen)
    checker.report(rejections)
    keep = ~checker.bad
    kept = np.flatnonzero(keep).tolist()

    def pick(values: list[str | None]) -> list[str | None]:
        return values if len(kept) == checker.size else [values[i] for i in kept]

    return CatalogBatch(
        lines=lines[keep],
        creator_id=pick(creator_id),  # type: ignore[arg-type]  # required: no None is left
        platform=pick(platform),  # type: ignore[arg-type]
        followers=followers[keep],
        engagement_rate=engagement[keep],
        engagement_denominator=pick(denominator),  # type: ignore[arg-type]
        price_minor=price_minor[keep],
        currency=pick(currency),
        categories=pick(categories),
        country=pick(country),
        language=pick(language),
        credibility=credibility[keep],
        available_from=available_from[keep],
        available_until=available_until[keep],
        audience=audience[:, keep],
        brand_results=pick(brand_results),
        recent_captions=pick(recent_captions),
    )
