"""A report as one self-contained HTML file: plotly.js inline, the four charts' figures inline, no request out.

The charts are plotly figures (plotly's Python library validates them; its bundled plotly.js draws them): views
over time per creator, KPI attainment, cost per result by creator and audience match against the target. Each
is drawn only from the report's own fields, so the report's JSON holds every number a chart shows, and each
states its denominator, source and ``as_of`` under it. The page is a Jinja2 template with autoescaping; text from
users (names, captions, the brief's name) is also HTML-escaped inside the figures, because plotly reads a few
tags (``<a href>``, ``<b>``) in trace names and tick labels.
"""

from __future__ import annotations

import functools
import html
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io
import plotly.offline

from ..analytics._report import AudienceMatch, CampaignReport
from ..entities import CostMetric

__all__ = ["CHART_IDS", "render_html"]

#: The ids of the chart containers, in page order.
CHART_IDS = ("views-over-time", "kpi-attainment", "cost-per-result", "audience-match")

_COST_LABELS = {
    CostMetric.CPM: "CPM: cost per 1,000 views",
    CostMetric.CPE: "CPE: cost per engagement",
    CostMetric.CPV: "CPV: cost per view",
    CostMetric.COST_PER_RESULT: "cost per result (click or conversion)",
}

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>{{ report.brief_name }} — campaign report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
.chart { width: 100%; height: 420px; }
figure { margin: 0 0 2.5rem 0; }
figcaption { font-size: 0.85rem; color: #555; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>{{ report.brief_name }}</h1>
<p>Campaign <code>{{ report.brief_id }}</code> · as of {{ report.as_of.isoformat() }} · {{ summary }}</p>
{% for chart in charts %}
<figure>
<div class="chart" id="{{ chart.id }}"></div>
<figcaption>{{ chart.caption }}</figcaption>
</figure>
{% endfor %}
<h2>Posts</h2>
<table>
<thead><tr><th>creator</th><th>caption</th><th>post</th><th>views</th><th>engagement rate</th><th>as of</th>
</tr></thead>
<tbody>
{% for post in posts %}<tr><td>{{ post.creator }}</td><td>{{ post.caption }}</td>
<td>{% if post.link %}<a href="{{ post.link }}" rel="noopener noreferrer">{{ post.id }}</a>
{%- else %}{{ post.id }}{% endif %}</td>
<td class="number">{{ post.views }}</td><td class="number">{{ post.rate }}</td><td>{{ post.as_of }}</td></tr>
{% endfor %}</tbody>
</table>
{% if report.unmeasured %}<h2>Not measured</h2>
<ul>{% for line in report.unmeasured %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
{% for chart in charts -%}
<script type="application/json" class="figure" data-chart="{{ chart.id }}">{{ chart.figure | safe }}</script>
{% endfor %}<script>{{ plotly | safe }}</script>
<script>
document.querySelectorAll("script.figure").forEach(function (node) {
  var figure = JSON.parse(node.textContent);
  Plotly.newPlot(node.dataset.chart, figure.data, figure.layout, {displayModeBar: false, responsive: true});
});
</script>
</body>
</html>
"""


@functools.cache
def _template() -> jinja2.Template:
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(_PAGE)


@functools.cache
def _plotly_js() -> str:
    return str(plotly.offline.get_plotlyjs())


def render_html(report: CampaignReport) -> str:
    """The report as one HTML page that needs nothing else: open it offline, mail it, archive it."""
    charts = [
        _chart(CHART_IDS[0], _views_figure(report), _views_caption(report)),
        _chart(CHART_IDS[1], _attainment_figure(report), _attainment_caption(report)),
        _chart(CHART_IDS[2], _cost_figure(report), _cost_caption(report)),
        _chart(CHART_IDS[3], _audience_figure(report), _audience_caption(report)),
    ]
    return _template().render(
        report=report, charts=charts, posts=_post_rows(report), summary=_summary(report), plotly=_plotly_js()
    )


def _chart(chart_id: str, figure: go.Figure, caption: str) -> dict[str, str]:
    # plotly's JSON escapes <, > and / as \\u003c …: a name cannot close the script element it is in.
    return {"id": chart_id, "figure": str(plotly.io.to_json(figure, validate=False)), "caption": caption}


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _layout(title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": _text(title)},
        "template": "plotly_white",
        "yaxis": {"title": {"text": _text(y_title)}, **extra.pop("yaxis", {})},
        "margin": {"t": 60, "b": 80},
        "legend": {"orientation": "v"},
        **extra,
    }


# --- views over time -------------------------------------------------------------------------------------------


def _views_figure(report: CampaignReport) -> go.Figure:
    traces = [
        go.Scatter(
            x=[p.slot.isoformat() for p in series.points],
            y=[p.views for p in series.points],
            name=_text(series.creator_name),
            meta=series.creator_id,
            mode="lines+markers",
        )
        for series in report.views_over_time
    ]
    return go.Figure(traces, _layout("Views over time per creator", "views (lifetime, all their posts)"))


def _views_caption(report: CampaignReport) -> str:
    sources = sorted({str(s.source) for s in report.views_over_time}) or ["none"]
    return (
        "Denominator: none (a count) — each point is the sum of the creator's posts' lifetime views as the sync "
        f"round of that slot read them. Source: {', '.join(sources)}. As of: each point's slot; the latest "
        f"{report.as_of.isoformat()}."
    )


# --- KPI attainment --------------------------------------------------------------------------------------------


def _kpi_label(attained: Any) -> str:
    kpi = attained.kpi
    if kpi.target_count is not None:
        return f"{kpi.metric} ≥ {kpi.target_count:,}"
    if kpi.target_rate is not None:
        return f"{kpi.metric} ≥ {kpi.target_rate:.2%}"
    return f"{kpi.metric} ≤ {kpi.target_cost}"


def _attained(report: CampaignReport) -> list[Any]:
    return [a for a in (report.campaign.attainment if report.campaign else ()) if a.attainment_bp is not None]


def _attainment_figure(report: CampaignReport) -> go.Figure:
    shown = _attained(report)
    bar = go.Bar(
        x=[_kpi_label(a) for a in shown],
        y=[a.attainment_bp / 10_000 for a in shown],
        name="attainment",
        marker={"color": ["#2a9d8f" if a.met else "#e76f51" for a in shown]},
    )
    layout = _layout("KPI attainment against the brief's targets", "actual ÷ target", yaxis={"tickformat": ".0%"})
    layout["shapes"] = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1, "line": {"dash": "dash", "width": 1}}
    ]
    return go.Figure([bar], layout)


def _attainment_caption(report: CampaignReport) -> str:
    parts = []
    for attained in report.campaign.attainment if report.campaign else ():
        figure = attained.count or attained.rate or attained.cost
        if attained.attainment_bp is None or figure is None:
            parts.append(f"{_kpi_label(attained)}: not measured ({attained.reason or 'no figure'})")
            continue
        over = getattr(figure, "denominator", None)
        size = getattr(figure, "denominator_value", None) or getattr(figure, "units", None)
        denominator = "none (a count)" if over is None else f"{over}" + (f" ({size:,})" if size else "")
        parts.append(f"{_kpi_label(attained)}: denominator {denominator}, source {figure.source}")
    if not parts:
        parts.append("the brief sets no KPI target")
    stamp = report.campaign.as_of.isoformat() if report.campaign else report.as_of.isoformat()
    return "Costs are judged as target ÷ actual (lower is better). " + "; ".join(parts) + f". As of: {stamp}."


# --- cost per result -------------------------------------------------------------------------------------------


def _cost_figure(report: CampaignReport) -> go.Figure:
    shown = [c for c in report.creators if c.result_cost_amount is not None]
    names = Counter(c.creator_name for c in shown)  # two creators of one name get a bar each, told apart by id
    bar = go.Bar(
        x=[
            _text(c.creator_name if names[c.creator_name] == 1 else f"{c.creator_name} ({c.creator_id})") for c in shown
        ],
        y=[float(c.result_cost_amount or 0) for c in shown],
        customdata=[c.creator_id for c in shown],
        name=str(report.result_metric),
    )
    label = _COST_LABELS[report.result_metric]
    return go.Figure([bar], _layout(f"Cost per result by creator — {label}", f"{report.currency}"))


def _cost_caption(report: CampaignReport) -> str:
    costs = [c.result_cost for c in report.creators if c.result_cost is not None]
    denominator = costs[0].denominator if costs else "—"
    sources = sorted({str(c.source) for c in costs}) or ["none"]
    stamp = min((c.as_of for c in costs), default=report.as_of).isoformat()
    missing = [c.creator_name for c in report.creators if c.result_cost is None]
    note = f" No figure for: {', '.join(missing)}." if missing else ""
    return (
        f"{_COST_LABELS[report.result_metric]}: each creator's deal prices ÷ their posts' {denominator}. "
        f"Denominator: {denominator}. Source: {', '.join(sources)}. As of: {stamp}.{note}"
    )


# --- audience match --------------------------------------------------------------------------------------------


def _target_label(match: AudienceMatch) -> str:
    return f"{match.dimension}: {', '.join(match.target_keys)} (≥ {match.min_share:.0%})"


def _subject_labels(rows: Sequence[AudienceMatch]) -> dict[tuple[str | None, str | None], str]:
    """The x-axis label of each audience (creator and platform, or the campaign): the creator's name, told apart
    by id and platform where two would read the same."""
    labels = {
        (m.creator_id, m.platform): m.creator_name if m.creator_id else "campaign (weighted by views)" for m in rows
    }
    seen = Counter(labels.values())
    return {
        key: f"{label} ({key[0]}@{key[1]})" if seen[label] > 1 and key[0] else label for key, label in labels.items()
    }


def _audience_figure(report: CampaignReport) -> go.Figure:
    """Audiences along x, one bar per target of the brief, each target's minimum share marked over its bars."""
    rows = [m for m in report.audience_match if m.share is not None]
    labels = _subject_labels(rows)
    targets = dict.fromkeys((m.dimension, m.target_keys) for m in rows)
    traces = []
    for index, target in enumerate(targets):
        mine = [m for m in rows if (m.dimension, m.target_keys) == target]
        x = [_text(labels[(m.creator_id, m.platform)]) for m in mine]
        group = {"offsetgroup": str(index), "alignmentgroup": "audience"}
        shares = [m.share for m in mine]
        ids = [m.creator_id for m in mine]
        traces.append(go.Bar(x=x, y=shares, customdata=ids, name=_target_label(mine[0]), **group))
        traces.append(
            go.Scatter(
                x=x,
                y=[m.min_share for m in mine],
                name="target (minimum share)",
                legendgroup="target",
                showlegend=index == 0,
                mode="markers",
                marker={"symbol": "line-ew-open", "size": 14, "color": "#111", "line": {"width": 3, "color": "#111"}},
                **group,
            )
        )
    layout = _layout(
        "Audience match against the target",
        "share of the audience in the target",
        barmode="group",
        scattermode="group",
        xaxis={"tickangle": -45 if len(labels) > 8 else 0},
    )
    layout["yaxis"]["tickformat"] = ".0%"
    return go.Figure(traces, layout)


def _audience_caption(report: CampaignReport) -> str:
    rows = report.audience_match
    kinds = sorted({m.denominator for m in rows if m.share is not None and m.creator_id}) or ["none"]
    sources = sorted({str(m.source) for m in rows if m.source is not None}) or ["none"]
    stamps = [m.as_of for m in rows if m.as_of is not None]
    stamp = min(stamps).isoformat() if stamps else "—"
    truncated = (
        " Some platforms report only their top buckets: those shares are at least the value."
        if any(m.truncated for m in rows)
        else ""
    )
    return (
        f"Denominator: each creator's audience ({', '.join(kinds)}); the campaign's bar weights each creator by the "
        f"views of their posts (estimated). Source: {', '.join(sources)}. As of: {stamp}.{truncated}"
    )


# --- the page's text -------------------------------------------------------------------------------------------


def _summary(report: CampaignReport) -> str:
    campaign = report.campaign
    if campaign is None:
        return "no post measured yet"
    views = f"{campaign.views.value:,} views" if campaign.views else "views not known for every post"
    cost = f", {campaign.cost} spent on measured posts" if campaign.cost else ""
    growth = campaign.follower_growth_rate
    followers = (
        f", {campaign.follower_change:+,} followers ({growth.value:+.2%} of {growth.denominator_value:,})"
        if growth is not None and growth.denominator_value and campaign.follower_change is not None
        else ""
    )
    return f"{campaign.posts} posts by {len(report.creators)} creators, {views}{cost}{followers}"


def _post_rows(report: CampaignReport) -> Iterable[dict[str, str]]:
    names = {c.creator_id: c.creator_name for c in report.creators}
    for post in report.posts:
        rate = post.kpis.engagement_rate("views")
        yield {
            "creator": names.get(post.creator_id, post.creator_id),
            "caption": post.caption,
            "id": post.post_id,
            "link": post.url if post.url.startswith(("https://", "http://")) else "",
            "views": f"{post.kpis.views.value:,}" if post.kpis.views else "—",
            "rate": f"{rate.value:.2%} of views" if rate else "—",
            "as_of": post.kpis.as_of.isoformat(),
        }
