"""Explore: search any kind, add nodes to a canvas, click to select, expand and collapse, notes,
and a bundle of what the canvas shows."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from workbench import auth, data
from workbench.provenance import visit
from workbench.session import audit, go, graph, latest_run, user
from workbench.text import md
from workbench.widgets import CANVAS_NODE_CAP, draw, notes_panel, requests_table

NEIGHBOUR_PAGE = 50


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
    on_canvas = sorted(n["props"]["account_id"] for n in canvas["nodes"].values() if n["label"] == "Account")
    if on_canvas:
        from workbench.views.cases import open_case_control

        with st.expander(f"Open a case from the {len(on_canvas):,} account(s) on the canvas"):
            open_case_control("canvas", f"{len(on_canvas):,} accounts from the Explore canvas", accounts=on_canvas)
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
                go("Cluster", open_cluster=rows[0]["cluster_id"])
        if node["label"] == "Cluster" and st.button("Open this cluster", key="open-this-cluster"):
            go("Cluster", open_cluster=node["props"]["cluster_id"])
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
