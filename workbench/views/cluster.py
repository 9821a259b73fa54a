"""Cluster: score breakdown, reasons, members, activity, infrastructure, attribution, the evidence
graph, export and notes."""
from __future__ import annotations

import copy
import json

import pandas as pd
import streamlit as st

from graph.db import LABEL_KEYS
from queries import library
from workbench import cluster_graph, data, provenance
from workbench.behaviour_view import more_like_these, raster_section
from workbench.canvas import canvas, legend
from workbench.case_controls import cases_here, open_case_control
from workbench.explain import flag_verdict, member_table
from workbench.node_panel import node_panel
from workbench.provenance import visit
from workbench.session import (
    CACHE_TTL_S,
    actor,
    cached_saved_query,
    frame,
    go,
    graph,
    large_query,
    origin_accounts,
    read,
    saved_query,
    short_cluster_id,
    traced,
    version_key,
)
from workbench.text import md
from workbench.views.explore import open_in_explore
from workbench.widgets import (
    CANVAS_NODE_CAP,
    attribution_tables,
    bar_spec,
    bundle_button,
    notes_panel,
    pick_cluster,
    requests_table,
    timeline,
)
from workflows import export as bundles

MEMBER_PAGE = 100
MEMBERS_READ = 100_000
MEMBER_TABLES_KEPT = 16
# Evidence rows read for the cluster graph: every one of the seed's largest cluster (110,410 rows for 8,415
# accounts; the drawing itself is grouped and capped at CANVAS_NODE_CAP nodes).
EVIDENCE_EDGE_LIMIT = 200_000
# What the node cap keeps first: the groups and what the evidence leads to, then the most used.
CAP_ORDER = {"Organisation": 0, "Person": 0, "Cluster": 0, cluster_graph.INFRA_GROUP: 1, cluster_graph.ACCOUNT_GROUP: 2}
DRAWINGS_KEPT = 4


def render() -> None:
    st.header("Cluster")
    cid = pick_cluster("cluster-pick")
    if not cid:
        return
    visit("Cluster", open_cluster=cid)
    cluster = read(data.CLUSTER, cluster_id=cid)[0]["cluster"]
    st.metric("Score", f"{cluster['score']:.2f}")  # no delta: an arrow would say "up" for "not flagged"
    st.markdown(md(flag_verdict(cid, cluster)))
    cases_here(f"cluster-{cid}", origin_accounts(cid))
    st.subheader("Reasons")
    for r in cluster.get("reasons") or []:
        st.markdown(f"- {md(r)}")
    st.subheader("Score breakdown")
    contrib = pd.DataFrame(json.loads(cluster.get("contributions") or "[]"))
    if not contrib.empty:
        st.vega_lite_chart(contrib[["feature", "points"]], bar_spec("feature", "points"), width="stretch")
        st.table(contrib[["feature", "points", "reason"]].set_index("feature"))  # a table wraps its reasons
    mdf = members_of(cid)
    st.subheader(f"Members ({len(mdf):,})")
    pages = max(1, (len(mdf) + MEMBER_PAGE - 1) // MEMBER_PAGE)
    page = st.number_input("Page", 1, pages, 1, key="member-page") if pages > 1 else 1
    st.dataframe(mdf.iloc[(page - 1) * MEMBER_PAGE: page * MEMBER_PAGE], width="stretch", hide_index=True)
    st.subheader("Activity")
    timeline(mdf["account_id"].tolist() if not mdf.empty else [], "hour")
    # read and drawn only when asked: 500 rows the page would otherwise send and draw on every visit
    if st.toggle("Individual requests behind the aggregates (newest first)", key=f"requests-{cid}"):
        requests_table(mdf["account_id"].tolist() if not mdf.empty else [])
    st.subheader("Accounts by time: this cluster beside other accounts")
    raster_section(cid, mdf["account_id"].tolist() if not mdf.empty else [], int(cluster["size"]))
    with st.expander("More accounts like these"):
        more_like_these(graph(), f"cluster-{cid}", mdf["account_id"].tolist() if not mdf.empty else [], cid)
    st.subheader("Infrastructure used")
    infra = saved_query("cluster_infrastructure", cluster_id=cid)
    st.dataframe(frame(infra.rows), width="stretch", hide_index=True)
    st.subheader("Attribution")
    result = traced(cid)
    attribution_tables(result)
    st.subheader("Graph")
    cluster_graph_view(cid)
    _export_button(cid)
    st.subheader("Case")
    open_case_control(f"cluster-{cid}", f"Cluster {short_cluster_id(cid)}: {cluster['size']:,} accounts", cid)
    st.subheader("Notes")
    el = graph().read("MATCH (c:Cluster {cluster_id: $c}) RETURN elementId(c) AS e", {"c": cid})[0]["e"]
    notes_panel(el, f"cluster-{cid}")


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=MEMBER_TABLES_KEPT)
def _member_table(params_json: str, version: str) -> pd.DataFrame:
    return member_table(frame(cached_saved_query("cluster_members", params_json, version).rows))


