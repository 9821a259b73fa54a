"""The community step on its own: LFR benchmark NMI, determinism, connected pieces."""
from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from detection.communities import connected_pieces, louvain_communities
from detection.metrics import nmi
from lfr import lfr

log = logging.getLogger(__name__)


@pytest.mark.parametrize("mu", [0.1, 0.2, 0.3, 0.4, 0.45, 0.48, 0.5])
def test_lfr_nmi_at_least_095(mu):
    g, truth, realised = lfr(mu, seed=42)
    found = louvain_communities(g, resolution=1.0, seed=1, min_size=1)
    labels = {node: i for i, c in enumerate(found) for node in c}
    score = nmi(truth, labels)
    log.warning("LFR requested mu=%.2f realised mu=%.3f NMI=%.4f", mu, realised, score)
    print(f"LFR requested mu={mu:.2f} realised mu={realised:.3f} NMI={score:.4f}")
    assert abs(realised - mu) <= 0.03, "the generator did not give the mixing asked for"
    # past mu = 0.5 a community has more links out than in and stops being one in the strong sense; the
    # bound is looser there, never absent (measured 0.985 at realised 0.507)
    assert score >= (0.95 if realised <= 0.5 else 0.9)


def test_same_input_and_seed_give_same_clusters():
    g, _, _ = lfr(0.3, seed=7)
    assert louvain_communities(g, seed=3) == louvain_communities(g, seed=3)


def test_disconnected_community_is_split_into_pieces():
    g = nx.Graph()
    nx.add_path(g, ["a1", "a2", "a3", "a4", "a5"])
    nx.add_path(g, ["b1", "b2", "b3", "b4", "b5"])
    pieces = connected_pieces(g, sorted(g.nodes), min_size=5)
    assert sorted(pieces) == [["a1", "a2", "a3", "a4", "a5"], ["b1", "b2", "b3", "b4", "b5"]]


def test_two_rings_joined_by_a_thin_bridge_stay_apart():
    """Resolution limit guard: two dense rings in one component are not merged."""
    g = nx.Graph()
    for prefix in ("x", "y"):
        ring = [f"{prefix}{i}" for i in range(12)]
        for i, u in enumerate(ring):
            for v in ring[i + 1:]:
                g.add_edge(u, v, weight=3.0)
    g.add_edge("x0", "y0", weight=0.2)
    found = louvain_communities(g, seed=0)
    assert len(found) == 2 and all(len({m[0] for m in c}) == 1 for c in found)


def _ring_chain(sizes: list[int]) -> tuple[pd.DataFrame, list[set[str]]]:
    """Rings whose members all share one device, each joined to the next by one shared item."""
    rows, rings = [], []
    for r, size in enumerate(sizes):
        members = [f"r{r}-a{i}" for i in range(size)]
        rings.append(set(members))
        rows += [(u, v, 2.5 / np.log(size + 1)) for i, u in enumerate(members) for v in members[i + 1:]]
        if r:
            rows.append((f"r{r - 1}-a0", members[0], 1.0 / np.log(3)))
    return pd.DataFrame(rows, columns=["u", "v", "weight"]), rings


def test_a_chain_of_rings_joined_by_one_item_each_stays_a_chain():
    from detection.communities import build_graph, louvain_communities, merge_linked

    edges, rings = _ring_chain([4, 11, 6, 9, 5, 8, 7, 10])
    found = [set(c) for c in louvain_communities(build_graph(edges), min_size=2)]
    assert sorted(map(sorted, found)) == sorted(map(sorted, rings))
    # and the merge step alone never joins them, whatever pieces it starts from
    assert sorted(map(sorted, map(set, merge_linked([sorted(r) for r in rings], edges)))) == \
        sorted(map(sorted, rings))


def test_pieces_linked_pair_by_pair_merge_back():
    from detection.communities import merge_linked

    halves = [[f"a{i}" for i in range(20)], [f"b{i}" for i in range(20)]]
    everyone = halves[0] + halves[1]
    edges = pd.DataFrame([(u, v, 1.0) for i, u in enumerate(everyone) for v in everyone[i + 1:]],
                         columns=["u", "v", "weight"])
    assert merge_linked(halves, edges) == [sorted(everyone)]
