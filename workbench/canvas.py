"""The workbench's graphs, drawn by st-link-analysis (Cytoscape.js made for link analysis in Streamlit):
nodes captioned and coloured by kind with a legend, sized by how many accounts use them, flagged and decided
accounts marked, and node clicks, expand and hide sent back to Python.

The component's own info panel writes node data into the page as HTML, so every string handed to it is
neutralised first (angle brackets and ampersands become look-alike characters): a crafted name can never
become markup. Layouts run once and stop, so a settled drawing holds still.
"""
from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from typing import Any

import streamlit as st
from st_link_analysis import Event, st_link_analysis

from graph import model
from workbench.cluster_graph import ACCOUNT_GROUP, INFRA_GROUP, caption, node_size

CANVAS_HEIGHT_PX = 600
# label -> Cytoscape shape, for each label the graph model gives a colour (graph/model.py; the bundle's graph.html
# uses the same colours, bundles/render.py); the drawing's own groups have their own colour and shape.
KIND_SHAPE = {
    "Account": "ellipse", "Cluster": "star", "PaymentCard": "rectangle", "Device": "triangle", "IPAddress": "diamond",
    "Proxy": "vee", "Organisation": "round-rectangle", "Person": "ellipse", "EmailDomain": "ellipse",
    "APIKey": "hexagon", "PromptTemplate": "ellipse", "Model": "round-rectangle", "Identifier": "rectangle",
    "Note": "tag", "Campaign": "octagon", "Case": "tag",
}
GROUP_STYLE = {ACCOUNT_GROUP: ("#4e79a7", "hexagon"), INFRA_GROUP: ("#bab0ac", "barrel"),
               "Evidence": ("#79706e", "ellipse")}
# kind -> (colour, Cytoscape shape)
KIND_STYLE = {**{label: (model.LABEL[label].colour or "#999", shape) for label, shape in KIND_SHAPE.items()},
              **GROUP_STYLE}
KIND_NAMES = {ACCOUNT_GROUP: "Account group", INFRA_GROUP: "Infrastructure (grouped)",
              **{label.name: label.caption for label in model.LABELS if label.caption}}
FLAGGED_COLOUR = "#d62728"
CONFIRMED_COLOUR = "#000000"
CLEARED_COLOUR = "#2ca02c"
LAYOUTS = {
    # exploration: a force layout computed once (no running physics), then still
    "force": {"name": "fcose", "animate": False, "randomize": True, "fit": True, "padding": 30,
              "nodeDimensionsIncludeLabels": True, "nodeRepulsion": 15000, "idealEdgeLength": 100,
              "nodeSeparation": 90, "numIter": 2500},
    # trace: accounts -> evidence -> organisation / person, left to right
    "hierarchy": {"name": "dagre", "rankDir": "LR", "animate": False, "fit": True, "padding": 30,
                  "nodeDimensionsIncludeLabels": True, "rankSep": 140, "nodeSep": 24, "edgeSep": 10},
}
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


@dataclass
class CanvasEvent:
    action: str  # select | expand | remove
    node_ids: list[str]


class _Style:
    def __init__(self, selector: str, style: dict[str, Any]) -> None:
        self.selector, self.style = selector, style

    def dump(self) -> dict[str, Any]:
        return {"selector": self.selector, "style": self.style}


def neutral(value: Any) -> Any:
    """A value safe to hand to the component's HTML info panel (strings only change)."""
    return value.translate(_LOOKALIKE) if isinstance(value, str) else value


