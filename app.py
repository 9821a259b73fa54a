"""The ringtrace workbench (Streamlit): `ringtrace app` or `streamlit run app.py`.

Every page calls the same functions as the CLI (detection.run, tracing.attribution,
queries.runner, bundles.export, loaders.logstore); workbench/data.py holds only the
Cypher the CLI has no use for (overview counts, search, neighbours, notes).
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from workbench import auth, data
from workbench.text import md

log = logging.getLogger("ringtrace.workbench")
PAGES = ("Overview", "Cluster", "Explore", "Trace", "Queries")
CANVAS_NODE_CAP = 300
TRACE_GRAPH_HEIGHT_PX = 420
NEIGHBOUR_PAGE = 50
MEMBER_PAGE = 100
CACHE_TTL_S = 300


VERSION_KEY = """
OPTIONAL MATCH (l:LoadRun) WITH max(l.started_at) AS loaded
OPTIONAL MATCH (d:DetectionRun) WITH loaded, max(d.started_at) AS detected
RETURN coalesce(toString(loaded), '-') + '|' + coalesce(toString(detected), '-') AS v
"""


class UserError(Exception):
    """Shown to the user as is: what went wrong and what to do."""


def friendly(render: Callable[[], None]) -> None:
    """Run a page; users see a short message, the server log gets the stack trace."""
    from neo4j.exceptions import AuthError, ServiceUnavailable

    from ringtrace.errors import RingtraceError

    try:
        render()
    except (UserError, RingtraceError) as exc:
        st.error(md(exc))
    except ServiceUnavailable:
        log.error("Neo4j unavailable:\n%s", traceback.format_exc())
        st.error("Neo4j is not reachable. Start it with `ringtrace neo4j start` (or check NEO4J_URI), "
                 "then reload this page.")
    except AuthError:
        st.error("Neo4j refused the credentials. Check NEO4J_USER / NEO4J_PASSWORD.")
    except Exception as exc:  # never show a stack trace to a user
        log.error("page failed:\n%s", traceback.format_exc())
        st.error(f"Something went wrong ({type(exc).__name__}). The details are in the server log; "
                 "try again, or report what you did.")


@st.cache_resource
def _graph(uri: str, user_name: str):
    from graph.db import connect, server_settings

    return connect(server_settings())


def graph():
    """The shared connection to the configured server (re-opened if it went away)."""
    from graph.db import server_settings

    settings = server_settings()
    g = _graph(settings.uri, settings.user)
    try:
        g.driver.verify_connectivity()
    except Exception:
        _graph.clear()
        g = _graph(settings.uri, settings.user)
    return g


def user() -> tuple[str, str]:
    return st.session_state.get("user", auth.LOCAL_USER), st.session_state.get("role", "admin")


def audit(action: str, details: dict[str, Any]) -> None:
    from ringtrace import audit as audit_log

    audit_log.record(user()[0], action, details)


def version_key() -> str:
    """Changes when a new load or detection run lands; cached reads are keyed on it."""
    g = graph()
    rows = g.read(VERSION_KEY)
    return rows[0]["v"] or "empty"


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_read(query: str, params_json: str, version: str) -> list[dict[str, Any]]:
    from graph.db import plain

    return [plain(r) for r in graph().read(query, json.loads(params_json))]


def read(query: str, **params: Any) -> list[dict[str, Any]]:
    return cached_read(query, json.dumps(params, default=str, sort_keys=True), version_key())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_activity(accounts_json: str | None, bucket: str, version: str) -> pd.DataFrame:
    from loaders import logstore

    accounts = json.loads(accounts_json) if accounts_json else None
    return logstore.activity(accounts, bucket)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_saved_query(name: str, params_json: str, version: str):
    """A saved query's result, computed once per load or detection run (same function as the CLI)."""
    from queries import runner

    return runner.run_saved(graph(), name, json.loads(params_json))


