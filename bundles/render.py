"""Self-contained HTML for bundles: the narrative report and the pyvis graph (no network needed)."""
from __future__ import annotations

import html
import json
import re
from typing import Any

import networkx as nx
import pandas as pd

MAX_DRAWN_NODES = 1500
MAX_MEMBER_ROWS = 5000
TIMELINE_W, TIMELINE_H = 900, 220
NODE_STYLE = {  # label -> (colour, shape)
    "Account": ("#4e79a7", "dot"), "Cluster": ("#e15759", "star"), "PaymentCard": ("#f28e2b", "square"),
    "Device": ("#76b7b2", "triangle"), "IPAddress": ("#59a14f", "diamond"), "Organisation": ("#b07aa1", "box"),
    "Person": ("#ff9da7", "ellipse"), "EmailDomain": ("#9c755f", "dot"), "APIKey": ("#edc948", "hexagon"),
    "Proxy": ("#bab0ac", "triangleDown"), "PromptTemplate": ("#d37295", "dot"), "Model": ("#8cd17d", "box"),
    "Identifier": ("#86bcb6", "square"), "AccountGroup": ("#4e79a7", "hexagon"), "Evidence": ("#79706e", "dot"),
}
STABILISATION_ITERATIONS = 200
FREEZE_AFTER_MS = 4000
# Once the layout has settled, physics stops: the drawing holds still (and costs no CPU) for reading.
FREEZE_AFTER_LAYOUT = f"""<script>
(function () {{
  function freeze() {{ if (typeof network !== 'undefined' && network) {{ network.setOptions({{physics: false}}); }} }}
  if (typeof network !== 'undefined' && network) {{ network.once('stabilizationIterationsDone', freeze); }}
  setTimeout(freeze, {FREEZE_AFTER_MS});
}})();
</script>"""
# pyvis's template loads Bootstrap from a CDN whatever the resource mode; the bundle must work offline.
_REMOTE_TAG = re.compile(r"<(link|script)\b[^>]*(href|src)=\"https?://[^\"]*\"[^>]*>(\s*</script>)?", re.I | re.S)

CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
.score{font-size:1.3em;font-weight:bold}.neg{color:#2a7}.pos{color:#c33}"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _table(rows: list[dict[str, Any]], columns: list[str], limit: int | None = None) -> str:
    shown = rows[:limit] if limit else rows
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(r.get(c))}</td>" for c in columns) + "</tr>" for r in shown)
    more = f"<p>Showing {len(shown):,} of {len(rows):,} rows.</p>" if limit and len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def timeline_svg(timeline: pd.DataFrame, releases: list[dict[str, Any]]) -> str:
    """Requests per hour as an inline SVG bar chart, with model releases marked."""
    if timeline is None or timeline.empty:
        return "<p>No request log is stored for these accounts.</p>"
    per = timeline.groupby("bucket")["requests"].sum().sort_index()
    t0, t1 = per.index.min(), per.index.max()
    span = max((t1 - t0).total_seconds(), 3600.0)
    peak = max(per.max(), 1)

    def x(t: pd.Timestamp) -> float:
        return 40 + (t - t0).total_seconds() / span * (TIMELINE_W - 60)

    bars = "".join(f'<rect x="{x(t):.1f}" y="{TIMELINE_H - 30 - v / peak * (TIMELINE_H - 50):.1f}" width="2" '
                   f'height="{v / peak * (TIMELINE_H - 50):.1f}" fill="#4e79a7"><title>{_e(t)}: {v}</title></rect>'
                   for t, v in per.items())
    marks = ""
    for r in releases:
        ts = pd.Timestamp(r["ts"]).tz_convert(None) if pd.Timestamp(r["ts"]).tzinfo else pd.Timestamp(r["ts"])
        t0n = t0.tz_convert(None) if getattr(t0, "tzinfo", None) else t0
        pos = 40 + (ts - t0n).total_seconds() / span * (TIMELINE_W - 60)
        if 40 <= pos <= TIMELINE_W:
            marks += (f'<line x1="{pos:.1f}" x2="{pos:.1f}" y1="10" y2="{TIMELINE_H - 30}" stroke="#e15759" '
                      f'stroke-dasharray="4"/><text x="{pos + 3:.1f}" y="20" font-size="11" fill="#e15759">'
                      f'{_e(r["model"])} released</text>')
    axis = (f'<text x="40" y="{TIMELINE_H - 10}" font-size="11">{_e(str(t0)[:16])}</text>'
            f'<text x="{TIMELINE_W - 140}" y="{TIMELINE_H - 10}" font-size="11">{_e(str(t1)[:16])}</text>'
            f'<text x="2" y="20" font-size="11">{peak}/h</text>')
    return f'<svg width="{TIMELINE_W}" height="{TIMELINE_H}">{bars}{marks}{axis}</svg>'


