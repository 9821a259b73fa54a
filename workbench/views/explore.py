"""Explore: search any kind, add nodes to a canvas, click to select, expand and collapse, notes,
and a bundle of what the canvas shows."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from workbench import auth, cluster_graph, data
from workbench.behaviour_view import more_like_these
from workbench.canvas import canvas as draw
from workbench.canvas import legend
from workbench.case_controls import open_case_control
from workbench.cluster_graph import caption
from workbench.node_panel import node_panel
from workbench.provenance import visit
from workbench.session import actor, audit, go, graph, latest_run
from workbench.text import md
from workbench.widgets import CANVAS_NODE_CAP, notes_panel, requests_table
from workflows import export as bundles

NEIGHBOUR_PAGE = 50
ACCOUNT_USERS = """
UNWIND $ids AS id
MATCH (n) WHERE elementId(n) = id
RETURN id AS element_id, COUNT { (n)--(:Account) } AS users
"""


def _export_canvas_button(canvas: dict[str, Any]) -> None:
    if not auth.can(actor().role, "export"):
        return
    if st.button("Prepare canvas bundle", key="export-canvas"):
        out = Path(tempfile.mkdtemp()) / "canvas.zip"
        bundles.export_canvas(graph(), actor(), canvas["nodes"], canvas["edges"], out,
                              st.session_state.get("redact-canvas", False))
        st.session_state["bundle-canvas"] = out.read_bytes()
        shutil.rmtree(out.parent, ignore_errors=True)
    if "bundle-canvas" in st.session_state:
        st.download_button("Download canvas bundle", st.session_state["bundle-canvas"], file_name="canvas.zip",
                           mime="application/zip", key="download-canvas", on_click="ignore")
    st.checkbox("Redact personal data in the canvas bundle", key="redact-canvas")


def _canvas() -> dict[str, Any]:
    return st.session_state.setdefault("canvas", {"nodes": {}, "edges": set(), "expanded": {}})


def render() -> None:
    st.header("Explore")
    visit("Explore")
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
        event, view = draw_canvas(canvas, selected)
    if event and event.node_ids and event.node_ids[-1] in view.collapsed:
        group = event.node_ids[-1]
        if event.action == "remove":
            for nid in view.collapsed[group]:
                _hide(canvas, nid)
        else:  # a group has no page or panel of its own: any click on it draws its members
            canvas.setdefault("open_groups", set()).add(group)
            st.session_state["canvas_note"] = f"Drew the members of {view.nodes[group]['caption']}."
        st.rerun()
    if event and event.node_ids and event.node_ids[-1] in ids:
        selected = event.node_ids[-1]  # clicking a node on the canvas selects it
        st.session_state["explore-pick"] = selected
        if event.action == "expand":
            _expand(canvas, selected, only, since, until)
            st.rerun()
        if event.action == "remove":
            _hide(canvas, selected)
            st.rerun()
    with right:
        if st.session_state.get("explore-pick") not in ids:
            st.session_state["explore-pick"] = selected
        nodes = canvas["nodes"]
        selected = st.selectbox("Selected node (or click one on the canvas)", ids, key="explore-pick",
                                format_func=lambda i: f"{nodes[i]['label']} {caption(nodes[i]['label'], nodes[i]['props'])}")
    st.session_state["selected"] = selected
    b2, b3 = st.columns(2)
    if b2.button("Collapse selected", key="collapse"):
        for nid in canvas["expanded"].pop(selected, []):
            canvas["nodes"].pop(nid, None)
        canvas["edges"] = {e for e in canvas["edges"] if e[0] in canvas["nodes"] and e[1] in canvas["nodes"]}
        st.rerun()
    if canvas.get("open_groups") and st.button("Group infrastructure again", key="regroup"):
        canvas["open_groups"].clear()
        st.rerun()
    if b3.button("Clear canvas", key="clear"):
        st.session_state["canvas"] = {"nodes": {}, "edges": set(), "expanded": {}}
        st.rerun()
    _export_canvas_button(canvas)
    on_canvas = sorted(n["props"]["account_id"] for n in canvas["nodes"].values() if n["label"] == "Account")
    if on_canvas:
        with st.expander(f"Open a case from the {len(on_canvas):,} account(s) on the canvas"):
            open_case_control("canvas", f"{len(on_canvas):,} accounts from the Explore canvas", accounts=on_canvas)
        with st.expander(f"More accounts like the {len(on_canvas):,} account(s) on the canvas"):
            more_like_these(graph(), "canvas", on_canvas, "accounts")
    node = canvas["nodes"][selected]
    with right:
        drawn = st.session_state.get("explore-drawn", {}).get(selected, node)
        accounts = [node["props"]["account_id"]] if node["label"] == "Account" else [
            canvas["nodes"][o]["props"]["account_id"] for u, v, _ in canvas["edges"] for o in (u, v)
            if selected in (u, v) and o != selected and canvas["nodes"].get(o, {}).get("label") == "Account"]
        action = node_panel(graph(), selected, {**node, **{k: drawn.get(k) for k in ("caption", "flagged",
                                                                                      "decision", "users")}},
                            "explore-node", accounts)
        if action == "expand":
            _expand(canvas, selected, only, since, until)
            st.rerun()
        if action == "hide":
            _hide(canvas, selected)
            st.rerun()
        if node["label"] == "Account":
            with st.expander("Requests of this account"):
                requests_table([node["props"]["account_id"]])
            run = latest_run()
            rows = graph().read(data.ACCOUNT_CLUSTER, {"account_id": node["props"]["account_id"],
                                                       "run_id": run["run_id"]}) if run else []
            if rows and (action == "open" or st.button(f"Open cluster {md(rows[0]['cluster_id'])}",
                                                       key="open-cluster")):
                go("Cluster", open_cluster=rows[0]["cluster_id"])
            elif action == "open":
                st.caption("This account is in no cluster of the latest run.")
        elif node["label"] == "Cluster" and (action == "open" or st.button("Open this cluster",
                                                                           key="open-this-cluster")):
            go("Cluster", open_cluster=node["props"]["cluster_id"])
        elif action == "open":
            st.caption(md(f"This is the page of the {node['label']}: expand it to see what it links to."))
        notes_panel(selected, f"node-{selected}")


def open_in_explore(element_id: str, label: str, props: dict[str, Any]) -> None:
    """Put a node on the Explore canvas, select it and open Explore (another page's "open its page")."""
    canvas = _canvas()
    canvas["nodes"].setdefault(element_id, {"label": label, "props": props})
    st.session_state["selected"] = element_id
    st.session_state["explore-pick"] = element_id
    go("Explore")


def _hide(canvas: dict[str, Any], nid: str) -> None:
    canvas["nodes"].pop(nid, None)
    canvas["edges"] = {e for e in canvas["edges"] if e[0] in canvas["nodes"] and e[1] in canvas["nodes"]}
    canvas["expanded"].pop(nid, None)


def draw_canvas(canvas: dict[str, Any], selected: str) -> tuple[Any, cluster_graph.ClusterGraph]:
    """The Explore canvas, accounts of flagged clusters and decided accounts marked, infrastructure grouped,
    with its legend; returns what the user did on it (a CanvasEvent, or None) and the drawing (its groups)."""
    st.caption(f"Showing {len(canvas['nodes']):,} nodes (cap {CANVAS_NODE_CAP}); click a node to select it, "
               "double-click to expand it.")
    if st.session_state.get("canvas_note"):
        st.info(md(st.session_state["canvas_note"]))
    run = latest_run()
    accounts = {nid: n["props"]["account_id"] for nid, n in canvas["nodes"].items() if n["label"] == "Account"}
    flags = cluster_graph.account_flags(graph(), list(accounts.values()), run["run_id"] if run else None)
    users = {r["element_id"]: r["users"] for r in graph().read(ACCOUNT_USERS, {"ids": list(canvas["nodes"])})}
    drawn = {}
    for nid, n in canvas["nodes"].items():
        f = flags.get(accounts.get(nid, ""), {})
        drawn[nid] = {**n, "caption": caption(n["label"], n["props"]), "flagged": bool(f.get("flagged")),
                      "decision": n["props"].get("decision") or f.get("decision"),
                      "users": 1 if n["label"] == "Account" else max(users.get(nid, 0), 1)}
    st.session_state["explore-drawn"] = drawn
    view = cluster_graph.group_canvas(drawn, canvas["edges"], canvas.setdefault("open_groups", set()),
                                      _pinned(canvas, selected))
    if view.collapsed:
        st.caption("Grouped: " + md(", ".join(view.nodes[k]["caption"] for k in view.collapsed))
                   + ". Click a group to draw its members.")
    legend(sorted({n["label"] for n in view.nodes.values()}))
    return draw(view.nodes, view.edges, "explore-canvas"), view


def _pinned(canvas: dict[str, Any], selected: str) -> set[str]:
    """What the investigator put on the canvas (added from a search or another page) and the selected node:
    drawn as they are, never folded into a group."""
    brought = {nid for added in canvas["expanded"].values() for nid in added}
    return {nid for nid in canvas["nodes"] if nid not in brought} | {selected}


def _expand(canvas: dict[str, Any], nid: str, only: list[str], since: str | None, until: str | None) -> None:
    room = CANVAS_NODE_CAP - len(canvas["nodes"])
    if room <= 0:
        st.session_state["canvas_note"] = (f"The canvas holds {len(canvas['nodes'])} nodes, its cap; "
                                           "collapse something first.")
        return
    rows, total = cluster_graph.telling_neighbours(graph(), nid, [k for k in canvas["nodes"] if k != nid], None,
                                                   only, since, until, min(room, NEIGHBOUR_PAGE))
    added = []
    for r in rows:
        if r["element_id"] not in canvas["nodes"]:
            canvas["nodes"][r["element_id"]] = {"label": r["label"], "props": r["props"]}
            added.append(r["element_id"])
        edge = (nid, r["element_id"], r["type"]) if r["outgoing"] else (r["element_id"], nid, r["type"])
        canvas["edges"].add(edge)
    canvas["expanded"].setdefault(nid, []).extend(added)
    tied = sum(1 for r in rows if r["shared"])
    st.session_state["canvas_note"] = (
        f"Showing {len(rows):,} of {total:,} neighbours, most telling first ({tied:,} tied to the canvas, "
        "then the rarest)" + ("; expand again for more (or narrow the types and time window)."
                              if total > len(rows) else "."))
