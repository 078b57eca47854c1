"""Partner exports: files a platform's partner tools hand out where it has no API (Kuaishou's partner exports).

A platform plugin with the ``import`` capability reads such a file and answers with an :class:`ImportResult`:
the records it could read, and every row it could not, with the line, the field and the reason. No row is
dropped silently: every data row is either a record or a rejected row, and the result says how many rows it read.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from ._common import FieldValueError, aware, non_negative, platform_name, positive, typed_fields
from ._creators import CreatorCandidate
from ._metrics import PostMetrics
from ._orders import PlatformOrder

__all__ = ["REPORTED_REJECTIONS", "CatalogImport", "ImportFormat", "ImportResult", "RejectedRow"]


class ImportFormat(enum.StrEnum):
    CSV = "csv"  # comma-separated with a header row; UTF-8, a byte-order mark allowed
    JSON = "json"  # one JSON array of objects
    JSONL = "jsonl"  # JSON Lines: one object per line


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class RejectedRow:
    """A row of an imported file that became no record, and why; a row with several faults has one per field."""

    #: The 1-based line of the file where the row starts (a CSV header is line 1).
    line: int = attrs.field(validator=positive)
    #: The 1-based position of the row among the file's data rows.
    row: int = attrs.field(validator=positive)
    reason: str
    #: The column or key at fault; ``None`` when the whole row is (a wrong number of columns, not an object).
    field: str | None = None
    #: The offending value as written in the file, if there is one.
    value: str | None = None


def _accounted(instance: ImportResult) -> None:
    records = len(instance.creators) + len(instance.post_metrics) + len(instance.orders)
    rows = {r.row for r in instance.rejected}
    if any(row > instance.rows for row in rows):
        raise FieldValueError("rejected", f"name a row beyond the {instance.rows} rows read")
    if records + len(rows) != instance.rows:
        raise FieldValueError(
            "rows",
            f"{instance.rows} rows were read but {records} records and {len(rows)} rejected rows came back: "
            "every row must become one record or be rejected",
        )


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ImportResult:
    """What a partner export held: its records, and every row that became none, with line, field and reason."""

    platform: str = attrs.field(validator=platform_name)
    format: ImportFormat
    #: Data rows read (a CSV header is not a row): each is one record or one rejected row.
    rows: int = attrs.field(validator=non_negative)
    creators: tuple[CreatorCandidate, ...] = ()
    post_metrics: tuple[PostMetrics, ...] = ()
    orders: tuple[PlatformOrder, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()
    #: What the plugin recognised the file as ("creator list", "order report"), for the user.
    description: str = ""

    def __attrs_post_init__(self) -> None:
        _accounted(self)

    @property
    def accepted(self) -> int:
        """Rows that became records."""
        return self.rows - len({r.row for r in self.rejected})


def _rows_accounted(instance: CatalogImport, attribute: attrs.Attribute[Any], value: int) -> None:
    if instance.created + instance.updated != instance.written:
        raise FieldValueError(
            attribute.name, f"is {value}, but created + updated is {instance.created + instance.updated}"
        )
    if instance.rejected_rows > instance.rows:
        raise FieldValueError("rejected_rows", f"is {instance.rejected_rows}, more than the {instance.rows} rows read")
    expected = instance.rows - instance.rejected_rows if instance.skip_bad_rows or not instance.rejected_rows else 0
    if value != expected:
        raise FieldValueError(
            attribute.name,
            f"is {value}: {instance.rows} rows less {instance.rejected_rows} "
            f"rejected {'are' if expected else 'mean nothing is'} written ({expected})",
        )
    if len(instance.rejected) > instance.problems or instance.problems < instance.rejected_rows:
        raise FieldValueError("problems", f"is {instance.problems}: fewer than the rejections it counts")


#: How many faults a :class:`CatalogImport` lists; it counts the others.
REPORTED_REJECTIONS = 100


def _at_most_reported(instance: CatalogImport, attribute: attrs.Attribute[Any], value: tuple[RejectedRow, ...]) -> None:
    if len(value) > REPORTED_REJECTIONS:
        raise FieldValueError(attribute.name, f"lists {len(value)} faults, at most {REPORTED_REJECTIONS} are listed")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CatalogImport:
    """What importing one catalog file did: rows read, written (created or updated) and rejected.

    Every data row is written or rejected; a rejected row has one :class:`RejectedRow` per fault. Unless
    ``skip_bad_rows``, one rejected row keeps the whole file out of the store (``written`` is 0). ``rejected``
    lists the first faults in line order, at most 100; ``problems`` counts them all.
    """

    id: str
    workspace_id: str
    #: The file's name (not its path) and the SHA-256 of its bytes, as the audit trail records them.
    file: str
    sha256: str
    format: ImportFormat
    #: Data rows read (a CSV header and blank lines are not rows).
    rows: int = attrs.field(validator=non_negative)
    created: int = attrs.field(validator=non_negative)
    updated: int = attrs.field(validator=non_negative)
    rejected_rows: int = attrs.field(validator=non_negative)
    problems: int = attrs.field(validator=non_negative)
    rejected: tuple[RejectedRow, ...] = attrs.field(default=(), validator=_at_most_reported)
    skip_bad_rows: bool = False
    imported_at: datetime = attrs.field(validator=aware)
    #: Rows now in the store from this file: created + updated.
    written: int = attrs.field(validator=[non_negative, _rows_accounted])

    @property
    def complete(self) -> bool:
        """Every row of the file was written."""
        return self.rejected_rows == 0