def saved_query(name: str, **params: Any):
    return cached_saved_query(name, json.dumps(params, sort_keys=True, default=str), version_key())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_trace(cluster_id: str, version: str):
    """A cluster's attribution, computed once per run (tracing.attribution.trace_cluster, as `ringtrace trace`)."""
    from tracing.attribution import trace_cluster

    return trace_cluster(graph(), cluster_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_requests(accounts_json: str, limit: int, version: str) -> pd.DataFrame:
    from loaders import logstore

    return logstore.requests_of(json.loads(accounts_json), limit)


def timeline(accounts: list[str] | None, bucket: str = "hour") -> None:
    """Requests over time by model, with model releases marked."""
    import altair as alt

    df = cached_activity(json.dumps(accounts) if accounts is not None else None, bucket, version_key())
    if df.empty:
        st.info("No request log stored for this selection.")
        return
    df = df.copy()
    df["bucket"] = pd.to_datetime(df["bucket"], utc=True)
    bars = alt.Chart(df).mark_bar().encode(x=alt.X("bucket:T", title=None), y=alt.Y("requests:Q", stack=True),
                                           color="model:N", tooltip=["bucket:T", "model:N", "requests:Q"])
    releases = pd.DataFrame(read("MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model) WHERE r.release "
                                 "RETURN toString(e.ts) AS ts, m.name AS model"))
    layers = [bars]
    if not releases.empty:
        releases["ts"] = pd.to_datetime(releases["ts"], utc=True)
        releases = releases[(releases["ts"] >= df["bucket"].min()) & (releases["ts"] <= df["bucket"].max())]
        if not releases.empty:
            layers.append(alt.Chart(releases).mark_rule(color="red", strokeDash=[4, 4]).encode(
                x="ts:T", tooltip=["model:N", "ts:T"]))
    st.altair_chart(alt.layer(*layers).properties(height=220), width="stretch")


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    from graph.db import plain

    return pd.DataFrame([plain(r) for r in rows])


REQUEST_ROWS_SHOWN = 500


def requests_table(accounts: list[str]) -> None:
    """The raw request-log rows of some accounts, from the log store (drill-down)."""

    rows = cached_requests(json.dumps(accounts), REQUEST_ROWS_SHOWN, version_key())
    if rows.empty:
        st.caption("No request log stored for these accounts.")
    else:
        st.caption(f"Latest {len(rows):,} requests (at most {REQUEST_ROWS_SHOWN}).")
        st.dataframe(rows, width="stretch", hide_index=True)


def latest_run() -> dict[str, Any] | None:
    rows = read(data.LATEST_DETECTION)
    return rows[0] if rows else None


def notes_panel(element_id: str, key: str) -> None:
    rows = graph().read(data.NOTES_OF, {"element_id": element_id})
    for n in rows:
        st.caption(f"{md(n['author'])} · {md(str(n['created_at'])[:16])}")
        st.text(n["text"])
    name, role = user()
    if auth.can(role, "note"):
        with st.form(f"note-{key}", clear_on_submit=True):
            text = st.text_area("Add a note", key=f"note-text-{key}")
            if st.form_submit_button("Save note") and text.strip():
                data.add_note(graph(), element_id, text.strip(), name)
                audit("note", {"element_id": element_id})
                st.success("Note saved.")
    else:
        st.caption("Viewers cannot write notes.")


def draw(nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]], key: str,
         selected: str | None = None, height: int | None = None) -> str | None:
    """Draw nodes and edges with vis-network (colour and shape by type, size by score, tooltips);
    returns the id of the node the user clicked last, if any."""
    from bundles.render import NODE_STYLE
    from workbench.canvas import CANVAS_HEIGHT_PX
    from workbench.canvas import canvas as canvas_component

    vis_nodes = []
    for nid, n in nodes.items():
        colour, shape = NODE_STYLE.get(n["label"], ("#999", "dot"))
        tip = "\n".join(f"{k}: {v}" for k, v in list(n["props"].items())[:8] if k not in ("contributions", "features"))
        vis_nodes.append({"id": nid, "label": data.display_key(n["label"], n["props"]), "title": f"{n['label']}\n{tip}",
                          "color": colour, "shape": shape,
                          "size": 12 + min(30, float(n["props"].get("score") or 0) * 2)})
    vis_edges = [{"from": u, "to": v, "title": t} for u, v, t in sorted(edges) if u in nodes and v in nodes]
    return canvas_component(vis_nodes, vis_edges, selected, key=key, height=height or CANVAS_HEIGHT_PX)


