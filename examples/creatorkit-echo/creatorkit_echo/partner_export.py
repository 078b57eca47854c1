"""Echo's partner export: a small CSV creator list, read the way a real plugin reads Kuaishou's partner exports.

The file has a header row naming its columns, in any order::

    handle,display_name,followers,country,category,price,currency
    ana_cooks,Ana Cooks,48200,ES,food,350.00,EUR

``handle`` and ``followers`` are required; the others may be left empty (``price`` and ``currency`` go together).
Every data row becomes a creator or one rejected row per fault, with its line and column; a file that is not
UTF-8 or has no usable header is refused as a whole (``InvalidRequest`` naming the line), so nothing is dropped
without a word. The standard library's ``csv`` module does the parsing: it handles quoting and fields that span
lines, which a split on commas would not.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from creatorkit import InvalidRequest, Money, NotSupported, ValidationError
from creatorkit.entities import (
    Count,
    CreatorCandidate,
    CreatorProfile,
    DeliverableType,
    ImportFormat,
    ImportResult,
    MetricSource,
    PlatformAccount,
    PriceTier,
    RateCard,
    RejectedRow,
    Window,
)

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "SAMPLE_EXPORT", "SAMPLE_REJECTED", "read_creator_list"]

COLUMNS = ("handle", "display_name", "followers", "country", "category", "price", "currency")
REQUIRED_COLUMNS = ("handle", "followers")
#: A small export with three good rows and one of each fault, for tests and the conformance kit.
SAMPLE_EXPORT = (
    b"handle,display_name,followers,country,category,price,currency\r\n"  # line 1
    b"echo_creator_01,Echo Creator 01,120000,US,beauty,450.00,USD\r\n"
    b"@ana_cooks,Ana Cooks,48_200,ES,food,350,EUR\r\n"
    b"bad handle!,Nobody,12.5k,USA,food,,\r\n"  # line 4: three faults
    b'"quoted, name",x\r\n'  # line 5: two columns, not seven
    b"\r\n"  # a blank line is no row
    b"jp_creator,JP,9000,JP,travel,1500.5,JPY\r\n"  # line 7: yen have no decimals
    b"echo_creator_01,Again,1,US,,,\r\n"  # line 8: the handle of line 2
    b"no_currency,NC,10,,,100,\r\n"  # line 9
    b'multi_line,"Two\r\nLines",500,GB,tech,,\r\n'  # lines 10-11: one row
    b",Empty handle,5,,,,\r\n"  # line 12
)
#: The (line, column) of every fault in :data:`SAMPLE_EXPORT`; three of its nine rows are creators.
SAMPLE_REJECTED = frozenset(
    {
        (4, "handle"),
        (4, "followers"),
        (4, "country"),
        (5, None),
        (7, "price"),
        (8, "handle"),
        (9, "currency"),
        (12, "handle"),
    }
)
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def read_creator_list(platform: str, data: bytes, format: ImportFormat, as_of: datetime) -> ImportResult:
    """The creators of an echo partner export, and every row that is not one, with its line and column."""
    if format is not ImportFormat.CSV:
        raise NotSupported(platform, f"echo's partner export is CSV, not {format}", feature=f"import.{format}")
    text = _decoded(platform, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(platform, reader)
    if header is None:
        return ImportResult(platform=platform, format=format, rows=0, description="empty file")
    creators: list[CreatorCandidate] = []
    rejected: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    rows, line = 0, reader.line_num + 1
    for cells in _rows(platform, reader):
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # a blank line is no row
        rows += 1
        faults, candidate = _creator(platform, header, cells, as_of)
        if candidate is not None:
            handle = candidate.profile.accounts[0].handle
            if handle in first_line:
                faults.append(("handle", f"already given on line {first_line[handle]}", handle))
            else:
                first_line[handle] = start
        if faults:
            rejected.extend(
                RejectedRow(line=start, row=rows, field=field, reason=reason, value=value)
                for field, reason, value in faults
            )
        elif candidate is not None:
            creators.append(candidate)
    return ImportResult(
        platform=platform,
        format=format,
        rows=rows,
        creators=tuple(creators),
        rejected=tuple(rejected),
        description="echo creator list",
    )


def _decoded(platform: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # spreadsheet programs often start a UTF-8 export with a byte-order mark
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"line {line} is not UTF-8 (byte {exc.start})"
        raise InvalidRequest(platform, message, field=f"data line {line}") from None


def _header(platform: str, reader: Reader) -> list[str] | None:
    for cells in _rows(platform, reader):
        if not any(cell.strip() for cell in cells):
            continue
        header = [cell.strip().lower() for cell in cells]
        unknown = [name for name in header if name not in COLUMNS]
        lacking = [name for name in REQUIRED_COLUMNS if name not in header]
        doubled = sorted({name for name in header if header.count(name) > 1})
        problems = [f"unknown column {name!r}" for name in unknown] + [f"no {name!r} column" for name in lacking]
        problems += [f"column {name!r} twice" for name in doubled]
        if problems:
            raise InvalidRequest(
                platform,
                f"line {reader.line_num}: the header must name echo's columns ({', '.join(COLUMNS)}): "
                + "; ".join(problems),
                field="header",
            )
        return header
    return None


def _rows(platform: str, reader: Reader) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot parse (a NUL byte) refuses the file, naming the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            message = f"line {line} cannot be read as CSV: {exc}"
            raise InvalidRequest(platform, message, field=f"data line {line}") from None


_Fault = tuple[str | None, str, str | None]


def _creator(
    platform: str, header: list[str], cells: list[str], as_of: datetime
) -> tuple[list[_Fault], CreatorCandidate | None]:
    if len(cells) != len(header):
        return [(None, f"has {len(cells)} columns, the header {len(header)}", None)], None
    row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    faults: list[_Fault] = []
    handle = row["handle"].lstrip("@")
    if not _HANDLE.match(handle):
        faults.append(("handle", "must be 1-64 letters, digits, '_' or '.'", row["handle"] or None))
    followers = row["followers"].replace("_", "")
    if not followers.isdigit():
        faults.append(("followers", "must be a whole number of followers", row["followers"] or None))
    country = row.get("country", "")
    if country and not _COUNTRY.match(country):
        faults.append(("country", "must be an ISO 3166-1 code such as 'ES'", country))
    price = _price(row, faults)
    if faults:
        return faults, None
    account = PlatformAccount(
        platform=platform,
        account_id=f"{platform}-import-{handle}",
        handle=handle,
        display_name=row.get("display_name", ""),
        # Figures from a partner export are the partner's word, not read from an authorised account.
        followers=Count(value=int(followers), window=Window.lifetime(), source=MetricSource.REPORTED, as_of=as_of),
    )
    profile = CreatorProfile(
        id=f"{platform}:{handle}",
        display_name=row.get("display_name", "") or handle,
        accounts=(account,),
        categories=(row["category"],) if row.get("category") else (),
        country=country or None,
        rate_card=None
        if price is None
        else RateCard(tiers=(PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=price),), updated_at=as_of),
    )
    return [], CreatorCandidate(platform=platform, profile=profile)


def _price(row: dict[str, str], faults: list[_Fault]) -> Money | None:
    amount, currency = row.get("price", ""), row.get("currency", "").upper()
    if not amount and not currency:
        return None
    if not amount or not currency:
        missing = "price" if not amount else "currency"
        faults.append((missing, "price and currency go together", None))
        return None
    try:
        price = Money.of(amount, currency)
    except ValidationError as exc:
        field = "currency" if exc.problems[0].path == "currency" else "price"
        faults.append((field, exc.problems[0].message, row[field]))
        return None
    if price.amount <= 0:
        faults.append(("price", "must be more than zero", amount))
        return None
    return price
