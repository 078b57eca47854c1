"""A report as CSV: one row per (scope, subject, KPI) with its value, denominator, source and ``as_of``.

``scope`` is post, creator, platform or campaign and ``subject`` its id (the post's, the creator's, the platform's
name, the brief's). Besides the KPIs (counts, rates, costs per unit, the cost), ``attainment:<metric>`` rows give
each target of the brief as a fraction of it (1 is on target), and ``audience_share:<dimension>=<keys>[@platform]``
rows a creator's or the campaign's share of audience in a target. ``value`` is a plain number (costs in major
units of ``unit``), empty where the figure is missing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..analytics._report import CampaignReport
from ..entities import CostPer, KpiSummary, Rate

__all__ = ["CSV_COLUMNS", "report_csv"]

CSV_COLUMNS = ("scope", "subject", "kpi", "value", "unit", "denominator", "denominator_value", "source", "as_of")

Row = tuple[str, str, str, str, str, str, str, str, str]


def report_csv(report: CampaignReport) -> str:
    """The report's KPIs as CSV text (RFC 4180, with a header row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_rows(report))
    return out.getvalue()


def _rows(report: CampaignReport) -> Iterator[Row]:
    summaries = [s for s in (report.campaign,) if s is not None]
    summaries += [*report.platforms, *(c.kpis for c in report.creators), *(p.kpis for p in report.posts)]
    for summary in summaries:
        yield from _summary_rows(summary)
        yield from _attainment_rows(summary)
    for match in report.audience_match:
        where = f"@{match.platform}" if match.platform else ""
        yield (
            "creator" if match.creator_id else "campaign",
            match.creator_id or report.brief_id,
            f"audience_share:{match.dimension}={'+'.join(match.target_keys)}{where}",
            "" if match.share is None else repr(match.share),
            "share",
            match.denominator,
            "",
            "" if match.source is None else str(match.source),
            "" if match.as_of is None else match.as_of.isoformat(),
        )


def _attainment_rows(summary: KpiSummary) -> Iterator[Row]:
    for reached in summary.attainment:
        figure = reached.count or reached.rate or reached.cost
        yield (
            str(summary.scope),
            summary.key,
            f"attainment:{reached.kpi.metric}",
            "" if reached.attainment_bp is None else str(reached.attainment_bp / 10_000),
            "fraction of target",
            _denominator(figure),
            "",
            "" if figure is None else str(figure.source),
            "" if figure is None else figure.as_of.isoformat(),
        )


def _denominator(figure: object) -> str:
    if figure is None:
        return ""
    if isinstance(figure, CostPer):
        return str(figure.denominator)
    return str(getattr(figure, "denominator", "") or "count")


def _summary_rows(summary: KpiSummary) -> Iterator[Row]:
    scope, key, stamp, source = str(summary.scope), summary.key, summary.as_of.isoformat(), str(summary.source)
    for name, count in (("views", summary.views), ("reach", summary.reach), ("engagements", summary.engagements)):
        if count is not None:
            yield (scope, key, name, str(count.value), "count", "", "", str(count.source), count.as_of.isoformat())
    rates: list[tuple[str, Rate | None]] = [
        (f"engagement_rate_by_{r.denominator}", r) for r in summary.engagement_rates
    ]
    rates += [("completion_rate", summary.completion_rate), ("six_second_view_rate", summary.six_second_view_rate)]
    for name, rate in rates:
        if rate is not None:
            over = "" if rate.denominator_value is None else str(rate.denominator_value)
            yield (scope, key, name, repr(rate.value), "rate", str(rate.denominator), over, str(rate.source), stamp)
    for cost in (summary.cpm, summary.cpe, summary.cpv, summary.cost_per_result):
        if cost is not None:
            unit = f"{cost.cost.currency} per {cost.per}" if cost.per != 1 else cost.cost.currency
            value = str(cost.amount())
            yield (scope, key, str(cost.metric), value, unit, str(cost.denominator), str(cost.units), source, stamp)
    if summary.follower_change is not None:
        yield (scope, key, "follower_change", str(summary.follower_change), "count", "", "", source, stamp)
    growth = summary.follower_growth_rate
    if growth is not None:
        over = "" if growth.denominator_value is None else str(growth.denominator_value)
        yield (scope, key, "follower_growth_rate", repr(growth.value), "rate", "followers", over, source, stamp)
    if summary.cost is not None:
        yield (scope, key, "cost", str(summary.cost.to_decimal()), summary.cost.currency, "", "", source, stamp)