def members_of(cid: str) -> pd.DataFrame:
    """The cluster's member table, made once per data version: at 8,410 members, turning the saved query's rows
    (Neo4j times) into the table took 1.2 s and unpickling them from the cache 1 s on every run."""
    params = {"cluster_id": cid, "limit": MEMBERS_READ}
    provenance.record(library.get("cluster_members").text, params, saved="cluster_members")
    return _member_table(json.dumps(params, sort_keys=True, default=str), version_key())


def cluster_graph_view(cid: str) -> None:
    """The cluster's evidence graph: accounts grouped, infrastructure collapsed per service, captions, a
    legend, and a side panel for the clicked node (expand, hide, open its page, add to case)."""
    ev = large_query("bundle_evidence_graph", EVIDENCE_EDGE_LIMIT, cluster_id=cid, limit=EVIDENCE_EDGE_LIMIT)
    if ev.truncated:
        st.caption(f"The graph is drawn from the first {len(ev.rows):,} evidence rows of this cluster.")
    ids = {"Organisation": set(), "Person": set()}
    for e in ev.rows:
        for label, value in ((e["source_label"], e["source"]), (e["target_label"], e["target"])):
            if label in ids:
                ids[label].add(value)
    names = {f"{r['label']}:{r['id']}": {"name": r["name"], "kind": r["kind"]}
             for r in read(cluster_graph.NAMES, orgs=sorted(ids["Organisation"]), people=sorted(ids["Person"]))}
    decisions = {r["account_id"]: r["decision"] for r in read(cluster_graph.DECISIONS_OF_CLUSTER, cluster_id=cid)}
    flagged = bool(read(data.CLUSTER, cluster_id=cid)[0]["cluster"].get("flagged"))
    state = st.session_state.setdefault(f"cluster-canvas-{cid}", {"expanded": set(), "hidden": set(),
                                                                   "nodes": {}, "edges": set(), "note": ""})

    def drawing(hidden: tuple[str, ...]):
        # one build per cluster, expanded groups, hidden kinds and data version in this session (1-2 s at
        # 8,000 accounts), not one per click; a copy, since expanded nodes are added to what it returns
        memo = st.session_state.setdefault("cluster-drawings", {})
        key = (cid, tuple(sorted(state["expanded"])), hidden, version_key(), tuple(sorted(decisions.items())))
        if key not in memo:
            while len(memo) >= DRAWINGS_KEPT:
                memo.pop(next(iter(memo)))
            memo[key] = cluster_graph.build(ev.rows, set(hidden), names=names, expanded=state["expanded"],
                                            flagged=flagged, decisions=decisions)
        return copy.deepcopy(memo[key])

    kinds = drawing(()).kinds()
    hidden_kinds = st.multiselect("Hide kinds", kinds, key=f"hide-kinds-{cid}")
    g = drawing(tuple(sorted(hidden_kinds)))
    for k, n in state["nodes"].items():
        g.nodes.setdefault(k, n)
    g.edges |= {e for e in state["edges"] if e[0] in g.nodes and e[1] in g.nodes}
    if g.grouped:
        st.caption(f"{g.accounts:,} accounts: accounts that pay with the same cards (else share the same "
                   "identifiers or devices) are drawn as one account group, and items only one account uses "
                   "are left out.")
    if g.collapsed:
        st.caption("Infrastructure is grouped: " + md(", ".join(g.nodes[k]["caption"] for k in g.collapsed))
                   + ". Click a group and Expand to draw what it stands for.")
    nodes = {k: n for k, n in g.nodes.items() if k not in state["hidden"]}
    kept = sorted(nodes, key=lambda k: (CAP_ORDER.get(nodes[k]["label"], 3), -int(nodes[k].get("users") or 1)))
    shown = {k: nodes[k] for k in kept[:CANVAS_NODE_CAP]}
    if len(nodes) > CANVAS_NODE_CAP:
        st.caption(f"Showing {len(shown):,} of {len(nodes):,} nodes; hide kinds or open Explore for more.")
    if (state["expanded"] or state["nodes"]) and st.button("Group infrastructure again and drop expanded nodes",
                                                           key=f"regroup-{cid}"):
        state["expanded"].clear()
        state["nodes"].clear()
        state["edges"].clear()
        state["note"] = ""
        st.rerun()
    if state["hidden"] and st.button(f"Show the {len(state['hidden'])} hidden node(s)", key=f"unhide-{cid}"):
        state["hidden"].clear()
        st.rerun()
    legend(sorted({n["label"] for n in shown.values()}))
    left, right = st.columns([3, 2])
    with left:
        event = canvas(shown, g.edges, f"cluster-graph-{cid}")
    if event and event.node_ids:
        state["selected"] = event.node_ids[-1]
        if event.action in ("expand", "remove"):
            _cluster_action(cid, g, state, event.node_ids[-1], "expand" if event.action == "expand" else "hide")
            st.rerun()
    if state.get("note"):
        left.caption(md(state["note"]))
    selected = state.get("selected")
    with right:
        if selected not in shown:
            st.caption("Click a node to see its properties, its case and what to do with it.")
            return
        node = shown[selected]
        action = node_panel(graph(), selected, node, f"cluster-node-{cid}", _accounts_of(g, selected),
                            context_accounts=origin_accounts(cid))
    if action:
        _cluster_action(cid, g, state, selected, action)
        st.rerun()


