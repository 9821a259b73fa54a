"""Self-contained HTML for bundles: the narrative report and the pyvis graph (no network needed)."""
from __future__ import annotations

import html
import json
import re
from typing import Any

import networkx as nx
import pandas as pd
from pyvis.network import Network

from graph import model
from workbench.cluster_graph import build, node_size

MAX_DRAWN_NODES = 1500
MAX_MEMBER_ROWS = 5000
TIMELINE_W, TIMELINE_H = 900, 220
# label -> vis-network shape; colours and captions are the graph model's (graph/model.py), as on the workbench
NODE_SHAPE = {
    "Account": "dot", "Cluster": "star", "PaymentCard": "square", "Device": "triangle", "IPAddress": "diamond",
    "Organisation": "box", "Person": "ellipse", "EmailDomain": "dot", "APIKey": "hexagon", "Proxy": "triangleDown",
    "PromptTemplate": "dot", "Model": "box", "Identifier": "square",
}
GROUP_STYLE = {"AccountGroup": ("#4e79a7", "hexagon"), "Evidence": ("#79706e", "dot"),
               "InfrastructureGroup": ("#bab0ac", "dot")}
NODE_STYLE = {**{label: (model.LABEL[label].colour or "#999", shape) for label, shape in NODE_SHAPE.items()},
              **GROUP_STYLE}  # label -> (colour, shape)
KIND_NAMES = {"AccountGroup": "Account group", "InfrastructureGroup": "Infrastructure (grouped)",
              **{label.name: label.caption for label in model.LABELS if label.caption}}
MARKERS = (("#d62728", 3, "in a flagged cluster"), ("#000000", 6, "confirmed by a case"),
           ("#2ca02c", 4, "cleared as a false positive"))
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
                releases: list[dict[str, Any]], run_id: str, parameters: dict[str, Any], redacted: bool,
                paths: list[str] | None = None, raster: str | None = None) -> str:
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
        "<h2>Evidence paths, strongest first</h2>",
        ("<ol class='paths'>" + "".join(f"<li>{_e(p)}</li>" for p in paths) + "</ol>") if paths
        else "<p>No evidence path from this cluster to an organisation or a person.</p>",
        "<h2>Infrastructure used</h2>",
        _table(q.get("cluster_infrastructure", []), ["service", "accounts", "exit_nodes", "events", "proxy_types"]),
        "<h2>Activity timeline</h2>", timeline_svg(timeline, releases),
        *(["<h2>Accounts by time: this cluster beside other accounts</h2>", raster] if raster is not None else []),
        "<h2>Top prompt templates</h2>",
        _table(q.get("cluster_top_templates", []), ["template", "members", "requests", "outside_users"]),
        "<h2>Members</h2>",
        _table(members, ["account_id", "email", "created_at", "verified", "plan", "requests", "claimed_org"],
               MAX_MEMBER_ROWS),
        "</body></html>",
    ]
    return "\n".join(parts)


def graph_html(g: nx.MultiDiGraph, cluster: dict[str, Any], names: dict[str, dict[str, Any]] | None = None,
               flagged: bool = False, decisions: dict[str, str] | None = None) -> str:
    """The evidence graph drawn by pyvis as the workbench draws it (workbench/cluster_graph.py): accounts
    grouped, infrastructure collapsed per service, every node captioned by name or short id and sized by the
    accounts using it, flagged and decided accounts marked, with a legend; vis-network inlined (offline)."""
    rows = [{"source_label": g.nodes[u]["label"], "source": g.nodes[u]["key"], "type": d["type"],
             "target_label": g.nodes[v]["label"], "target": g.nodes[v]["key"]} for u, v, d in g.edges(data=True)]
    drawn_graph = build(rows, names=names, flagged=flagged, decisions=decisions)
    nodes = drawn_graph.nodes
    if len(nodes) > MAX_DRAWN_NODES:  # keep the cluster, attribution targets and the most used items
        keep = {k for k, n in nodes.items() if n["label"] in ("Cluster", "Organisation", "Person")}
        keep |= set(sorted(nodes, key=lambda k: -nodes[k].get("users", 0))[: MAX_DRAWN_NODES - len(keep)])
        nodes = {k: n for k, n in nodes.items() if k in keep}
    # pyvis prints its `heading` twice; the page gets one title of ours instead.
    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    net.set_options(json.dumps({"layout": {"improvedLayout": False},
                                "physics": {"barnesHut": {"gravitationalConstant": -6000, "springLength": 140},
                                            "stabilization": {"iterations": STABILISATION_ITERATIONS}}}))
    for k, n in nodes.items():
        colour, shape = NODE_STYLE.get(n["label"], ("#999", "dot"))
        border, width = "#555555", 1
        for mark_colour, mark_width, _ in MARKERS:
            if (mark_width == 3 and n.get("flagged")) or (mark_width == 6 and n.get("decision") == "confirmed") \
                    or (mark_width == 4 and n.get("decision") == "false_positive"):
                border, width = mark_colour, mark_width
        # data values are escaped: a crafted name must not become markup or script in the page
        net.add_node(k, label=_e(n["caption"]), shape=shape, size=node_size(n.get("users", 1)) // 2,
                     title=_e(f"{KIND_NAMES.get(n['label'], n['label'])}: {n['caption']} "
                              f"({n.get('users', 0)} account(s))"),
                     color={"background": colour, "border": border}, borderWidth=width)
    for u, v, t in sorted(drawn_graph.edges):
        if u in nodes and v in nodes:
            net.add_edge(u, v, title=_e(t), color="#a0a0a0")
    page = net.generate_html(notebook=False)
    title = f"Cluster {cluster.get('cluster_id')}" if cluster.get("cluster_id") else "Evidence graph"
    page = re.sub(r"<h1>\s*</h1>", "", page)  # pyvis's empty heading slots
    grouped = [n["caption"] for n in nodes.values() if n["label"] in ("AccountGroup", "InfrastructureGroup")]
    head = (f'<h1 style="font-family:sans-serif">{_e(title)}</h1>\n'
            + legend_html(sorted({n["label"] for n in nodes.values()}), grouped))
    page = page.replace("<body>", f"<body>\n{head}", 1)
    page = page.replace("</body>", FREEZE_AFTER_LAYOUT + "\n</body>", 1)
    return _REMOTE_TAG.sub("", page)


def legend_html(kinds: list[str], grouped: list[str]) -> str:
    """The legend of graph.html: colour per kind, the account markers, what was grouped (escaped)."""
    parts = [f'<span style="white-space:nowrap;margin-right:1em"><span style="display:inline-block;width:.8em;'
             f'height:.8em;background:{NODE_STYLE.get(k, ("#999", "dot"))[0]};margin-right:.3em"></span>'
             f"{_e(KIND_NAMES.get(k, k))}</span>" for k in kinds]
    parts += [f'<span style="white-space:nowrap;margin-right:1em"><span style="display:inline-block;width:.7em;'
              f'height:.7em;border:3px solid {c};border-radius:50%;margin-right:.3em"></span>{_e(text)}</span>'
              for c, _, text in MARKERS]
    parts.append("<span>size: accounts using it</span>")
    shown = "; ".join(grouped[:12]) + (f"; and {len(grouped) - 12} more" if len(grouped) > 12 else "")
    note = f"<p>Grouped: {_e(shown)}. The nodes.csv and graph.graphml files list every node.</p>" if grouped else ""
    return ('<div class="ringtrace-legend" style="font-family:sans-serif;font-size:.9em;margin:.5em 0">'
            f"<b>Legend:</b> {''.join(parts)}{note}</div>")
