"""Louvain communities on the account projection, run per connected component.

Louvain: Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in
large networks", J. Stat. Mech. (2008) P10008, through python-louvain's `best_partition`.
Two known failure modes are handled here:

* internally disconnected communities (Traag, Waltman & van Eck, "From Louvain to
  Leiden", Sci. Rep. 9:5233, 2019): every community is split into its connected pieces;
* the resolution limit (Fortunato & Barthelemy, PNAS 104:36, 2007), which merges small
  rings inside a large graph: Louvain runs on each connected component separately, with
  the resolution as a parameter.

The same input, resolution and seed give the same communities: components and nodes are
visited in sorted order and the seed is passed to every run.
"""
from __future__ import annotations

from typing import Iterable

import community as community_louvain  # python-louvain
import networkx as nx
import pandas as pd

MIN_GROUP = 5  # fewer accounts than this cannot be a coordinated group worth a cluster


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
        for members in _groups(partition):
            found.extend(connected_pieces(ordered, members, min_size))
    return sorted(found, key=lambda c: (-len(c), c[0]))


def _groups(partition: dict[str, int]) -> Iterable[list[str]]:
    by: dict[int, list[str]] = {}
    for node, cid in partition.items():
        by.setdefault(cid, []).append(node)
    return (sorted(m) for _, m in sorted(by.items()))


def connected_pieces(g: nx.Graph, members: list[str], min_size: int = MIN_GROUP) -> list[list[str]]:
    """Split a community into its connected pieces (Traag et al. 2019), dropping small ones."""
    pieces = [sorted(p) for p in nx.connected_components(g.subgraph(members))]
    return [p for p in pieces if len(p) >= min_size]
