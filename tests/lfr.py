"""LFR benchmark graphs (Lancichinetti, Fortunato & Radicchi 2008) for the community tests of both tiers."""
from __future__ import annotations

import networkx as nx
import pytest

LFR_N, LFR_AVG_DEGREE, LFR_MAX_DEGREE = 1000, 20, 50
LFR_MIN_COMMUNITY, LFR_MAX_COMMUNITY = 20, 100
LFR_TAU1, LFR_TAU2 = 2, 1


def lfr(mu: float, seed: int) -> tuple[nx.Graph, dict[int, int], float]:
    """An LFR graph from networkit (Lancichinetti & Fortunato 2009) and its realised mixing."""
    nk = pytest.importorskip("networkit")
    nk.engineering.setSeed(seed, False)
    gen = nk.generators.LFRGenerator(LFR_N)
    gen.generatePowerlawDegreeSequence(LFR_AVG_DEGREE, LFR_MAX_DEGREE, -LFR_TAU1)
    gen.generatePowerlawCommunitySizeSequence(LFR_MIN_COMMUNITY, LFR_MAX_COMMUNITY, -LFR_TAU2)
    gen.setMu(mu)
    gen.run()
    G, P = gen.getGraph(), gen.getPartition()
    truth = {v: P.subsetOf(v) for v in G.iterNodes()}
    g = nx.Graph()
    g.add_nodes_from(str(v) for v in G.iterNodes())
    external = 0
    for u, v in G.iterEdges():
        g.add_edge(str(u), str(v), weight=1.0)
        external += truth[u] != truth[v]
    return g, {str(k): c for k, c in truth.items()}, external / G.numberOfEdges()
