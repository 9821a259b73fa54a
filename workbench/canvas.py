"""The workbench's graphs: the vis-network view pyvis draws, as a component that reports clicks.

pyvis writes a static page that cannot tell Streamlit which node was clicked, so the
canvas mounts the same vis-network library (the copy pyvis ships, loaded inline: no
network needed) through `st.components.v2` and sends the clicked node's id back as the
component's `selected` state. Node labels and tooltips are passed as data and set as
text, never as HTML.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

VIS_JS = Path(__import__("pyvis").__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
CANVAS_HEIGHT_PX = 560

MOUNT_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let box = parentElement.querySelector('.ringtrace-canvas');
  if (!box) {
    box = document.createElement('div');
    box.className = 'ringtrace-canvas';
    parentElement.appendChild(box);
  }
  box.style.height = data.height + 'px';
  box.style.border = '1px solid #ddd';
  const nodes = new globalThis.vis.DataSet(data.nodes.map(n => ({
    id: n.id, label: n.label, title: n.title, color: n.color, shape: n.shape, size: n.size})));
  const edges = new globalThis.vis.DataSet(data.edges.map((e, i) => ({
    id: i, from: e.from, to: e.to, title: e.title, arrows: 'to'})));
  const network = new globalThis.vis.Network(box, {nodes, edges}, {
    // improvedLayout (a Kamada-Kawai start) and long stabilisation block the page for seconds at 300 nodes
    layout: {improvedLayout: false}, physics: {stabilization: {iterations: 60}}, interaction: {hover: true}});
  network.once('stabilizationIterationsDone', () => network.setOptions({physics: false}));
  setTimeout(() => network.setOptions({physics: false}), 4000);  // a settled drawing holds still
  if (data.selected) { network.selectNodes([data.selected]); }
  box.ringtraceNetwork = network;  // lets a browser test find a node's position on screen
  network.on('click', params => {
    if (params.nodes.length) { setStateValue('selected', String(params.nodes[0])); }
  });
}
"""


@st.cache_resource
def _component():
    return st.components.v2.component("ringtrace_canvas", js=VIS_JS.read_text() + "\n" + MOUNT_JS,
                                      isolate_styles=False)


def canvas(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], selected: str | None, key: str,
           height: int = CANVAS_HEIGHT_PX) -> str | None:
    """Draw the canvas; returns the id of the node the user clicked last, if any."""
    result = _component()(data={"nodes": nodes, "edges": edges, "selected": selected, "height": height},
                          key=key, on_selected_change=lambda: None)
    return getattr(result, "selected", None)