def styles(edge_captions: bool = False) -> list[_Style]:
    """Cytoscape styles: caption under every node, size from `size`, colour and shape by kind, markers."""
    out = [_Style("node", {"label": "data(name)", "width": "data(size)", "height": "data(size)",
                           "font-size": 15, "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
                           "text-max-width": "160px", "min-zoomed-font-size": 6, "border-width": 1,
                           "border-color": "#555", "text-background-color": "#ffffff",
                           "text-background-opacity": 0.75, "text-background-padding": 1})]
    for kind, (colour, shape) in KIND_STYLE.items():
        out.append(_Style(f"node[label='{kind}']", {"background-color": colour, "shape": shape}))
    out += [
        _Style("node[?flagged]", {"border-width": 4, "border-color": FLAGGED_COLOUR}),
        _Style("node[decision='confirmed']", {"border-width": 6, "border-style": "double",
                                              "border-color": CONFIRMED_COLOUR}),
        _Style("node[decision='false_positive']", {"border-width": 4, "border-style": "dashed",
                                                   "border-color": CLEARED_COLOUR}),
        _Style("node[?group]", {"font-weight": "bold", "text-max-width": "420px"}),
        _Style("edge", {"width": 1.5, "line-color": "#a0a0a0", "target-arrow-color": "#a0a0a0",
                        "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8}),
    ]
    if edge_captions:
        out.append(_Style("edge", {"label": "data(caption)", "font-size": 10, "text-rotation": "autorotate",
                                   "text-background-color": "#ffffff", "text-background-opacity": 0.85,
                                   "width": "data(width)", "color": "#333"}))
    return out


def elements(nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]] | list[tuple[str, ...]],
             edge_captions: dict[tuple[str, str], str] | None = None,
             edge_widths: dict[tuple[str, str], float] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Cytoscape elements: node data is id, kind (`label`), caption (`name`), accounts and markers."""
    out_nodes = []
    for nid, n in nodes.items():
        users = int(n.get("users") or 1)
        d = {"id": neutral(nid), "label": n["label"],
             "name": neutral(n.get("caption") or caption(n["label"], n["props"])),
             "accounts": users, "size": node_size(users)}
        if n.get("flagged"):
            d["flagged"] = True
        if n.get("decision"):
            d["decision"] = neutral(n["decision"])
        if n["label"] in (ACCOUNT_GROUP, INFRA_GROUP):
            d["group"] = True
        out_nodes.append({"data": d})
    out_edges = []
    for i, (u, v, t) in enumerate(sorted(edges)):
        if u in nodes and v in nodes:
            d = {"id": f"e{i}", "source": neutral(u), "target": neutral(v), "label": neutral(t)}
            if edge_captions is not None:
                d["caption"] = neutral(edge_captions.get((u, v), t))
                d["width"] = (edge_widths or {}).get((u, v), 1.5)
            out_edges.append({"data": d})
    return {"nodes": out_nodes, "edges": out_edges}


def canvas(nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]] | list[tuple[str, ...]], key: str,
           layout: str = "force", height: int = CANVAS_HEIGHT_PX,
           edge_captions: dict[tuple[str, str], str] | None = None,
           edge_widths: dict[tuple[str, str], float] | None = None, actions: bool = True) -> CanvasEvent | None:
    """Draw the canvas; returns what the user did on it since the last run (a click selects, the
    component's expand and remove buttons expand and hide), or None."""
    els = elements(nodes, edges, edge_captions, edge_widths)
    back = {neutral(k): k for k in nodes}
    # the component lays out again only when its layout changes: a digest of what is drawn makes a changed
    # drawing a new layout (Cytoscape ignores the extra option), an unchanged one keeps its positions
    drawn = hashlib.sha256(json.dumps([sorted(nodes), sorted(map(list, edges))], default=str).encode())
    value = st_link_analysis(els, layout={**LAYOUTS[layout], "ringtrace_drawn": drawn.hexdigest()[:16]},
                             node_styles=styles(edge_captions is not None),
                             height=height, key=key, node_actions=["remove", "expand"] if actions else [],
                             events=[Event("select", "tap", "node")])
    if not value or value.get("timestamp") == st.session_state.get(f"{key}-seen"):
        return None
    st.session_state[f"{key}-seen"] = value.get("timestamp")
    data = value.get("data") or {}
    ids = data.get("node_ids") or ([data["target_id"]] if data.get("target_id") else [])
    return CanvasEvent(str(value.get("action")), [back.get(i, i) for i in ids])


def legend(kinds: list[str], markers: bool = True) -> None:
    """Colour and shape of each kind drawn, and the account markers (our own labels and colours, never data)."""
    parts = []
    for kind in kinds:
        colour, shape = KIND_STYLE.get(kind, ("#999", "ellipse"))
        round_ = "50%" if shape in ("ellipse", "barrel") else "0"
        parts.append(f'<span class="ringtrace-legend-kind" style="white-space:nowrap">'
                     f'<span style="display:inline-block;width:.8em;height:.8em;background:{colour};'
                     f'border-radius:{round_};margin:0 .3em 0 .9em"></span>{html.escape(KIND_NAMES.get(kind, kind))}'
                     f"</span>")
    if markers:
        for colour, style, text in ((FLAGGED_COLOUR, "solid", "in a flagged cluster"),
                                    (CONFIRMED_COLOUR, "double", "confirmed by a case"),
                                    (CLEARED_COLOUR, "dashed", "cleared as a false positive")):
            parts.append(f'<span style="white-space:nowrap"><span style="display:inline-block;width:.7em;'
                         f'height:.7em;border:3px {style} {colour};border-radius:50%;margin:0 .3em 0 .9em">'
                         f"</span>{text}</span>")
        parts.append('<span style="margin-left:.9em;color:#555">size: accounts using it</span>')
    st.html('<div class="ringtrace-legend" style="font-size:.85em;line-height:1.8">Legend:' + "".join(parts)
            + "</div>")
