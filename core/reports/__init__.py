"""Campaign reports: ``kit.reports.campaign(actor, brief_id)`` reads a campaign from the store as the acting party
and computes its report (:class:`~creatorkit.analytics.CampaignReport`); :func:`render_html` draws it as one
self-contained HTML file, :func:`report_csv` lists its KPIs one per row.

```python
report = kit.reports.campaign(Actor.brand("brand_1"), brief_id)
Path("report.html").write_text(render_html(report), encoding="utf-8")
```

This layer sits above the workflow (where deals, posts and snapshots are kept) and analytics (where the figures
are computed): it is the one place that joins them. See ``docs/analytics.md`` ("Reports").
"""

from __future__ import annotations

from ._csv import CSV_COLUMNS, report_csv
from ._html import render_html
from ._service import ReportService

__all__ = ["CSV_COLUMNS", "ReportService", "render_html", "report_csv"]
