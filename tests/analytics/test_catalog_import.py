"""``kit.catalog``: a catalog file into the store and back, ranked as the records it came from; every bad row named."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from creatorkit import Actor, Creatorkit, Money
from creatorkit.analytics import Catalog, CatalogRecord
from creatorkit.analytics import _catalog_file as catalog_file
from creatorkit.entities import AudienceDimension, ImportFormat
from creatorkit.errors import PermissionDenied, ValidationError
from databases import DIALECTS, Database, empty_database

from .test_catalog import random_creator, wide_brief
from .test_scoring import AS_OF

NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)
BRAND = Actor.brand("brand_glow")
FIELDS = (
    *("creator_id", "platform", "followers", "engagement_rate", "engagement_denominator", "price", "currency"),
    *("categories", "country", "language", "credibility", "available_from", "available_until", "brand_results"),
    "recent_captions",
)
HEADER = "creator_id,platform,followers,engagement_rate,engagement_denominator,price,currency,country"
GOOD = "maya,tiktok,2340512,0.061,views,12000.00,USD,US"


@pytest.fixture(params=DIALECTS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = empty_database(request.param, tmp_path)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def kit(database: Database) -> Iterator[Creatorkit]:
    kit = Creatorkit(store=database.open(), clock=lambda: NOW)
    kit.parties.register_brand(Actor.system(), name="Glow Labs", id=BRAND.id)
    yield kit
    kit.close()


def _cells(record: CatalogRecord, buckets: Sequence[tuple[AudienceDimension, str]]) -> dict[str, object]:
    price = record.price
    cells: dict[str, object] = {
        "creator_id": record.creator_id,
        "platform": record.platform,
        "followers": record.followers,
        "engagement_rate": repr(record.engagement_rate),
        "engagement_denominator": str(record.engagement_denominator),
        "price": None if price is None else str(price.to_decimal()),
        "currency": None if price is None else price.currency,
        "categories": "|".join(str(c) for c in record.categories) or None,
        "country": record.country,
        "language": record.language,
        "credibility": None if record.credibility is None else repr(record.credibility),
        "available_from": None if record.available_from is None else record.available_from.isoformat(),
        "available_until": None if record.available_until is None else record.available_until.isoformat(),
        "brand_results": json.dumps(dict(record.brand_results)) if record.brand_results else None,
        "recent_captions": json.dumps(list(record.recent_captions)) if record.recent_captions else None,
    }
    for dimension, key in buckets:
        share = record.audience.get(dimension, {}).get(key)
        cells[f"audience.{dimension}.{key}"] = None if share is None else repr(share)
    return cells


def write_csv(path: Path, records: Sequence[CatalogRecord]) -> Path:
    """``records`` as a catalog CSV, the way an export writes one (empty cells where a figure is unknown)."""
    import csv

    buckets = sorted({(d, k) for r in records for d, shares in r.audience.items() for k in shares})
    names = [*FIELDS, *(f"audience.{d}.{k}" for d, k in buckets)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for record in records:
            cells = _cells(record, buckets)
            writer.writerow(["" if cells[name] is None else cells[name] for name in names])
    return path


def write_jsonl(path: Path, records: Sequence[CatalogRecord]) -> Path:
    lines = []
    for record in records:
        cells = {k: v for k, v in _cells(record, ()).items() if v is not None}
        cells["audience"] = {str(d): dict(shares) for d, shares in record.audience.items()}
        cells["followers"] = record.followers
        lines.append(json.dumps(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ranked(catalog: Catalog) -> list[tuple[str, float, tuple[str, ...]]]:
    ranking = catalog.rank(wide_brief(), as_of=AS_OF, top=50)
    return [(m.creator_id, m.score, tuple(c.explanation for c in m.components)) for m in ranking.matches]


@pytest.fixture(scope="module")
def records() -> list[CatalogRecord]:
    rng = random.Random(29)
    creators = [random_creator(rng, index) for index in range(400)]
    return sorted(creators, key=lambda r: (r.platform, r.creator_id))  # the order load() gives


@pytest.mark.parametrize("writer", [write_csv, write_jsonl], ids=["csv", "jsonl"])
def test_a_file_round_trips_through_the_store_and_ranks_as_its_records(
    kit: Creatorkit, tmp_path: Path, records: list[CatalogRecord], writer: object
) -> None:
    suffix = "csv" if writer is write_csv else "jsonl"
    path = writer(tmp_path / f"creators.{suffix}", records)  # type: ignore[operator]

    report = kit.catalog.import_file(BRAND, path)

    assert (report.rows, report.created, report.updated, report.rejected_rows) == (400, 400, 0, 0), report.rejected
    loaded = kit.catalog.load(BRAND)
    assert kit.catalog.size(BRAND) == loaded.size == 400
    assert [loaded.record(i) for i in range(3)] == [Catalog.from_records(records).record(i) for i in range(3)]
    assert ranked(loaded) == ranked(Catalog.from_records(records))


def test_blocks_of_a_large_file_keep_their_lines_and_one_creator_per_file(
    kit: Creatorkit, tmp_path: Path, records: list[CatalogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_file, "BLOCK_BYTES", 2048)  # a few rows per block
    path = write_csv(tmp_path / "creators.csv", records)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(201, "")  # a blank line: no row, but a line
    lines.insert(301, lines[5])  # creator of line 6 again, now on line 302
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = kit.catalog.import_file(BRAND, path, skip_bad_rows=True)

    assert (report.rows, report.written, report.rejected_rows) == (401, 400, 1)
    [repeat] = report.rejected
    assert (repeat.line, repeat.row, repeat.field) == (302, 300, "creator_id")
    assert repeat.reason == "repeats the creator of line 6 (same platform)"


BAD_ROWS = [
    ("maya,tiktok,12.5k,0.061,views,12000.00,USD,US", "followers", "is not a whole number of followers", "12.5k"),
    ("maya,tiktok,-3,0.061,views,12000.00,USD,US", "followers", "cannot be negative", "-3"),
    ("maya,tiktok,100,4.5%,views,12000.00,USD,US", "engagement_rate", "is not a number", "4.5%"),
    ("maya,tiktok,100,nan,views,12000.00,USD,US", "engagement_rate", "is not a number", "nan"),
    ("maya,tiktok,100,0.06,likes,12000.00,USD,US", "engagement_denominator", "is none of", "likes"),
    ("maya,TikTok,100,0.06,views,12000.00,USD,US", "platform", "is not a platform name", "TikTok"),
    ("maya,tiktok,100,0.06,views,12000.001,USD,US", "price", "has more decimals than USD allows", "12000.001"),
    ("maya,tiktok,100,0.06,views,1500.5,JPY,US", "price", "has more decimals than JPY allows", "1500.5"),
    ("maya,tiktok,100,0.06,views,$12,USD,US", "price", "is not an amount in major units", "$12"),
    ("maya,tiktok,100,0.06,views,12,usd,US", "currency", "is not an ISO 4217 currency code", "usd"),
    ("maya,tiktok,100,0.06,views,12,,US", "currency", "is required with a price", None),
    ("maya,tiktok,100,0.06,views,12,USD,Spain", "country", "is not an ISO 3166 country code", "Spain"),
    (",tiktok,100,0.06,views,12,USD,US", "creator_id", "is required", None),
    ("maya,tiktok,100,0.06,views,12,USD", None, "has 7 fields, the header has 8", "maya,tiktok,100,0.06,views,12,USD"),
]


@pytest.mark.parametrize(("row", "field", "reason", "value"), BAD_ROWS)
def test_each_rejection_names_its_line_field_and_reason_and_nothing_is_written(
    kit: Creatorkit, tmp_path: Path, row: str, field: str | None, reason: str, value: str | None
) -> None:
    path = tmp_path / "creators.csv"
    path.write_text(f"{HEADER}\nleo,instagram,85000,0.032,followers,900,EUR,ES\n{row}\n", encoding="utf-8")

    report = kit.catalog.import_file(BRAND, path)

    assert (report.rows, report.rejected_rows, report.written) == (2, 1, 0)
    [rejected] = report.rejected
    assert (rejected.line, rejected.row, rejected.field, rejected.value) == (3, 2, field, value)
    assert reason in rejected.reason
    assert kit.catalog.size(BRAND) == 0
    assert not [e for e in kit.store.iter_audit() if e.action == "catalog.imported"]


OPTIONAL_BAD = [
    ("categories", "beauty|cooking", "names a category creatorkit does not know"),
    ("language", "English", "is not a language code"),
    ("credibility", "1.5", "must be between 0 and 1"),
    ("credibility", "nan", "is not a number"),
    ("available_from", "2026-05-01", "is not an ISO 8601 time with a zone offset"),
    ("available_from", "2026-02-30T00:00:00Z", "is not an ISO 8601 time with a zone offset"),
    ("available_until", "2025-01-01T00:00:00Z", "is before available_from"),
    ("audience.age.18-24", "0.9", "age shares add up to 1.3"),
    ("audience.gender.female", "-0.1", "must be between 0 and 1"),
    ("brand_results", '{"brand_glow": 2}', "is not a JSON object of brand ids and shares"),
    ("brand_results", "{broken", "is not JSON"),
    ("brand_results", '{"brand_glow": true}', "is not a JSON object of brand ids and shares"),
    ("recent_captions", '"one caption"', "is not a JSON array of caption texts"),
]


@pytest.mark.parametrize(("column", "cell", "reason"), OPTIONAL_BAD)
def test_optional_columns_are_checked_too(kit: Creatorkit, tmp_path: Path, column: str, cell: str, reason: str) -> None:
    good = {
        "categories": "beauty",
        "language": "en",
        "credibility": "0.9",
        "available_from": "2026-03-01T00:00:00Z",
        "available_until": "2026-06-01T00:00:00+02:00",
        "audience.age.18-24": "0.5",
        "audience.age.25-34": "0.4",
        "audience.gender.female": "0.7",
        "brand_results": "",
        "recent_captions": "",
    }
    names = list(good)
    bad = {**good, column: cell}
    quoted = lambda cells: ",".join(f'"{c}"' if "," in c or '"' in c else c for c in cells)  # noqa: E731
    escaped = {k: v.replace('"', '""') for k, v in bad.items()}
    path = tmp_path / "creators.csv"
    path.write_text(
        f"{HEADER},{','.join(names)}\n{GOOD},{quoted(good.values())}\n"
        f"leo,instagram,85000,0.032,followers,900,EUR,ES,{quoted(escaped.values())}\n",
        encoding="utf-8",
    )

    report = kit.catalog.import_file(BRAND, path, skip_bad_rows=True)

    assert (report.rows, report.written, report.rejected_rows) == (2, 1, 1), report.rejected
    [rejected] = report.rejected
    assert (rejected.line, rejected.field) == (3, column)
    assert reason in rejected.reason
    assert [r.creator_id for r in map(kit.catalog.load(BRAND).record, range(1))] == ["maya"]


@pytest.mark.parametrize(
    ("header", "where", "message"),
    [
        ("creator_id,platform,followers,engagement_rate", "line 1", "no 'engagement_denominator' column"),
        (f"{HEADER},fans", "line 1, column 9 ('fans')", "is not a catalog column"),
        (f"{HEADER},country", "line 1, column 9 ('country')", "repeats column 8"),
        (f"{HEADER},audience.zodiac.leo", "line 1, column 9 ('audience.zodiac.leo')", "is not audience."),
        ("creator_id,platform,followers,engagement_rate,engagement_denominator,price", "line 1", "no 'currency'"),
    ],
)
def test_a_wrong_header_refuses_the_whole_file(
    kit: Creatorkit, tmp_path: Path, header: str, where: str, message: str
) -> None:
    path = tmp_path / "creators.csv"
    path.write_text(f"{header}\n{GOOD}\n", encoding="utf-8")

    with pytest.raises(ValidationError) as refused:
        kit.catalog.import_file(BRAND, path)

    assert any(p.path == where and message in p.message for p in refused.value.problems), refused.value.problems
    assert kit.catalog.size(BRAND) == 0


def test_a_gbk_file_is_refused_naming_the_byte_and_nothing_is_written(kit: Creatorkit, tmp_path: Path) -> None:
    body = f"{HEADER}\n{GOOD}\n李娜,tiktok,100,0.06,views,12,CNY,CN\n"
    path = tmp_path / "creators.csv"
    path.write_bytes(body.encode("gbk"))
    offset = len(f"{HEADER}\n{GOOD}\n".encode())

    with pytest.raises(ValidationError) as refused:
        kit.catalog.import_file(BRAND, path)

    [problem] = refused.value.problems
    assert problem.path == "line 3"
    assert f"byte {offset} (column 1" in problem.message and "not UTF-8" in problem.message
    assert kit.catalog.size(BRAND) == 0


def test_a_utf8_byte_order_mark_and_crlf_lines_are_read(kit: Creatorkit, tmp_path: Path) -> None:
    path = tmp_path / "creators.csv"
    path.write_bytes(f"\ufeff{HEADER}\r\n{GOOD}\r\n\r\nleo,instagram,85000,0.032,followers,900,EUR,ES\r\n".encode())

    report = kit.catalog.import_file(BRAND, path)

    assert (report.rows, report.written) == (2, 2)
    catalog = kit.catalog.load(BRAND)
    assert [catalog.record(i).creator_id for i in range(2)] == ["leo", "maya"]
    assert catalog.record(1).price == Money(1_200_000, "USD")


def test_a_file_of_only_bad_rows_is_reported_in_bounded_memory_and_writes_nothing(
    kit: Creatorkit, tmp_path: Path
) -> None:
    path = tmp_path / "creators.csv"
    path.write_text(HEADER + "\n" + "".join(f"cr_{i},tiktok,lots,0.1,views,1,USD,US\n" for i in range(5000)))

    for skip in (False, True):
        report = kit.catalog.import_file(BRAND, path, skip_bad_rows=skip)
        assert (report.rows, report.rejected_rows, report.problems, report.written) == (5000, 5000, 5000, 0)
        assert len(report.rejected) == 100
        assert [r.line for r in report.rejected] == list(range(2, 102))
    assert kit.catalog.size(BRAND) == 0


def test_importing_a_creator_again_updates_it_and_each_import_is_one_audit_event(
    kit: Creatorkit, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(f"{HEADER}\n{GOOD}\nleo,instagram,85000,0.032,followers,900,EUR,ES\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text(f"{HEADER}\nmaya,tiktok,2500000,0.07,views,,,US\nana,tiktok,900,0.1,views,,,ES\n")

    earlier = kit.catalog.import_file(BRAND, first)
    report = kit.catalog.import_file(BRAND, second)

    assert (report.created, report.updated, report.written) == (1, 1, 2)
    catalog = kit.catalog.load(BRAND)
    maya = catalog.record([str(i) for i in catalog.columns.creator_ids].index("maya"))
    assert (maya.followers, maya.price) == (2_500_000, None)
    assert catalog.size == 3
    events = [e for e in kit.store.iter_audit() if e.action == "catalog.imported"]
    assert [e.entity_id for e in events] == [earlier.id, report.id]
    assert {e.workspace_id for e in events} == {BRAND.id}


def test_the_report_holds_the_files_digest_and_format(kit: Creatorkit, tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "creators.txt"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")

    report = kit.catalog.import_file(BRAND, path, format="csv")

    assert (report.file, report.format, report.imported_at) == ("creators.txt", ImportFormat.CSV, NOW)
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ValidationError, match="extension does not say"):
        kit.catalog.import_file(BRAND, path)


def test_json_objects_with_unknown_keys_or_the_wrong_shape_are_rejected_rows(kit: Creatorkit, tmp_path: Path) -> None:
    path = tmp_path / "creators.json"
    objects = [
        {
            "creator_id": "maya",
            "platform": "tiktok",
            "followers": 100,
            "engagement_rate": 0.05,
            "engagement_denominator": "views",
            "audience": {"age": {"18-24": 0.5}},
        },
        {
            "creator_id": "leo",
            "platform": "tiktok",
            "followers": 100,
            "engagement_rate": 0.05,
            "engagement_denominator": "views",
            "fans": 3,
        },
        ["not", "an", "object"],
        {
            "creator_id": "ana",
            "platform": "tiktok",
            "followers": 100.5,
            "engagement_rate": 0.05,
            "engagement_denominator": "views",
        },
    ]
    path.write_text("[\n" + ",\n".join(json.dumps(o) for o in objects) + "\n]\n", encoding="utf-8")

    report = kit.catalog.import_file(BRAND, path, skip_bad_rows=True)

    assert (report.rows, report.written) == (4, 1)
    assert [(r.line, r.field) for r in report.rejected] == [(3, "fans"), (4, None), (5, "followers")]


def test_a_creator_or_a_stranger_has_no_catalog(kit: Creatorkit, tmp_path: Path) -> None:
    path = tmp_path / "creators.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")

    with pytest.raises(PermissionDenied):
        kit.catalog.import_file(Actor.creator("cr_maya"), path)
    with pytest.raises(PermissionDenied):
        kit.catalog.size(Actor.brand("brand_nobody"))


def test_the_example_file_imports_whole(kit: Creatorkit) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "catalog" / "creators.csv"

    report = kit.catalog.import_file(BRAND, example)

    assert (report.rows, report.written, report.rejected_rows) == (4, 4, 0), report.rejected
    haruka = kit.catalog.load(BRAND).record(2)
    assert (haruka.creator_id, haruka.price) == ("creator_haruka", Money(180_000, "JPY"))


def test_a_sqlite_connection_gets_its_settings_back_after_a_bulk_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from creatorkit.store import SqliteStore

    monkeypatch.setattr(catalog_file, "BLOCK_BYTES", 64)  # a block per row: the first is written, then GBK

    store = SqliteStore(tmp_path / "store.db")
    kit = Creatorkit(store=store, clock=lambda: NOW)
    kit.parties.register_brand(Actor.system(), name="Glow Labs", id=BRAND.id)
    path = tmp_path / "creators.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"{HEADER}\n{GOOD}\n李娜,tiktok,1,0.1,views,1,CNY,CN\n".encode("gbk"))

    def settled() -> None:
        conn = store._acquire()
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -2000
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
        assert not store._bulk

    kit.catalog.import_file(BRAND, path)
    settled()  # after a commit
    with pytest.raises(ValidationError):
        kit.catalog.import_file(BRAND, bad)  # its first row was written before the GBK one was read
    settled()  # after a rollback
    assert kit.catalog.size(BRAND) == 1
    kit.close()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty.json", "[]"),
        ("empty.jsonl", ""),
        ("no_followers.jsonl", '{"creator_id": "a", "platform": "tiktok", "engagement_rate": 0.1}\n'),
        ("object.jsonl", '{"creator_id": "a", "platform": "tiktok", "followers": {"x": 1}, "engagement_rate": 0.1}\n'),
    ],
)
def test_a_json_file_without_a_column_or_rows_is_reported_not_a_crash(
    kit: Creatorkit, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = kit.catalog.import_file(BRAND, path)
    assert report.created == 0 and report.rejected_rows == report.rows
    assert all(row.line == 1 for row in report.rejected) and kit.catalog.size(BRAND) == 0
    assert not report.rows or "followers" in {row.field for row in report.rejected}


def test_two_imports_at_once_into_one_workspace_both_land(database: Database, tmp_path: Path) -> None:
    """Each adds audience buckets of its own: the second reads the codes the first gave out (PostgreSQL runs the
    two at once; the catalog lock makes them take turns), so neither fails on a code given twice."""
    import threading

    header = "creator_id,platform,followers,engagement_rate,engagement_denominator"
    files = []
    for n, bucket in enumerate(("female", "male")):
        rows = [f"c{n}_{i},tiktok,{1000 + i},0.05,views,0.6" for i in range(200)]
        path = tmp_path / f"part{n}.csv"
        path.write_text("\n".join([f"{header},audience.gender.{bucket}", *rows]) + "\n", encoding="utf-8")
        files.append(path)
    kits = [Creatorkit(store=database.open(), clock=lambda: NOW) for _ in files]
    kits[0].parties.register_brand(Actor.system(), name="Glow Labs", id=BRAND.id)
    results: list[object] = []

    def run(kit: Creatorkit, path: Path) -> None:
        try:
            results.append(kit.catalog.import_file(BRAND, path))
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(kits, files, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert [getattr(r, "created", r) for r in results] == [200, 200]
        assert kits[0].catalog.size(BRAND) == 400
        assert kits[0].catalog.load(BRAND).size == 400
    finally:
        for kit in kits:
            kit.close()
