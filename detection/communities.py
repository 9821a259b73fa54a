"""Louvain communities on the account projection, run per connected component.

Louvain: Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in
large networks", J. Stat. Mech. (2008) P10008, through python-louvain's `best_partition`.
Two known failure modes are handled here:

* internally disconnected communities (Traag, Waltman & van Eck, "From Louvain to
  Leiden", Sci. Rep. 9:5233, 2019): every community is split into its connected pieces;
* the resolution limit (Fortunato & Barthelemy, PNAS 104:36, 2007), which merges small
  rings inside a large graph: Louvain runs on each connected component separately, with
  the resolution as a parameter;
* the opposite on small components: a connected group of at most WHOLE_UP_TO accounts is kept
  whole, never split along its weakest link.

Louvain also splits one operator's dense block along incidental seams (accounts grouped by
which of the operator's cards they pay with). Pieces whose cross pairs fit the pieces' own
link density better than the graph's background density (a block-model likelihood ratio),
measured on all shared evidence, or whose outside links outweigh their inside links
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

from ringtrace.core import config

MIN_GROUP = config.DETECT_MIN_GROUP
# A connected group this small is one group: Louvain's modularity gain splits a 3+3 ring along its
# weakest link (10 of 53 connected PaySim groups were split), and a piece of a small ring loses the
# evidence that made the ring. Larger components are partitioned.
WHOLE_UP_TO = 10
# ...when its accounts are tied by identifying items: friends who refer each other or users of one
# prompt template are not one group for that alone
NOT_IDENTIFYING = ("link", "template")
MERGE_DOMINATED = 2.0   # a piece with twice as much link weight outside as inside is not a group
MERGE_MAX_ROUNDS = 50
LLR_TOLERANCE = 1e-9      # floating-point noise around a tie


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
    identifying = identifying_graph(link_edges)
    found: list[list[str]] = []
    for component in sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0]):
        if len(component) < min_size:
            continue
        if len(component) <= WHOLE_UP_TO and tied_by_items(component, identifying):
            found.append(component)
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
    found = [m for m in (held_by_items(g, identifying) for g in merge_linked(found, link_edges))
             if len(m) >= min_size]
    return sorted(found, key=lambda c: (-len(c), c[0]))


def held_by_items(group: list[str], identifying: nx.Graph) -> list[str]:
    """The group without members it holds by a referral or a template alone (a household's friends its
    members referred, a leaf Louvain keeps with its only neighbour); groups of two stay as they are."""
    if len(group) <= 2:
        return group
    inside = identifying.subgraph(group)
    kept = [a for a in group if a in inside and inside.degree(a) > 0]
    return kept if len(kept) >= 2 else group


def identifying_graph(edges: pd.DataFrame) -> nx.Graph:
    """The links that identifying items make (cards, devices, addresses, identifiers), without links
    and templates; edges without per-kind columns count whole."""
    kinds = [c for c in edges.columns if c not in ("u", "v", "weight")]
    own = edges["weight"] - edges[[k for k in kinds if k in NOT_IDENTIFYING]].sum(axis=1) if kinds else edges["weight"]
    g = nx.Graph()
    tied = own > 1e-9
    g.add_edges_from(zip(edges["u"][tied], edges["v"][tied]))
    return g


def tied_by_items(component: list[str], identifying: nx.Graph) -> bool:
    present = [a for a in component if a in identifying]
    return len(present) == len(component) and nx.is_connected(identifying.subgraph(component))


def _cut(groups: list[list[str]], edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Per group: internal link weight and number of linked pairs; per pair of groups: linked pairs
    (`links`) and their summed weight (`w`)."""
    label = pd.Series({n: i for i, g in enumerate(groups) for n in g})
    a = edges["u"].map(label)
    b = edges["v"].map(label)
    keep = a.notna() & b.notna()
    a, b, w = a[keep].astype(int).to_numpy(), b[keep].astype(int).to_numpy(), edges["weight"][keep].to_numpy()
    inside = a == b
    internal_w = np.bincount(a[inside], w[inside], len(groups))
    internal_links = np.bincount(a[inside], minlength=len(groups)).astype(float)
    pairs = pd.DataFrame({"x": np.minimum(a, b)[~inside], "y": np.maximum(a, b)[~inside], "w": w[~inside]})
    between = pairs.groupby(["x", "y"]).agg(links=("w", "size"), w=("w", "sum")).reset_index()
    return internal_w, internal_links, between


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


