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
which of the operator's cards they pay with). Pieces whose links to each other carry at least MERGE_LINK_SHARE of the smaller one's
total link weight (its volume), or whose outside links outweigh their inside links
MERGE_DOMINATED times over, are merged back (see `merge_linked`).

The same input, resolution and seed give the same communities: components and nodes are
visited in sorted order and the seed is passed to every run.
"""
from __future__ import annotations

from typing import Iterable

import community as community_louvain  # python-louvain
import networkx as nx
import numpy as np
import pandas as pd

MIN_GROUP = 5  # fewer accounts than this cannot be a coordinated group worth a cluster
MERGE_LINK_SHARE = 0.1
MERGE_DOMINATED = 2.0   # a piece with twice as much link weight outside as inside is not a group
MERGE_MAX_ROUNDS = 50


def build_graph(edges: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    for u, v, w in sorted(zip(edges["u"], edges["v"], edges["weight"])):
        g.add_edge(u, v, weight=float(w))
    return g


def louvain_communities(g: nx.Graph, resolution: float = 1.0, seed: int = 0,
                        min_size: int = MIN_GROUP, link_edges: pd.DataFrame | None = None) -> list[list[str]]:
    """Communities of at least `min_size` nodes, each connected, sorted by size then id.

    `link_edges` (u, v, weight), when given, is what the merge step measures cuts on;
    by default it is the graph's own edges."""
    if link_edges is None:
        link_edges = pd.DataFrame([(u, v, d["weight"]) for u, v, d in g.edges(data=True)],
                                  columns=["u", "v", "weight"])
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
        found.extend(pieces)
    found = [m for m in merge_linked(found, link_edges) if len(m) >= min_size]
    return sorted(found, key=lambda c: (-len(c), c[0]))


def _cut(groups: list[list[str]], edges: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Internal link weight of each group, and the summed weight between each pair of groups."""
    label = pd.Series({n: i for i, g in enumerate(groups) for n in g})
    a = edges["u"].map(label)
    b = edges["v"].map(label)
    keep = a.notna() & b.notna()
    a, b, w = a[keep].astype(int).to_numpy(), b[keep].astype(int).to_numpy(), edges["weight"][keep].to_numpy()
    inside = a == b
    internal = np.bincount(a[inside], w[inside], len(groups))
    pairs = pd.DataFrame({"x": np.minimum(a, b)[~inside], "y": np.maximum(a, b)[~inside], "w": w[~inside]})
    return internal, pairs.groupby(["x", "y"])["w"].sum().reset_index()


def _union(groups: list[list[str]], links: list[tuple[int, int]]) -> list[list[str]]:
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x, y in links:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    merged: dict[int, list[str]] = {}
    for i, g in enumerate(groups):
        merged.setdefault(find(i), []).extend(g)
    return [sorted(m) for _, m in sorted(merged.items())]


def merge_linked(groups: list[list[str]], edges: pd.DataFrame, share: float = MERGE_LINK_SHARE,
                 dominated: float = MERGE_DOMINATED) -> list[list[str]]:
    """Merge pieces that are one group: (a) two pieces whose mutual links carry `share` of the
    smaller one's volume; (b) a piece whose links to other pieces outweigh its internal links
    `dominated` times over (far from a community even in Radicchi et al.'s weak sense, PNAS
    101:2658, 2004) joins the piece it is most linked to. Repeats until nothing changes.

    `edges` (u, v, weight) may hold more links than the graph Louvain ran on (all shared
    evidence before the top-k bound), so the decision sees the whole cut."""
    groups = [sorted(g) for g in groups]
    if edges.empty:
        return groups
    for _ in range(MERGE_MAX_ROUNDS):
        if len(groups) < 2:
            break
        internal, between = _cut(groups, edges)
        if between.empty:
            break
        external = (np.bincount(between["x"], between["w"], len(groups))
                    + np.bincount(between["y"], between["w"], len(groups)))
        volume = 2 * internal + external
        ratio = between["w"] / np.maximum(np.minimum(volume[between["x"]], volume[between["y"]]), 1e-12)
        links = [(int(x), int(y)) for x, y in between.loc[ratio >= share, ["x", "y"]].itertuples(index=False)]
        weak = np.flatnonzero(external >= dominated * np.maximum(2 * internal, 1e-12))  # degree sums
        if len(weak):
            both = pd.concat([between.rename(columns={"x": "g", "y": "h"}),
                              between.rename(columns={"y": "g", "x": "h"})])
            best = both[both["g"].isin(weak)].sort_values(["g", "w", "h"], ascending=[True, False, True])
            links += [(int(g), int(h)) for g, h in best.groupby("g").head(1)[["g", "h"]].itertuples(index=False)]
        if not links:
            break
        groups = _union(groups, sorted(links))
    return groups


def _groups(partition: dict[str, int]) -> Iterable[list[str]]:
    by: dict[int, list[str]] = {}
    for node, cid in partition.items():
        by.setdefault(cid, []).append(node)
    return (sorted(m) for _, m in sorted(by.items()))


def connected_pieces(g: nx.Graph, members: list[str], min_size: int = MIN_GROUP) -> list[list[str]]:
    """Split a community into its connected pieces (Traag et al. 2019), dropping small ones."""
    pieces = [sorted(p) for p in nx.connected_components(g.subgraph(members))]
    return [p for p in pieces if len(p) >= min_size]