# --- pages ---------------------------------------------------------------------------

OVERVIEW_KINDS = ("Account", "Organisation", "Person", "IPAddress", "PaymentCard", "Device", "Identifier", "APIKey",
                  "Proxy", "PromptTemplate", "EmailDomain", "Model", "Cluster")
INTERNAL_KINDS = ("LoadRun", "DetectionRun", "Note")
METRICS_PER_ROW = 6


def when(value: Any) -> str:
    """A time as an investigator reads it: to the second, in UTC, no nanoseconds."""
    if value in (None, "", "-"):
        return "-"
    ts = pd.Timestamp(str(value))
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def page_overview() -> None:
    st.header("Overview")
    counts = {c["label"]: c["n"] for c in read(data.OVERVIEW_COUNTS)}
    if not counts or all(n == 0 for n in counts.values()):
        st.info("No data loaded yet. Load a dataset with `ringtrace load DATASET_DIR` "
                "(or `ringtrace demo` for the sample), then reload.")
        return
    shown = [k for k in OVERVIEW_KINDS if k in counts] + sorted(k for k in counts if k not in OVERVIEW_KINDS
                                                                and k not in INTERNAL_KINDS)
    for start in range(0, len(shown), METRICS_PER_ROW):
        for col, kind in zip(st.columns(METRICS_PER_ROW), shown[start:start + METRICS_PER_ROW]):
            col.metric(kind, f"{counts[kind]:,}")
    span = read(data.DATA_SPAN)[0]
    st.caption(md(f"Requests from {when(span['first_request'])} to {when(span['last_request'])}; "
                  f"sign-ups from {when(span['first_signup'])} to {when(span['last_signup'])}"))
    with st.expander("Load runs"):
        runs = pd.DataFrame(read(data.LOAD_RUNS))
        if not runs.empty:
            runs["started_at"] = runs["started_at"].map(when)
        st.dataframe(runs, width="stretch", hide_index=True)
    run = latest_run()
    if run is None:
        st.warning("No detection run yet: run `ringtrace detect` to flag clusters.")
    else:
        st.subheader(f"Latest detection: {md(run['run_id'])}")
        st.caption(md(f"{run['flagged']} flagged of {run['clusters']} clusters, started {when(run['started_at'])}. "
                      "Click a row to open its cluster."))
        flagged_clusters_table(run["run_id"])
    st.subheader("Request volume")
    timeline(None, "day")


def flagged_clusters_table(run_id: str) -> None:
    """The run's flagged clusters; selecting a row opens that cluster."""
    rows = [c for c in read(data.CLUSTERS_OF_RUN, run_id=run_id) if c["flagged"]]
    if not rows:
        st.info("No cluster of this run is flagged.")
        return
    table = pd.DataFrame([{"cluster": short_cluster_id(c["cluster_id"]), "rank": c["rank"], "accounts": c["size"],
                           "score": round(c["score"], 2), "top organisation": c["top_org"],
                           "confidence": c["org_confidence"], "reasons": " | ".join(c["top_reasons"] or []),
                           "cluster_id": c["cluster_id"]} for c in rows])
    event = st.dataframe(
        table, width="stretch", hide_index=True, on_select="rerun", selection_mode="single-row",
        key="overview-clusters", column_order=[c for c in table.columns if c != "cluster_id"],
        column_config={"reasons": st.column_config.TextColumn(width="large")})
    picked = event.selection.rows if event is not None else []
    if picked:
        st.session_state["open_cluster"] = table.iloc[picked[0]]["cluster_id"]
        st.session_state["goto"] = "Cluster"
        st.session_state.pop("overview-clusters", None)  # coming back to Overview must not jump again
        st.rerun()


def short_cluster_id(cluster_id: str) -> str:
    from graph.cluster_ids import short_cluster_id as short

    return short(cluster_id)