def merge_linked(groups: list[list[str]], edges: pd.DataFrame, dominated: float = MERGE_DOMINATED
                 ) -> list[list[str]]:
    """Merge pieces that are one group, measured on `edges` (u, v, weight: all shared evidence,
    which may hold more links than the graph Louvain ran on):

    (a) a block-model likelihood ratio (stochastic block model: Holland, Laskey & Leinhardt, Social
        Networks 5:109, 1983; Karrer & Newman, Phys. Rev. E 83:016107, 2011): the pairs between x and y
        merge when their linked count is likelier under the pieces' own internal pair density (they are
        one community) than under the background density of the whole evidence graph (two communities
        meeting by chance). Pieces Louvain cut along an operator's card seams are linked pair by pair
        and merge; rings joined by one shared item are not, and a chain of them stays a chain;
    (b) a piece whose links to other pieces outweigh its internal links `dominated` times over
        (far from a community even in Radicchi et al.'s weak sense, PNAS 101:2658, 2004) joins
        the piece it is most linked to.
    Repeats until nothing changes."""
    groups = [sorted(g) for g in groups]
    if edges.empty:
        return groups
    nodes = pd.unique(edges[["u", "v"]].to_numpy().ravel()).size
    background = len(edges) / max(nodes * (nodes - 1) / 2, 1)
    for _ in range(MERGE_MAX_ROUNDS):
        if len(groups) < 2:
            break
        internal_w, internal_links, between = _cut(groups, edges)
        if between.empty:
            break
        sizes = np.array([len(g) for g in groups], dtype=float)
        pairs_in = sizes * (sizes - 1) / 2
        density = np.divide(internal_links, pairs_in, out=np.full_like(sizes, np.nan), where=pairs_in > 0)
        own = np.nan_to_num(np.fmin(density[between["x"]], density[between["y"]]), nan=1.0)  # lone: its partner's
        cross_pairs = sizes[between["x"]] * sizes[between["y"]]
        llr = _block_llr(between["links"].to_numpy(), cross_pairs, own, background)
        merge = between.loc[llr >= -LLR_TOLERANCE, ["x", "y"]]  # a tie: no evidence of a boundary
        links = [(int(x), int(y)) for x, y in merge.itertuples(index=False)]
        external = (np.bincount(between["x"], between["w"], len(groups))
                    + np.bincount(between["y"], between["w"], len(groups)))
        weak = np.flatnonzero(external >= dominated * np.maximum(2 * internal_w, 1e-12))  # degree sums
        if len(weak):
            both = pd.concat([between.rename(columns={"x": "g", "y": "h"}),
                              between.rename(columns={"y": "g", "x": "h"})])
            best = both[both["g"].isin(weak)].sort_values(["g", "w", "h"], ascending=[True, False, True])
            links += [(int(g), int(h)) for g, h in best.groupby("g").head(1)[["g", "h"]].itertuples(index=False)]
        if not links:
            break
        groups = _union(groups, sorted(links))
    return groups


def _block_llr(linked: np.ndarray, pairs: np.ndarray, inside: np.ndarray, background: float) -> np.ndarray:
    """log P(linked | Binomial(pairs, inside)) - log P(linked | Binomial(pairs, background))."""
    p_in = np.clip(inside, background, 1 - 1e-9)
    p_bg = min(max(background, 1e-12), 1 - 1e-9)
    return linked * np.log(p_in / p_bg) + (pairs - linked) * np.log((1 - p_in) / (1 - p_bg))


def _groups(partition: dict[str, int]) -> Iterable[list[str]]:
    by: dict[int, list[str]] = {}
    for node, cid in partition.items():
        by.setdefault(cid, []).append(node)
    return (sorted(m) for _, m in sorted(by.items()))


def connected_pieces(g: nx.Graph, members: list[str], min_size: int = MIN_GROUP) -> list[list[str]]:
    """Split a community into its connected pieces (Traag et al. 2019), dropping small ones."""
    pieces = [sorted(p) for p in nx.connected_components(g.subgraph(members))]
    return [p for p in pieces if len(p) >= min_size]
