"""Cluster: score breakdown, reasons, members, activity, infrastructure, attribution, the evidence
graph, export and notes."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from workbench import data
from workbench.provenance import visit
from workbench.session import frame, graph, read, saved_query, short_cluster_id, traced, user
from workbench.text import md
from workbench.widgets import (
    CANVAS_NODE_CAP,
    attribution_tables,
    bundle_button,
    draw,
    legend,
    notes_panel,
    pick_cluster,
    requests_table,
    timeline,
)

MEMBER_PAGE = 100
# Evidence rows read for the cluster graph: enough for every member's cards and devices at seed scale
# (the drawing itself is grouped and capped at CANVAS_NODE_CAP nodes).
EVIDENCE_EDGE_LIMIT = 50_000


def render() -> None:
    st.header("Cluster")
    cid = pick_cluster("cluster-pick")
    if not cid:
        return
    visit("Cluster", open_cluster=cid)
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
    result = traced(cid)
    attribution_tables(result)
    st.subheader("Graph")
    cluster_graph_view(cid)
    _export_button(cid)
    st.subheader("Case")
    from workbench.views.cases import open_case_control

    open_case_control(f"cluster-{cid}", f"Cluster {short_cluster_id(cid)}: {cluster['size']:,} accounts", cid)
    st.subheader("Notes")
    el = graph().read("MATCH (c:Cluster {cluster_id: $c}) RETURN elementId(c) AS e", {"c": cid})[0]["e"]
    notes_panel(el, f"cluster-{cid}")


def cluster_graph_view(cid: str) -> None:
    """The cluster's evidence graph: nodes named by id, a legend, kinds that can be hidden, grouped accounts."""
    from workbench import cluster_graph

    ev = saved_query("bundle_evidence_graph", cluster_id=cid, limit=EVIDENCE_EDGE_LIMIT)
    everything = cluster_graph.build(ev.rows)
    kinds = everything.kinds()
    hidden = st.multiselect("Hide kinds", kinds, key=f"hide-kinds-{cid}")
    g = cluster_graph.build(ev.rows, set(hidden)) if hidden else everything
    if g.grouped:
        st.caption(f"{g.accounts:,} accounts: accounts that pay with the same cards (else share the same "
                   "identifiers or devices) are drawn as one AccountGroup node, and items only one account uses "
                   "are left out; open Explore to see single accounts.")
    shown = dict(list(g.nodes.items())[:CANVAS_NODE_CAP])
    if len(g.nodes) > CANVAS_NODE_CAP:
        st.caption(f"Showing {len(shown):,} of {len(g.nodes):,} nodes; hide kinds or open Explore for more.")
    legend(sorted({n["label"] for n in shown.values()}))
    draw(shown, g.edges, f"cluster-graph-{cid}")


def _export_button(cid: str) -> None:
    from bundles.export import export_cluster

    bundle_button(cid, "Prepare evidence bundle", "Download bundle", f"{cid}.zip",
                  lambda out, redact: export_cluster(graph(), cid, out, user()[0], redact), {"cluster_id": cid})