def _pick_cluster(key: str) -> str | None:
    run = latest_run()
    if run is None:
        st.info("No detection run yet: run `ringtrace detect` first.")
        return None
    clusters = read(data.CLUSTERS_OF_RUN, run_id=run["run_id"])
    if not clusters:
        st.info("The latest detection run found no clusters.")
        return None
    options = [c["cluster_id"] for c in clusters]
    labels = {c["cluster_id"]: f"#{c['rank']} {'FLAGGED ' if c['flagged'] else ''}score {c['score']:.1f} · "
              f"{c['size']} accounts · {short_cluster_id(c['cluster_id'])} · {c['cluster_id']}" for c in clusters}
    typed = st.text_input("Open a cluster by id (full, or short like c0001)", key=f"{key}-typed").strip()
    if typed and typed != st.session_state.get(f"{key}-applied"):
        from graph.cluster_ids import resolve_cluster_id

        st.session_state[f"{key}-applied"] = typed
        st.session_state["open_cluster"] = resolve_cluster_id(graph(), typed)
    preset = st.session_state.pop("open_cluster", None)  # a one-time request from a link or button
    if preset in options:
        st.session_state[key] = preset
    return st.selectbox("Cluster", options, format_func=labels.get, key=key)


def page_cluster() -> None:

    st.header("Cluster")
    cid = _pick_cluster("cluster-pick")
    if not cid:
        return
    cluster = read(data.CLUSTER, cluster_id=cid)[0]["cluster"]
    st.metric("Score", f"{cluster['score']:.2f}", "flagged" if cluster["flagged"] else "not flagged")
    st.subheader("Reasons")
    for r in cluster.get("reasons") or []:
        st.markdown(f"- {md(r)}")
    st.subheader("Score breakdown")
    contrib = pd.DataFrame(json.loads(cluster.get("contributions") or "[]"))
    if not contrib.empty:
        st.bar_chart(contrib.set_index("feature")["points"])
        st.dataframe(contrib[["feature", "points", "reason"]], width="stretch", hide_index=True)
    members = saved_query("cluster_members", cluster_id=cid, limit=100000)
    mdf = frame(members.rows)
    st.subheader(f"Members ({len(mdf):,})")
    pages = max(1, (len(mdf) + MEMBER_PAGE - 1) // MEMBER_PAGE)
    page = st.number_input("Page", 1, pages, 1, key="member-page") if pages > 1 else 1
    st.dataframe(mdf.iloc[(page - 1) * MEMBER_PAGE: page * MEMBER_PAGE], width="stretch", hide_index=True)
    st.subheader("Activity")
    timeline(mdf["account_id"].tolist() if not mdf.empty else [], "hour")
    with st.expander("Individual requests behind the aggregates (newest first)"):
        requests_table(mdf["account_id"].tolist() if not mdf.empty else [])
    st.subheader("Infrastructure used")
    infra = saved_query("cluster_infrastructure", cluster_id=cid)
    st.dataframe(frame(infra.rows), width="stretch", hide_index=True)
    st.subheader("Attribution")
    result = cached_trace(cid, version_key())
    _attribution_tables(result)
    st.subheader("Graph")
    cluster_graph_view(cid)
    _export_button(cid)
    st.subheader("Notes")
    el = graph().read("MATCH (c:Cluster {cluster_id: $c}) RETURN elementId(c) AS e", {"c": cid})[0]["e"]
    notes_panel(el, f"cluster-{cid}")


def legend(kinds: list[str]) -> None:
    """Colour and shape of each kind drawn (our own labels and colours only, never data)."""
    from bundles.render import NODE_STYLE

    parts = []
    for kind in kinds:
        colour, shape = NODE_STYLE.get(kind, ("#999", "dot"))
        parts.append(f'<span style="display:inline-block;width:.8em;height:.8em;background:{colour};'
                     f'border-radius:{"50%" if shape in ("dot", "ellipse") else "0"};margin:0 .3em 0 .9em"></span>'
                     f"{kind} ({shape})")
    st.html('<div class="ringtrace-legend" style="font-size:.85em">Legend:' + "".join(parts) + "</div>")


def cluster_graph_view(cid: str) -> None:
    """The cluster's evidence graph: nodes named by id, a legend, kinds that can be hidden, grouped accounts."""
    from workbench import cluster_graph

    ev = saved_query("bundle_evidence_graph", cluster_id=cid, limit=5000)
    everything = cluster_graph.build(ev.rows)
    kinds = everything.kinds()
    hidden = st.multiselect("Hide kinds", kinds, key=f"hide-kinds-{cid}")
    g = cluster_graph.build(ev.rows, set(hidden)) if hidden else everything
    if g.grouped:
        st.caption(f"{g.accounts:,} accounts: accounts that use exactly the same items are drawn as one "
                   "AccountGroup node; open Explore to see single accounts.")
    shown = dict(list(g.nodes.items())[:CANVAS_NODE_CAP])
    if len(g.nodes) > CANVAS_NODE_CAP:
        st.caption(f"Showing {len(shown):,} of {len(g.nodes):,} nodes; hide kinds or open Explore for more.")
    legend(sorted({n["label"] for n in shown.values()}))
    draw(shown, g.edges, f"cluster-graph-{cid}")


def _attribution_tables(result) -> None:
    from tracing.attribution import REPORTING_THRESHOLD

    for title, cands in (("organisation", result.organisations), ("person", result.people)):
        if cands:
            top = cands[0]
            weak = "" if top.confidence >= REPORTING_THRESHOLD else " — below the reporting threshold"
            st.markdown(f"Top-ranked {title}: **{md(top.name)}** ({md(top.target_id)}), confidence "
                        f"{top.confidence:.2f}{weak}")
    for title, cands in (("Organisations", result.organisations), ("People", result.people)):
        rows = [{"rank": c.rank, "id": c.target_id, "name": c.name, "confidence": c.confidence,
                 "evidence": c.evidence_text()} for c in cands]
        st.markdown(f"**{title}**")
        if rows:
            st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)
        else:
            st.caption("No evidence path found.")
    if result.infrastructure:
        st.caption("Infrastructure (not the originator): " +
                   ", ".join(f"{md(r['service'])} ({r['accounts']} accounts)" for r in result.infrastructure))


