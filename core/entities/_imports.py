"""Partner exports: files a platform's partner tools hand out where it has no API (Kuaishou's partner exports).

A platform plugin with the ``import`` capability reads such a file and answers with an :class:`ImportResult`:
the records it could read, and every row it could not, with the line, the field and the reason. No row is
dropped silently: every data row is either a record or a rejected row, and the result says how many rows it read.
"""

from __future__ import annotations

import enum

import attrs

from ._common import FieldValueError, non_negative, platform_name, positive, typed_fields
from ._creators import CreatorCandidate
from ._metrics import PostMetrics
from ._orders import PlatformOrder

__all__ = ["ImportFormat", "ImportResult", "RejectedRow"]


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