def report_html(cluster: dict[str, Any], q: dict[str, list[dict[str, Any]]], timeline: pd.DataFrame,
                releases: list[dict[str, Any]], run_id: str, parameters: dict[str, Any], redacted: bool) -> str:
    contributions = json.loads(cluster.get("contributions") or "[]")
    contrib_rows = [{"feature": c["feature"], "points": c["points"], "reason": c["reason"]}
                    for c in sorted(contributions, key=lambda c: -abs(c["points"]))]
    reasons = "".join(f"<li>{_e(r)}</li>" for r in cluster.get("reasons") or [])
    members = q.get("cluster_members", [])
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>ringtrace evidence: {_e(cluster.get('cluster_id'))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Evidence report: cluster {_e(cluster.get('cluster_id'))}</h1>",
        f"<p>Detection run {_e(run_id)}; {_e(cluster.get('size'))} accounts; "
        f"{'flagged' if cluster.get('flagged') else 'not flagged'}; resolution {_e(parameters.get('resolution'))}, "
        f"seed {_e(parameters.get('seed'))}.{' Personal data redacted.' if redacted else ''}</p>",
        "<h2>Summary</h2>", f"<p class='score'>Score {_e(cluster.get('score'))}</p><ul>{reasons}</ul>",
        "<h2>Score breakdown</h2>", _table(contrib_rows, ["feature", "points", "reason"]),
        "<h2>Attribution</h2>",
        _table(q.get("cluster_attribution", []), ["target_kind", "rank", "target_id", "name", "confidence", "evidence"]),
        "<h2>Infrastructure used</h2>",
        _table(q.get("cluster_infrastructure", []), ["service", "accounts", "exit_nodes", "events", "proxy_types"]),
        "<h2>Activity timeline</h2>", timeline_svg(timeline, releases),
        "<h2>Top prompt templates</h2>",
        _table(q.get("cluster_top_templates", []), ["template", "members", "requests", "outside_users"]),
        "<h2>Members</h2>",
        _table(members, ["account_id", "email", "created_at", "verified", "plan", "requests", "claimed_org"],
               MAX_MEMBER_ROWS),
        "</body></html>",
    ]
    return "\n".join(parts)


def graph_html(g: nx.MultiDiGraph, cluster: dict[str, Any]) -> str:
    """The evidence graph drawn by pyvis, with vis-network inlined (works offline)."""
    from pyvis.network import Network

    # pyvis prints its `heading` twice; the page gets one title of ours instead.
    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    net.set_options(json.dumps({"layout": {"improvedLayout": False},
                                "physics": {"stabilization": {"iterations": STABILISATION_ITERATIONS}}}))
    nodes = list(g.nodes(data=True))
    if len(nodes) > MAX_DRAWN_NODES:  # keep the cluster, attribution targets and the busiest items
        degree = dict(g.degree())
        keep = {n for n, d in nodes if d["label"] in ("Cluster", "Organisation", "Person")}
        keep |= set(sorted((n for n, _ in nodes), key=lambda n: -degree[n])[: MAX_DRAWN_NODES - len(keep)])
        nodes = [(n, d) for n, d in nodes if n in keep]
    drawn = {n for n, _ in nodes}
    for n, d in nodes:
        colour, shape = NODE_STYLE.get(d["label"], ("#999", "dot"))
        # data values are escaped: a crafted name must not become markup or script in the page
        net.add_node(n, label=_e(d["key"]), title=_e(f"{d['label']}: {d['key']}"), color=colour, shape=shape,
                     size=30 if d["label"] == "Cluster" else 12)
    for u, v, d in g.edges(data=True):
        if u in drawn and v in drawn:
            net.add_edge(u, v, title=_e(d["type"]))
    page = net.generate_html(notebook=False)
    title = f"Cluster {cluster.get('cluster_id')}" if cluster.get("cluster_id") else "Evidence graph"
    page = re.sub(r"<h1>\s*</h1>", "", page)  # pyvis's empty heading slots
    page = page.replace("<body>", f"<body>\n<h1 style=\"font-family:sans-serif\">{_e(title)}</h1>", 1)
    page = page.replace("</body>", FREEZE_AFTER_LAYOUT + "\n</body>", 1)
    return _REMOTE_TAG.sub("", page)