def _export_button(cid: str) -> None:
    from bundles.export import export_cluster

    name, role = user()
    if not auth.can(role, "export"):
        st.caption("Viewers cannot export evidence bundles.")
        return
    redact = st.checkbox("Redact personal data", key=f"redact-{cid}")
    if st.button("Prepare evidence bundle", key=f"export-{cid}"):
        out = Path(tempfile.mkdtemp()) / f"{cid}.zip"
        manifest = export_cluster(graph(), cid, out, name, redact)
        audit("export", {"cluster_id": cid, "bundle_id": manifest["bundle_id"], "redacted": redact})
        st.session_state[f"bundle-{cid}"] = (out.name, out.read_bytes())
        shutil.rmtree(out.parent, ignore_errors=True)
    if f"bundle-{cid}" in st.session_state:  # stays: the download can be clicked again
        file_name, payload = st.session_state[f"bundle-{cid}"]
        st.download_button("Download bundle", payload, file_name=file_name, mime="application/zip",
                           key=f"download-{cid}", on_click="ignore")


def _export_canvas_button(canvas: dict[str, Any]) -> None:
    from bundles.export import export_canvas

    name, role = user()
    if not auth.can(role, "export"):
        return
    if st.button("Prepare canvas bundle", key="export-canvas"):
        out = Path(tempfile.mkdtemp()) / "canvas.zip"
        manifest = export_canvas(graph(), canvas["nodes"], canvas["edges"], out, name,
                                 st.session_state.get("redact-canvas", False))
        audit("export", {"canvas_nodes": len(canvas["nodes"]), "bundle_id": manifest["bundle_id"]})
        st.session_state["bundle-canvas"] = out.read_bytes()
        shutil.rmtree(out.parent, ignore_errors=True)
    if "bundle-canvas" in st.session_state:
        st.download_button("Download canvas bundle", st.session_state["bundle-canvas"], file_name="canvas.zip",
                           mime="application/zip", key="download-canvas", on_click="ignore")
    st.checkbox("Redact personal data in the canvas bundle", key="redact-canvas")


