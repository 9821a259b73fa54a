"""Cluster and campaign ids in their full form (`det-20261126T021600Z-ab12cd34-c0001`, `…-k0001`) and
their short form (`c0001`, `k0001`: of the latest detection run), accepted by every command and page."""
from __future__ import annotations

import re

from graph.db import Graph
from ringtrace.core.errors import RingtraceError

SHORT_ID = re.compile(r"^c\d{1,6}$", re.I)
SHORT_ID_DIGITS = 4

SHORT_CAMPAIGN_ID = re.compile(r"^k\d{1,6}$", re.I)
CAMPAIGN_EXISTS = "MATCH (k:Campaign {campaign_id: $id}) RETURN k.campaign_id AS campaign_id LIMIT 1"
CLUSTER_EXISTS = "MATCH (c:Cluster {cluster_id: $id}) RETURN c.cluster_id AS cluster_id LIMIT 1"
LATEST_RUN_ID = "MATCH (d:DetectionRun) RETURN d.run_id AS run_id ORDER BY d.started_at DESC LIMIT 1"


def short_cluster_id(cluster_id: str) -> str:
    """`det-…-c0001` -> `c0001`."""
    return cluster_id.rsplit("-", 1)[-1]


def expand_short_id(graph: Graph, short: str) -> str | None:
    """`c1` (or `k1`) -> the full id it would have in the latest detection run (None when there is no run)."""
    latest = graph.read(LATEST_RUN_ID)
    prefix = short[0].lower()
    return f"{latest[0]['run_id']}-{prefix}{int(short[1:]):0{SHORT_ID_DIGITS}d}" if latest else None


def resolve_campaign_id(graph: Graph, given: str) -> str:
    """The full id of a campaign given in full or short form (`k0001`); an unknown id is an error."""
    given = given.strip()
    if graph.read(CAMPAIGN_EXISTS, {"id": given}):
        return given
    if SHORT_CAMPAIGN_ID.match(given):
        full = expand_short_id(graph, given)
        if full and graph.read(CAMPAIGN_EXISTS, {"id": full}):
            return full
    raise RingtraceError(f"No campaign {given}. `ringtrace detect` prints the campaigns of a run, and "
                         "`ringtrace query campaigns` lists those of the latest run.")


def resolve_cluster_id(graph: Graph, given: str) -> str:
    """The full id of a cluster given in full or short form; an unknown id is an error that says so."""
    given = given.strip()
    if graph.read(CLUSTER_EXISTS, {"id": given}):
        return given
    if SHORT_ID.match(given):
        full = expand_short_id(graph, given)
        if full is None:
            raise RingtraceError(f"There is no detection run yet, so {given} names no cluster: run `ringtrace detect`.")
        if graph.read(CLUSTER_EXISTS, {"id": full}):
            return full
        raise RingtraceError(f"The latest detection run has no cluster {given} ({full}). "
                             "List its clusters with `ringtrace query flagged_clusters`.")
    raise RingtraceError(f"No cluster {given}. Give a full cluster id or the short form (c0001) of a cluster "
                         "of the latest run; `ringtrace query flagged_clusters` lists them.")
