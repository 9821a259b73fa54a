"""Trace: a cluster (or an account's cluster) back to organisations and people, paths listed and drawn."""
from __future__ import annotations

import streamlit as st

from workbench import data
from workbench.provenance import visit
from workbench.session import graph, latest_run, traced
from workbench.text import md
from workbench.widgets import attribution_tables, draw, pick_cluster

TRACE_GRAPH_HEIGHT_PX = 420


def render() -> None:
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
        cid = pick_cluster("trace-pick")
    if not cid:
        return
    visit("Trace", open_cluster=cid)
    result = traced(cid)
    attribution_tables(result)
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