def _canvas() -> dict[str, Any]:
    return st.session_state.setdefault("canvas", {"nodes": {}, "edges": set(), "expanded": {}})


def page_explore() -> None:
    st.header("Explore")
    canvas = _canvas()
    q = st.text_input("Search any identifier by its start, or a name by any part (account, email, IP, card, device, "
                      "API key, proxy, template, domain, cluster, identifier of any kind, person, organisation, model)", key="search")
    if q:
        hits = data.search(graph(), q)
        if st.session_state.get("audited_search") != q:  # a page rerun is not a new search
            st.session_state["audited_search"] = q
            audit("search", {"q": q, "hits": len(hits)})
        if not hits:
            st.info(f"Nothing matches {md(repr(q))}.")
        for h in hits[:20]:
            key = data.display_key(h["label"], h["props"])
            if st.button(f"Add {md(h['label'])} {md(key)}", key=f"add-{h['element_id']}"):
                canvas["nodes"][h["element_id"]] = {"label": h["label"], "props": h["props"]}
                st.session_state["selected"] = h["element_id"]
    labels = ["Account", "IPAddress", "PaymentCard", "Device", "Identifier", "Person", "Organisation", "APIKey",
              "Cluster", "PromptTemplate", "Model", "EmailDomain", "Proxy", "Note"]
    c1, c2, c3 = st.columns(3)
    only = c1.multiselect("Neighbour types", labels, key="filter-types")
    since = c2.text_input("Active since (ISO date)", key="filter-since") or None
    until = c3.text_input("Active until (ISO date)", key="filter-until") or None
    if not canvas["nodes"]:
        st.info("Search and add a node to start the canvas.")
        return
    ids = list(canvas["nodes"])
    selected = st.session_state.get("selected")
    if selected not in ids:
        selected = ids[0]
    left, right = st.columns([2, 1])
    with left:
        clicked = draw_canvas(canvas, selected)
    if clicked in ids and clicked != st.session_state.get("last_clicked"):
        st.session_state["last_clicked"] = clicked
        selected = clicked  # clicking a node on the canvas selects it
    with right:
        selected = st.selectbox("Selected node (or click one on the canvas)", ids, index=ids.index(selected),
                                format_func=lambda i: f"{canvas['nodes'][i]['label']} "
                                                      f"{data.display_key(canvas['nodes'][i]['label'], canvas['nodes'][i]['props'])}")
    st.session_state["selected"] = selected
    b1, b2, b3 = st.columns(3)
    if b1.button("Expand selected", key="expand"):
        _expand(canvas, selected, only, since, until)
        st.rerun()
    if b2.button("Collapse selected", key="collapse"):
        for nid in canvas["expanded"].pop(selected, []):
            canvas["nodes"].pop(nid, None)
        canvas["edges"] = {e for e in canvas["edges"] if e[0] in canvas["nodes"] and e[1] in canvas["nodes"]}
        st.rerun()
    if b3.button("Clear canvas", key="clear"):
        st.session_state["canvas"] = {"nodes": {}, "edges": set(), "expanded": {}}
        st.rerun()
    _export_canvas_button(canvas)
    node = canvas["nodes"][selected]
    with right:
        st.markdown(f"**{md(node['label'])}**")
        st.json({k: str(v) for k, v in node["props"].items() if k not in ("contributions", "features")},
                expanded=True)
        if node["label"] == "Account":
            with st.expander("Requests of this account"):
                requests_table([node["props"]["account_id"]])
            run = latest_run()
            rows = graph().read(data.ACCOUNT_CLUSTER, {"account_id": node["props"]["account_id"],
                                                       "run_id": run["run_id"]}) if run else []
            if rows and st.button(f"Open cluster {md(rows[0]['cluster_id'])}", key="open-cluster"):
                st.session_state["open_cluster"] = rows[0]["cluster_id"]
                st.session_state["goto"] = "Cluster"
                st.rerun()
        if node["label"] == "Cluster" and st.button("Open this cluster", key="open-this-cluster"):
            st.session_state["open_cluster"] = node["props"]["cluster_id"]
            st.session_state["goto"] = "Cluster"
            st.rerun()
        notes_panel(selected, f"node-{selected}")