def _accounts_of(g, key: str) -> list[str]:
    """The accounts a node of the cluster graph stands for (an account, a group) or that use it."""
    n = g.nodes[key]
    if n["label"] == "Account":
        return [n["props"]["account_id"]]
    if n["label"] == "AccountGroup":
        return list(n["members"])
    out: list[str] = []
    for u, v, _ in g.edges:
        other = u if v == key else v if u == key else None
        if other and g.nodes[other]["label"] == "Account":
            out.append(g.nodes[other]["props"]["account_id"])
        elif other and g.nodes[other]["label"] == "AccountGroup":
            out.extend(g.nodes[other]["members"])
    return sorted(set(out))


def _cluster_action(cid: str, g, state: dict, key: str, action: str) -> None:
    """Expand (a group into its members; any other node into its most telling neighbours), hide or open."""
    node = g.nodes.get(key)
    if node is None:
        return
    if action == "hide":
        state["hidden"].add(key)
        return
    if action == "open":
        if node["label"] == "Cluster":
            go("Cluster", open_cluster=node["props"]["cluster_id"])
        element = cluster_graph.element_of(graph(), key)
        if element:
            full = graph().read(data.NODE, {"element_id": element})
            open_in_explore(element, node["label"], full[0]["props"] if full else node["props"])
        state["note"] = "Groups have no page of their own: expand them instead."
        return
    if key in g.collapsed:
        state["expanded"].add(key)
        what = "addresses" if "addresses" in node["props"] else "items"
        state["note"] = f"Drew the {len(g.collapsed[key]):,} {what} of {node['caption']}."
        return
    if node["label"] == "AccountGroup":
        members = node["members"]
        for a in members[:cluster_graph.NEIGHBOUR_PAGE]:
            state["nodes"][f"Account:{a}"] = {"label": "Account", "props": {"account_id": a}, "caption": a,
                                              "flagged": node.get("flagged"), "users": 1}
            state["edges"].add((f"Account:{a}", key, "IN_GROUP"))
        state["note"] = (f"Showing {min(len(members), cluster_graph.NEIGHBOUR_PAGE):,} of {len(members):,} "
                         "accounts of the group.")
        return
    element = cluster_graph.element_of(graph(), key)
    if element is None:
        return
    rows, total = cluster_graph.telling_neighbours(graph(), element, [], cid)
    added = 0
    for r in rows:
        label = r["label"]
        nkey = f"{label}:{r['props'].get(LABEL_KEYS.get(label, 'id'))}"
        if nkey not in g.nodes and nkey not in state["nodes"]:
            added += 1
            state["nodes"][nkey] = {"label": label, "props": r["props"], "users": 1,
                                    "caption": cluster_graph.caption(label, r["props"])}
        state["edges"].add((key, nkey, r["type"]) if r["outgoing"] else (nkey, key, r["type"]))
    tied = sum(1 for r in rows if r["shared"])
    state["note"] = (f"{node['caption']}: showing {len(rows):,} of {total:,} neighbours, most telling first "
                     f"({tied:,} tied to this cluster, then the rarest); {added:,} new on the canvas.")


def _export_button(cid: str) -> None:
    bundle_button(cid, "Prepare evidence bundle", "Download bundle", f"{cid}.zip",
                  lambda out, redact: bundles.export_cluster(graph(), actor(), cid, out, redact))
