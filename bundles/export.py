"""Evidence bundles: one ZIP with a hashed manifest, report, graph files, queries and STIX.

`export_cluster` gathers everything through the same saved queries an investigator
can run, optionally redacts it (one Redactor for every file, so a masked name is the
same masked name everywhere), renders the files and writes the ZIP with a manifest
of sizes and SHA-256 digests (bundles/manifest.py).
"""
from __future__ import annotations

import html
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from bundles import manifest, raster, render, stix
from detection import behaviour
from graph.db import Graph, node_key, plain
from loaders import logstore
from queries import library, runner
from ringtrace import __version__
from ringtrace.core import config, outbound, safecsv
from ringtrace.core.errors import RingtraceError
from tracing.attribution import Attribution, stored, trace_cluster
from tracing.chains import chains
from workbench import cluster_graph

BUNDLE_QUERIES = ("cluster_members", "cluster_attribution", "cluster_infrastructure", "cluster_top_templates",
                  "bundle_evidence_graph")
BUNDLE_ROW_CAP = 1_000_000
EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
CLUSTER_INFO = """
MATCH (c:Cluster {cluster_id: $cluster_id})-[:FOUND_BY]->(d:DetectionRun)
RETURN c {.*} AS cluster, d.run_id AS run_id, d.parameters AS parameters, d.started_at AS run_started
"""
RELEASES = """
MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model) WHERE r.release
RETURN e.event_id AS event_id, e.ts AS ts, m.name AS model, e.description AS description ORDER BY ts
"""