def draw_canvas(canvas: dict[str, Any], selected: str) -> str | None:
    """The Explore canvas; returns the node the user clicked."""
    st.caption(f"Showing {len(canvas['nodes']):,} nodes (cap {CANVAS_NODE_CAP}); click a node to select it.")
    if st.session_state.get("canvas_note"):
        st.info(md(st.session_state["canvas_note"]))
    return draw(canvas["nodes"], canvas["edges"], "explore-canvas", selected)


def _expand(canvas: dict[str, Any], nid: str, only: list[str], since: str | None, until: str | None) -> None:
    room = CANVAS_NODE_CAP - len(canvas["nodes"])
    if room <= 0:
        st.session_state["canvas_note"] = (f"The canvas holds {len(canvas['nodes'])} nodes, its cap; "
                                           "collapse something first.")
        return
    rows, total = data.neighbours(graph(), nid, only, since, until, min(room, NEIGHBOUR_PAGE))
    added = []
    for r in rows:
        if r["element_id"] not in canvas["nodes"]:
            canvas["nodes"][r["element_id"]] = {"label": r["label"], "props": r["props"]}
            added.append(r["element_id"])
        edge = (nid, r["element_id"], r["type"]) if r["outgoing"] else (r["element_id"], nid, r["type"])
        canvas["edges"].add(edge)
    canvas["expanded"].setdefault(nid, []).extend(added)
    st.session_state["canvas_note"] = (
        f"Showing {len(rows):,} of {total:,} neighbours of the node; expand again for more "
        "(or narrow the types and time window)." if total > len(rows) else "")


def page_trace() -> None:

    st.header("Trace")
    account = st.text_input("Account id (or leave empty and pick a cluster)", key="trace-account")
    cid = None
    if account:
        run = latest_run()
        rows = graph().read(data.ACCOUNT_CLUSTER, {"account_id": account.strip(), "run_id": run["run_id"]}) \
            if run else []
        if not rows:
            st.info(f"{md(account)} is in no cluster of the latest detection run.")
            return
        cid = rows[0]["cluster_id"]
        st.caption(f"{md(account)} belongs to cluster {md(cid)}")
    else:
        cid = _pick_cluster("trace-pick")
    if not cid:
        return
    result = cached_trace(cid, version_key())
    _attribution_tables(result)
    nodes = {f"Cluster:{cid}": {"label": "Cluster", "props": {"cluster_id": cid}}}
    edges = set()
    for c in result.organisations[:5] + result.people[:5]:
        key = f"{'Organisation' if c.target_kind == 'organisation' else 'Person'}:{c.target_id}"
        nodes[key] = {"label": "Organisation" if c.target_kind == "organisation" else "Person",
                      "props": {"name": c.name, "confidence": c.confidence}}
        for p in c.paths:
            pk = f"Evidence:{c.target_id}:{p.kind}"
            nodes[pk] = {"label": "Evidence", "props": {"name": p.kind, "accounts": p.accounts}}
            edges.add((f"Cluster:{cid}", pk, p.kind))
            edges.add((pk, key, f"{p.strength:.2f}"))
    draw(nodes, edges, f"trace-graph-{cid}", height=TRACE_GRAPH_HEIGHT_PX)


def audited_query(run: Callable[[], Any], details: dict[str, Any]) -> Any:
    """Run a query; the audit log gets it whether it ran, was refused or failed."""
    from queries.guard import QueryRefused

    try:
        result = run()
    except QueryRefused as exc:
        audit("query_refused", {**details, "reason": str(exc)})
        raise
    except Exception as exc:
        audit("query_failed", {**details, "error": str(exc) or type(exc).__name__})
        raise
    audit("query", {**details, "rows": len(result.rows)})
    return result


