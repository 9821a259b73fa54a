"""Louvain inside Neo4j with the Graph Data Science library (`ringtrace detect --engine gds`).

The same method as `communities.louvain_communities`, with the community step run by GDS's
`gds.louvain` (Blondel et al., J. Stat. Mech. 2008, P10008) instead of python-louvain:

1. the run's account projection is written to Neo4j as transient `EVIDENCE_LINK`
   relationships and projected into a GDS in-memory graph (undirected, weighted);
2. GDS WCC splits it into connected components, and Louvain runs on each component on its
   own (a filtered subgraph), so one giant component's total weight cannot hide small rings
   inside another (the resolution limit, Fortunato & Barthelemy 2007);
3. every community is split into its connected pieces (Traag et al. 2019) and linked pieces
   are merged back (`communities.merge_linked`), exactly as with the python engine.

GDS 2.13's Louvain has no resolution (gamma) and no random seed: it optimises plain
modularity (resolution 1), and with `GDS_CONCURRENCY` = 1 (the default) the same input gives
the same communities. The in-memory graphs and the transient links are removed at the end,
also when the run fails; links left by a run that was killed are removed by the next run.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import numpy as np
import pandas as pd
from neo4j.exceptions import ClientError

from detection import RUN_ID_TIME, communities
from graph.db import Graph
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

LINK_BATCH = 10_000
STAGE_LINKS = "writing projection links to Neo4j"
STAGE_LOUVAIN = "GDS Louvain per component"
Report = Callable[[str, int, int], None]
COMPONENT_PROPERTY = "component"
# A run's links older than this belong to a run that was killed (a seed-scale run takes minutes).
STALE_LINK_AGE = timedelta(hours=6)

GDS_VERSION = "RETURN gds.version() AS version"

WRITE_LINKS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.u})
MATCH (b:Account {account_id: row.v})
CREATE (a)-[:EVIDENCE_LINK {run_id: $run, weight: row.w}]->(b)
"""

PROJECT_LINKS = """
MATCH (a:Account)-[r:EVIDENCE_LINK]->(b:Account)
WHERE r.run_id = $run
WITH gds.graph.project($graph, a, b, {relationshipProperties: {weight: r.weight}},
                       {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
"""

MUTATE_COMPONENTS = """
CALL gds.wcc.mutate($graph, {mutateProperty: $property, concurrency: $concurrency})
YIELD componentCount
RETURN componentCount
"""

COMPONENT_SIZES = """
CALL gds.graph.nodeProperty.stream($graph, $property) YIELD propertyValue
WITH propertyValue AS component, count(*) AS size
WHERE size >= $min_size
RETURN component, size ORDER BY component
"""

FILTER_COMPONENT = """
CALL gds.graph.filter($subgraph, $graph, 'n.component = $component', '*',
                      {parameters: {component: $component}})
YIELD graphName
RETURN graphName
"""

LOUVAIN_STREAM = """
CALL gds.louvain.stream($subgraph, {relationshipWeightProperty: 'weight', concurrency: $concurrency})
YIELD nodeId, communityId
RETURN gds.util.asNode(nodeId).account_id AS account, communityId AS community
"""

DROP_GRAPH = "CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName"

DELETE_LINKS = """
MATCH ()-[r:EVIDENCE_LINK]->()
WHERE r.run_id IN $runs
CALL { WITH r DELETE r } IN TRANSACTIONS OF $batch ROWS
"""

LINK_RUNS = "MATCH ()-[r:EVIDENCE_LINK]->() RETURN DISTINCT r.run_id AS run"


def gds_version(graph: Graph) -> str:
    """The server's GDS version, or a RingtraceError that says how to get GDS."""
    try:
        return graph.read(GDS_VERSION)[0]["version"]
    except ClientError as exc:
        where = ("ask the administrator of the server at NEO4J_URI to install Graph Data Science 2.x"
                 if graph.settings.external else
                 "run `ringtrace neo4j install-gds` (it restarts the local server with GDS)")
        raise RingtraceError(f"This Neo4j server has no Graph Data Science library ({exc.code}): {where}, "
                             "or detect with the default python engine.") from exc