class Redactor:
    """Masks emails, people's names and card digits the same way in every file of a bundle."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.names: dict[str, str] = {}

    def email(self, text: Any) -> Any:
        if not self.enabled or not isinstance(text, str):
            return text
        return EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)

    def name(self, text: Any) -> Any:
        if not self.enabled or not isinstance(text, str) or not text:
            return text
        return self.names.setdefault(text, f"Person {len(self.names) + 1}")

    def text(self, text: Any) -> Any:
        """Free text: emails masked, and every known name replaced by its mask."""
        if not self.enabled or not isinstance(text, str):
            return text
        out = self.email(text)
        for real, masked in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
            out = out.replace(real, masked)
        return out

    def value(self, key: str, value: Any) -> Any:
        if not self.enabled:
            return value
        if isinstance(value, list):
            return [self.value(key, v) for v in value]
        k = key.lower()
        if k in ("last4", "bin"):
            return "****" if value else value
        if k in ("name", "billing_name", "target_name") or k.endswith("_name") and "org" not in k:
            return self.name(value)
        return self.text(value)


@dataclass
class BundleData:
    cluster: dict[str, Any]
    run_id: str
    parameters: dict[str, Any]
    queries: dict[str, runner.QueryResult]
    query_params: dict[str, dict[str, Any]]
    timeline: pd.DataFrame
    releases: list[dict[str, Any]]
    people_names: list[str]
    # captions of the graph's organisations and people ("Label:id" -> {name, kind}), decided accounts, and the
    # attribution's evidence chains in words (strongest first)
    names: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    raster: pd.DataFrame = field(default_factory=pd.DataFrame)  # behaviour.raster cells of the members (issue 29)


def _plain(v: Any) -> Any:
    """JSON- and CSV-friendly values (Neo4j and pandas temporals as ISO text)."""
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.isoformat()
    return plain(v)


def gather(graph: Graph, cluster_id: str) -> BundleData:
    info = graph.read(CLUSTER_INFO, {"cluster_id": cluster_id})
    if not info:
        raise RingtraceError(f"No cluster {cluster_id}. `ringtrace query flagged_clusters` lists them.")
    params = {"cluster_id": cluster_id}
    results, used = {}, {}
    for name in BUNDLE_QUERIES:
        used[name] = dict(params)
        results[name] = runner.run_saved(graph, name, params, row_cap=BUNDLE_ROW_CAP)
    members = [r["account_id"] for r in results["cluster_members"].rows]
    timeline = logstore.activity(members, "hour") if members else pd.DataFrame()
    raster = behaviour.raster(members, config.RASTER_ROWS, config.RASTER_COLUMNS)
    people = graph.read("MATCH (p:Person) RETURN p.name AS name")
    cluster = info[0]["cluster"]
    found = chains(attribution_of(graph, cluster_id), f"Cluster {cluster_id}: {cluster.get('size')} accounts")
    return BundleData(cluster=_plain(info[0]["cluster"]), run_id=info[0]["run_id"],
                      parameters=json.loads(info[0]["parameters"] or "{}"), queries=results, query_params=used,
                      timeline=timeline, releases=[_plain(r) for r in graph.read(RELEASES)],
                      people_names=[p["name"] for p in people if p["name"]],
                      names=cluster_graph.names_for(graph, results["bundle_evidence_graph"].rows),
                      decisions=cluster_graph.decisions_of(graph, cluster_id),
                      paths=[f"{c.target.name} ({c.target.target_kind}, rank {c.target.rank}): {c.text()}"
                             for c in found], raster=raster)


def attribution_of(graph: Graph, cluster_id: str) -> Attribution:
    """The attribution a trace saved for the cluster (what the Overview and the Trace page show, and what
    the bundle's `cluster_attribution` query reads), computed only when none is saved or it was saved before
    evidence paths were kept."""
    saved = stored(graph, cluster_id)
    if saved is not None and (not saved.reported() or any(c.paths for c in saved.reported())):
        return saved
    return trace_cluster(graph, cluster_id)


def _redacted_rows(rows: list[dict[str, Any]], red: Redactor) -> list[dict[str, Any]]:
    return [{k: red.value(k, _plain(v)) for k, v in r.items()} for r in rows]


def evidence_graph(edges: list[dict[str, Any]]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for e in edges:
        s = f"{e['source_label']}:{e['source']}"
        t = f"{e['target_label']}:{e['target']}"
        g.add_node(s, label=e["source_label"], key=str(e["source"]))
        g.add_node(t, label=e["target_label"], key=str(e["target"]))
        g.add_edge(s, t, type=e["type"])
    return g


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = safecsv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode()


def graph_files(g: nx.MultiDiGraph, title: str | None, names: dict[str, dict[str, Any]] | None = None,
                flagged: bool = False, decisions: dict[str, str] | None = None) -> dict[str, bytes]:
    """graph.html (pyvis, offline; grouped, captioned, with a legend), graph.graphml, nodes.csv and edges.csv
    of one evidence graph."""
    nodes = [{"id": n, "label": d["label"], "key": d["key"]} for n, d in g.nodes(data=True)]
    edges = [{"source": u, "target": v, "type": d["type"]} for u, v, d in g.edges(data=True)]
    graphml = io.BytesIO()
    nx.write_graphml(g, graphml)
    return {
        "graph.html": render.graph_html(g, {"cluster_id": title}, names, flagged, decisions).encode(),
        "graph.graphml": graphml.getvalue(),
        "nodes.csv": _csv(nodes, ["id", "label", "key"]),
        "edges.csv": _csv(edges, ["source", "target", "type"]),
    }


def raster_html(data: BundleData) -> str:
    """The accounts x time raster of the cluster beside other accounts, with its caption (bundles/raster.py)."""
    size = int(data.cluster.get("size") or 0)
    if data.raster.empty:
        return raster.raster_svg(data.raster, size)
    return f"<p>{html.escape(raster.caption(data.raster, size))}</p>" + raster.raster_svg(data.raster, size)


def render_files(data: BundleData, redact: bool) -> dict[str, bytes]:
    """Every file of the bundle, by its name inside the ZIP."""
    red = Redactor(redact)
    for n in data.people_names:  # register names first so free text is masked consistently
        red.name(n)
    q = {name: _redacted_rows(res.rows, red) for name, res in data.queries.items()}
    cluster = {k: red.value(k, v) for k, v in data.cluster.items()}
    g = evidence_graph(q["bundle_evidence_graph"])
    names = {k: {**v, "name": red.name(v.get("name")) if k.startswith("Person:") else v.get("name")}
             for k, v in data.names.items()}
    files: dict[str, bytes] = {
        **graph_files(g, cluster.get("cluster_id"), names, bool(cluster.get("flagged")), data.decisions),
        "report.html": render.report_html(cluster, q, data.timeline, data.releases, data.run_id,
                                          data.parameters, redact, [red.text(p) for p in data.paths],
                                          raster_html(data)).encode(),
        "stix.json": json.dumps(stix.bundle(cluster, q), indent=1, sort_keys=True).encode(),
    }
    for name, res in data.queries.items():
        files[f"queries/{name}.cypher"] = library.get(name).text.encode()
        files[f"queries/{name}.json"] = json.dumps(
            {"query": name, "parameters": data.query_params[name], "columns": res.columns,
             "truncated": res.truncated, "rows": q[name]}, indent=1, default=str).encode()
    return files


def export_cluster(graph: Graph, cluster_id: str, out: Path, analyst: str, redact: bool = False,
                   signing_key: Path | None = None, extra_files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Write the bundle ZIP for one cluster (plus `extra_files`, e.g. a case record); returns its manifest."""
    data = gather(graph, cluster_id)
    files = {**render_files(data, redact), **(extra_files or {})}
    meta = _meta(graph, analyst, redact, detection_run={"run_id": data.run_id, "parameters": data.parameters},
                 cluster={"cluster_id": cluster_id, "size": data.cluster.get("size"),
                          "score": data.cluster.get("score")})
    return manifest.write_zip(out, files, meta, signing_key)


def _meta(graph: Graph, analyst: str, redact: bool, **subject: Any) -> dict[str, Any]:
    """The manifest's description of a bundle: id, time, analyst, versions, server, and what it is of. A
    redacted bundle leaves for outside the team: it names no server address; otherwise the URI is named
    without any user info or query values it carries."""
    server = {"version": graph.server_version(), "database": graph.database}
    if not redact:
        server["uri"] = outbound.redact(graph.settings.uri)
    return {"bundle_id": str(uuid.uuid4()), "created_at": datetime.now(timezone.utc).isoformat(), "analyst": analyst,
            "ringtrace_version": __version__, "neo4j": server, **subject, "redacted": redact}


CAMPAIGN_INFO = """
MATCH (k:Campaign {campaign_id: $campaign_id})-[:FOUND_BY]->(d:DetectionRun)
OPTIONAL MATCH (c:Cluster)-[:PART_OF]->(k)
WITH k, d, c ORDER BY c.rank
RETURN k {.*} AS campaign, d.run_id AS run_id, d.parameters AS parameters, collect(c.cluster_id) AS clusters
"""
CAMPAIGN_ATTRIBUTION = """
MATCH (k:Campaign {campaign_id: $campaign_id})-[r:ATTRIBUTED_TO]->(t)
RETURN r.rank AS rank, r.target_kind AS target_kind, coalesce(t.org_id, t.person_id) AS target_id,
       t.name AS target_name, r.confidence AS confidence, r.clusters AS clusters, r.evidence AS evidence
ORDER BY r.target_kind, r.rank
"""


def export_campaign(graph: Graph, campaign_id: str, out: Path, analyst: str, redact: bool = False,
                    signing_key: Path | None = None, extra_files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """One bundle for a campaign: `campaign.json` (reasons, clusters, attribution across them) and each
    member cluster's files under `clusters/<id>/`; returns its manifest."""
    info = graph.read(CAMPAIGN_INFO, {"campaign_id": campaign_id})
    if not info:
        raise RingtraceError(f"No campaign {campaign_id}. `ringtrace detect` prints the campaigns of a run.")
    red = Redactor(redact)
    for n in graph.read("MATCH (p:Person) RETURN p.name AS name"):
        if n["name"]:
            red.name(n["name"])
    attribution = [{k: red.value(k, _plain(v)) for k, v in r.items()}
                   for r in graph.read(CAMPAIGN_ATTRIBUTION, {"campaign_id": campaign_id})]
    files = {"campaign.json": json.dumps({"campaign": _plain(info[0]["campaign"]), "clusters": info[0]["clusters"],
                                          "attribution": attribution}, indent=1, default=str).encode()}
    for cid in info[0]["clusters"]:
        for name, payload in render_files(gather(graph, cid), redact).items():
            files[f"clusters/{cid.rsplit('-', 1)[-1]}/{name}"] = payload
    files.update(extra_files or {})
    campaign = info[0]["campaign"]
    meta = _meta(graph, analyst, redact,
                 detection_run={"run_id": info[0]["run_id"], "parameters": json.loads(info[0]["parameters"] or "{}")},
                 kind=f"campaign {campaign_id}",
                 campaign={"campaign_id": campaign_id, "clusters": info[0]["clusters"],
                           "accounts": campaign.get("accounts"), "score": campaign.get("score")})
    return manifest.write_zip(out, files, meta, signing_key)


def export_canvas(graph: Graph, nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]], out: Path,
                  analyst: str, redact: bool = False, signing_key: Path | None = None) -> dict[str, Any]:
    """A verifiable bundle of what is on the workbench's Explore canvas (no cluster needed)."""
    red = Redactor(redact)
    for n in graph.read("MATCH (p:Person) RETURN p.name AS name"):
        if n["name"]:
            red.name(n["name"])
    g = nx.MultiDiGraph()
    key_of = {}
    for nid, n in nodes.items():
        props = {k: red.value(k, plain(v)) for k, v in n["props"].items() if k not in ("contributions", "features")}
        key = str(red.value("key", node_key(props, default=nid, label=n["label"])))
        key_of[nid] = f"{n['label']}:{key}"
        g.add_node(key_of[nid], label=n["label"], key=key)
    for u, v, t in sorted(edges):
        if u in key_of and v in key_of:
            g.add_edge(key_of[u], key_of[v], type=t)
    files = graph_files(g, "Explore canvas")
    meta = _meta(graph, analyst, redact, canvas={"nodes": g.number_of_nodes(), "edges": g.number_of_edges()})
    return manifest.write_zip(out, files, meta, signing_key)