def query_result(result) -> None:
    st.dataframe(frame(result.rows), width="stretch")
    if result.truncated:
        st.warning(f"Showing the first {result.row_cap:,} rows (row cap).")


def page_queries() -> None:
    from queries import library, runner

    st.header("Queries")
    lib = library.load_library()
    name = st.selectbox("Saved query", sorted(lib), format_func=lambda n: f"{n} — {lib[n].title}", key="q-name")
    q = lib[name]
    st.caption(md(q.description))
    raw = {}
    for p in q.params:
        raw[p.name] = st.text_input(md(f"{p.name} ({p.type}) — {p.description}"),
                                    value="" if p.default is None else (json.dumps(p.default) if p.type == "list"
                                                                        else str(p.default)), key=f"q-{name}-{p.name}")
    if st.button("Run", key="q-run"):
        st.session_state["saved-result"] = (name, audited_query(lambda: runner.run_saved(graph(), name, raw),
                                                                {"name": name, "params": raw}))
    if "saved-result" in st.session_state:  # kept while other queries run
        shown_name, result = st.session_state["saved-result"]
        st.caption(f"Result of {md(shown_name)}")
        query_result(result)
    st.subheader("Ad-hoc read-only Cypher")
    text = st.text_area("Cypher (read-only: writes, LOAD CSV and unlisted procedures are refused)", key="adhoc")
    if st.button("Run Cypher", key="adhoc-run") and text.strip():
        st.session_state["adhoc-result"] = audited_query(lambda: runner.run_text(graph(), text), {"text": text})
    if "adhoc-result" in st.session_state:
        query_result(st.session_state["adhoc-result"])
    _, role = user()
    if auth.can(role, "save_query"):
        with st.expander("Save a query to your library"):
            body = st.text_area("Query file (header lines `// name:`, `// title:`, `// param:` ... then Cypher)",
                                key="save-body")
            if st.button("Validate and save", key="save-run") and body.strip():
                saved = runner.save_user_query(graph(), body)
                audit("save_query", {"name": saved.name})
                st.success(f"Saved {md(saved.name)}.")


def listen_address() -> str | None:
    """The address this Streamlit server actually listens on (its own `server.address` option)."""
    return st.get_option("server.address")


def client_address() -> str | None:
    try:
        return st.context.ip_address
    except Exception:  # not served over a socket (AppTest)
        return None


def login() -> bool:
    """Show only the login form until valid credentials are given (any bind but loopback)."""
    from ringtrace import audit as audit_log

    if not auth.login_required(listen_address()) or st.session_state.get("user"):
        return True
    st.title("ringtrace")
    with st.form("login"):
        name = st.text_input("User", key="login-user")
        password = st.text_input("Password", type="password", key="login-password")
        if st.form_submit_button("Sign in"):
            client = client_address()
            wait = auth.locked_for(name, client)
            if wait > 0:
                audit_log.record(name, "login_refused", {"client": client, "locked_for_s": round(wait)})
                st.error(f"Too many failed sign-ins for this user or from this address; try again in "
                         f"{wait / 60:.0f} min.")
                return False
            role = auth.check(name, password)
            if role:
                auth.record_success(name, client)
                st.session_state["user"], st.session_state["role"] = name, role
                audit_log.record(name, "login", {"role": role, "client": client})
                st.rerun()
            auth.record_failure(name, client)
            audit_log.record(name, "login_failed", {"client": client})
            st.error("Wrong user or password.")
    return False


def main() -> None:
    from ringtrace import config

    st.set_page_config(page_title="ringtrace", layout="wide")
    config.ensure_private_home()
    if not login():
        return
    name, role = user()
    st.sidebar.title("ringtrace")
    st.sidebar.caption(f"Signed in as {name} ({role})")
    if "goto" in st.session_state:  # a button asked for another page on the previous run
        st.session_state["page"] = st.session_state.pop("goto")
    page = st.sidebar.radio("Page", PAGES, key="page")
    render = {"Overview": page_overview, "Cluster": page_cluster, "Explore": page_explore,
              "Trace": page_trace, "Queries": page_queries}[page]
    friendly(render)


main()
