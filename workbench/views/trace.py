"""Trace: a cluster (or an account's cluster) back to organisations and people, paths listed and drawn."""
from __future__ import annotations

import streamlit as st

from ringtrace.core.rights import can
from tracing.chains import chains
from workbench import data
from workbench.canvas import canvas, legend
from workbench.progress import page_progress
from workbench.provenance import visit
from workbench.session import graph, latest_run, read, short_cluster_id, traced, user
from workbench.text import md
from workbench.widgets import attribution_tables, pick_cluster

TRACE_GRAPH_HEIGHT_PX = 520
CHAINS_DRAWN = 24


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
    again = can(user()[1], "trace") and st.button("Trace again", key=f"trace-again-{cid}",
                                                  help="Recompute this cluster's attribution and save it")
    with page_progress("Tracing the cluster") as progress:
        result = traced(cid, progress, again=again)
    attribution_tables(result)
    trace_canvas(cid, result)


def trace_canvas(cid: str, result) -> None:
    """The actual chains from the cluster to each ranked candidate, strongest first, drawn left to right
    (cluster -> items -> staff member -> organisation) and listed in words."""
    cluster = read(data.CLUSTER, cluster_id=cid)[0]["cluster"]
    found = chains(result, f"Cluster {short_cluster_id(cid)}: {cluster['size']:,} accounts")
    if not found:
        st.caption("No evidence path to draw.")
        return
    st.subheader("Evidence paths, strongest first")
    nodes: dict = {}
    edges: set = set()
    captions: dict = {}
    widths: dict = {}
    for ch in found[:CHAINS_DRAWN]:
        for i, step in enumerate(ch.steps):
            nodes.setdefault(step.key, {"label": step.label, "props": {}, "caption": step.caption,
                                        "users": cluster["size"] if i == 0 else ch.accounts,
                                        "flagged": bool(cluster.get("flagged")) and i == 0})
        for (a, b), rel in zip(zip(ch.steps, ch.steps[1:]), ch.relations):
            pair = (a.key, b.key)
            edges.add((a.key, b.key, rel))
            last = b is ch.steps[-1]
            text = f"{rel} ({ch.evidence.replace('_', ' ')}, {ch.strength:.2f})" if last else rel
            if pair not in captions or widths[pair] < 1 + 5 * ch.strength:
                captions[pair], widths[pair] = text, round(1 + 5 * ch.strength, 2)
    legend(sorted({n["label"] for n in nodes.values()}))
    canvas(nodes, edges, f"trace-graph-{cid}", layout="hierarchy", height=TRACE_GRAPH_HEIGHT_PX,
           edge_captions=captions, edge_widths=widths, actions=False)
    if len(found) > CHAINS_DRAWN:
        st.caption(f"Drawing the {CHAINS_DRAWN} strongest of {len(found):,} chains; all are listed below.")
    for ch in found:
        st.markdown(f"- **{md(ch.target.name)}** ({ch.target.target_kind}, rank {ch.target.rank}): {md(ch.text())}")