def louvain_communities(graph: Graph, run_id: str, edges: pd.DataFrame, min_size: int = communities.MIN_GROUP,
                        link_edges: pd.DataFrame | None = None, concurrency: int | None = None,
                        report: Report | None = None) -> list[list[str]]:
    """Communities of at least `min_size` accounts from GDS Louvain, each connected, sorted by size then id.

    `edges` (u, v, weight) is the account projection, `link_edges` what the merge step measures
    (by default `edges`); `report(stage, done, total)` is told how far each stage has come."""
    concurrency = concurrency or config.GDS_CONCURRENCY
    report = report or (lambda *_: None)
    identifying = communities.identifying_graph(edges if link_edges is None else link_edges)
    name = f"ringtrace-{run_id}"
    labels: dict[str, int] = {}
    next_label = 0
    _delete_stale_links(graph, run_id)
    try:
        _write_links(graph, run_id, edges, report)
        with graph.session() as session:  # one server member holds the in-memory graph
            run = _runner(session)
            run(PROJECT_LINKS, run=run_id, graph=name)
            run(MUTATE_COMPONENTS, graph=name, property=COMPONENT_PROPERTY, concurrency=concurrency)
            components = run(COMPONENT_SIZES, graph=name, property=COMPONENT_PROPERTY, min_size=min_size)
            for done, comp in enumerate(components):
                report(STAGE_LOUVAIN, done, len(components))
                sub = f"{name}-c{comp['component']}"
                run(FILTER_COMPONENT, subgraph=sub, graph=name, component=comp["component"])
                try:
                    rows = run(LOUVAIN_STREAM, subgraph=sub, concurrency=concurrency)
                finally:
                    run(DROP_GRAPH, graph=sub)
                local: dict[int, int] = {}
                # a small group tied by identifying items stays one group (communities.WHOLE_UP_TO)
                whole = comp["size"] <= communities.WHOLE_UP_TO and \
                    communities.tied_by_items([r["account"] for r in rows], identifying)
                for r in rows:
                    labels[r["account"]] = next_label + local.setdefault(0 if whole else r["community"], len(local))
                next_label += len(local)
            report(STAGE_LOUVAIN, len(components), len(components))
    finally:
        with graph.session() as session:
            _runner(session)(DROP_GRAPH, graph=name)
        graph.run_autocommit(DELETE_LINKS, {"runs": [run_id], "batch": LINK_BATCH})
    pieces = connected_pieces(labels, edges)
    link_edges = edges if link_edges is None else link_edges
    found = [m for m in (communities.held_by_items(g, identifying)
                         for g in communities.merge_linked(pieces, link_edges)) if len(m) >= min_size]
    return sorted(found, key=lambda c: (-len(c), c[0]))


def _runner(session: Any) -> Callable[..., list[dict[str, Any]]]:
    def run(query: str, **params: Any) -> list[dict[str, Any]]:
        return [r.data() for r in session.run(query, params)]
    return run


def _delete_stale_links(graph: Graph, run_id: str) -> None:
    now = datetime.now(timezone.utc)
    stale = [r["run"] for r in graph.read(LINK_RUNS)
             if r["run"] != run_id and now - _run_started(r["run"]) > STALE_LINK_AGE]
    if stale:
        graph.run_autocommit(DELETE_LINKS, {"runs": stale, "batch": LINK_BATCH})


def _run_started(run_id: str) -> datetime:
    """When a detection run started, read from its id."""
    try:
        return datetime.strptime(run_id.rsplit("-", 1)[0], RUN_ID_TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)  # not ours to keep: treat as stale


def _write_links(graph: Graph, run_id: str, edges: pd.DataFrame, report: Report) -> None:
    rows = [{"u": u, "v": v, "w": float(w)} for u, v, w in zip(edges["u"], edges["v"], edges["weight"])]
    for s in range(0, len(rows), LINK_BATCH):
        report(STAGE_LINKS, s, len(rows))
        graph.write(WRITE_LINKS, {"run": run_id, "rows": rows[s:s + LINK_BATCH]})
    report(STAGE_LINKS, len(rows), len(rows))


def connected_pieces(labels: dict[str, int], edges: pd.DataFrame) -> list[list[str]]:
    """Split every community (accounts with one label) into its connected pieces (Traag et al. 2019).

    Union-find over the projection links whose two ends share a label; singletons are kept,
    as `merge_linked` may still join them to a neighbour."""
    accounts = sorted(labels)
    index = {a: i for i, a in enumerate(accounts)}
    label = pd.Series(labels)
    lu, lv = edges["u"].map(label), edges["v"].map(label)
    same = lu.notna() & (lu == lv)
    parent = np.arange(len(accounts))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for u, v in zip(edges["u"][same], edges["v"][same]):
        ru, rv = find(index[u]), find(index[v])
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    pieces: dict[int, list[str]] = {}
    for a in accounts:
        pieces.setdefault(find(index[a]), []).append(a)
    return [sorted(p) for _, p in sorted(pieces.items())]
