"""Louvain communities on the account projection, run per connected component.

Louvain: Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in
large networks", J. Stat. Mech. (2008) P10008, through python-louvain's `best_partition`.
Two known failure modes are handled here:

* internally disconnected communities (Traag, Waltman & van Eck, "From Louvain to
  Leiden", Sci. Rep. 9:5233, 2019): every community is split into its connected pieces;
* the resolution limit (Fortunato & Barthelemy, PNAS 104:36, 2007), which merges small
  rings inside a large graph: Louvain runs on each connected component separately, with
  the resolution as a parameter.

Louvain also splits one operator's dense block along incidental seams (accounts grouped by
which of the operator's cards they pay with). Communities of one component whose links
to each other carry at least MERGE_LINK_SHARE of the smaller one's total link weight
(its volume) are merged back: a cut that large is one group, not two.

The same input, resolution and seed give the same communities: components and nodes are
visited in sorted order and the seed is passed to every run.
"""
from __future__ import annotations

from typing import Iterable

import community as community_louvain  # python-louvain
import networkx as nx
import pandas as pd

MIN_GROUP = 5  # fewer accounts than this cannot be a coordinated group worth a cluster
MERGE_LINK_SHARE = 0.1


def build_graph(edges: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    for u, v, w in sorted(zip(edges["u"], edges["v"], edges["weight"])):
        g.add_edge(u, v, weight=float(w))
    return g


def louvain_communities(g: nx.Graph, resolution: float = 1.0, seed: int = 0,
                        min_size: int = MIN_GROUP) -> list[list[str]]:
    """Communities of at least `min_size` nodes, each connected, sorted by size then id."""
    found: list[list[str]] = []
    for component in sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0]):
        if len(component) < min_size:
            continue
        sub = g.subgraph(component)
        ordered = nx.Graph()
        ordered.add_nodes_from(component)
        ordered.add_weighted_edges_from(sorted((u, v, d["weight"]) for u, v, d in sub.edges(data=True)))
        if ordered.number_of_edges() == 0:
            continue
        partition = community_louvain.best_partition(ordered, weight="weight", resolution=resolution,
                                                     random_state=seed)
        pieces = [p for members in _groups(partition) for p in connected_pieces(ordered, members, 1)]
        merged = merge_linked(ordered, pieces)
        found.extend(m for m in merged if len(m) >= min_size)
    return sorted(found, key=lambda c: (-len(c), c[0]))


def merge_linked(g: nx.Graph, groups: list[list[str]], share: float = MERGE_LINK_SHARE) -> list[list[str]]:
    """Merge groups whose mutual link weight is at least `share` of the smaller group's volume."""
    groups = [list(m) for m in groups]
    while True:
        label = {n: i for i, m in enumerate(groups) for n in m}
        volume = [0.0] * len(groups)
        between: dict[tuple[int, int], float] = {}
        for u, v, d in g.edges(data=True):
            w = d["weight"]
            a, b = label[u], label[v]
            volume[a] += w
            volume[b] += w
            if a != b:
                key = (min(a, b), max(a, b))
                between[key] = between.get(key, 0.0) + w
        best = None
        for (a, b), w in sorted(between.items()):
            ratio = w / max(min(volume[a], volume[b]), 1e-12)
            if ratio >= share and (best is None or ratio > best[0]):
                best = (ratio, a, b)
        if best is None:
            return [sorted(m) for m in groups]
        _, a, b = best
        groups[a] = groups[a] + groups[b]
        del groups[b]


def _groups(partition: dict[str, int]) -> Iterable[list[str]]:
    by: dict[int, list[str]] = {}
    for node, cid in partition.items():
        by.setdefault(cid, []).append(node)
    return (sorted(m) for _, m in sorted(by.items()))


def connected_pieces(g: nx.Graph, members: list[str], min_size: int = MIN_GROUP) -> list[list[str]]:
    """Split a community into its connected pieces (Traag et al. 2019), dropping small ones."""
    pieces = [sorted(p) for p in nx.connected_components(g.subgraph(members))]
    return [p for p in pieces if len(p) >= min_size]
