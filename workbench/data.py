"""What the workbench reads and writes beyond the CLI's functions: overview, search, neighbours, notes."""
from __future__ import annotations

from typing import Any

from cases.notes import NOTES_OF  # noqa: F401 (the node panel reads notes with it)
from graph.cluster_ids import SHORT_ID, expand_short_id
from graph.db import LABEL_KEYS, TRANSIENT_RELATIONSHIPS, Graph, node_key

# One count per label from Neo4j's count store (a label written in the query text is O(1)); the labels
# are the graph model's own (graph/db.py LABEL_KEYS), never user input.
OVERVIEW_COUNTS = "CALL () {\n" + "\n  UNION ALL\n".join(
    f"  MATCH (n:{label}) RETURN '{label}' AS label, count(n) AS n" for label in LABEL_KEYS) + "\n}\nRETURN label, n ORDER BY n DESC"
DATA_SPAN = """
MATCH (a:Account) RETURN min(a.first_request) AS first_request, max(a.last_request) AS last_request,
       min(a.created_at) AS first_signup, max(a.created_at) AS last_signup
"""
LOAD_RUNS = """
MATCH (l:LoadRun) RETURN l.run_id AS run_id, l.status AS status, l.started_at AS started_at,
       l.rows_read AS read, l.rows_loaded AS loaded, l.rows_rejected AS rejected ORDER BY started_at DESC LIMIT 20
"""
LATEST_DETECTION = """
MATCH (d:DetectionRun) RETURN d.run_id AS run_id, d.started_at AS started_at, d.clusters AS clusters,
       d.flagged AS flagged, d.parameters AS parameters, d.fdr AS fdr, d.p_value_cut AS p_value_cut,
       d.multi_accounts AS multi_accounts ORDER BY d.started_at DESC LIMIT 1
"""
CLUSTERS_OF_RUN = """
MATCH (c:Cluster {run_id: $run_id})
OPTIONAL MATCH (c)-[r:ATTRIBUTED_TO]->(o:Organisation)
WITH c, o, r ORDER BY r.confidence DESC
WITH c, collect(o.name)[0] AS top_org, collect(r.confidence)[0] AS org_confidence
RETURN c.cluster_id AS cluster_id, c.rank AS rank, c.size AS size, c.score AS score, c.flagged AS flagged,
       c.reasons[..2] AS top_reasons, top_org, org_confidence, c.multi_account AS multi_account,
       c.q_value AS q_value
ORDER BY c.rank
"""
CAMPAIGNS_OF_RUN = """
MATCH (k:Campaign {run_id: $run_id})
OPTIONAL MATCH (k)-[r:ATTRIBUTED_TO]->(t)
WITH k, t, r ORDER BY r.confidence DESC
WITH k, collect(t.name)[0] AS top_name, collect(r.confidence)[0] AS top_confidence
RETURN k.campaign_id AS campaign_id, k.rank AS rank, k.clusters AS clusters, k.accounts AS accounts,
       k.score AS score, k.reasons AS reasons, top_name, top_confidence
ORDER BY k.rank
"""
CAMPAIGN = """
MATCH (k:Campaign {campaign_id: $campaign_id})
CALL (k) {
  MATCH (c:Cluster)-[:PART_OF]->(k)
  RETURN collect({cluster_id: c.cluster_id, size: c.size, score: c.score, top_reasons: c.reasons[..2]}) AS clusters
}
CALL (k) {
  MATCH (a:Account)-[:MEMBER_OF]->(:Cluster)-[:PART_OF]->(k)
  RETURN collect(a.account_id) AS members
}
RETURN k.campaign_id AS campaign_id, k.accounts AS accounts, k.score AS score, k.reasons AS reasons,
       clusters, members
"""
CLUSTER = "MATCH (c:Cluster {cluster_id: $cluster_id}) RETURN c {.*} AS cluster"
ACCOUNT_CLUSTER = """
MATCH (a:Account {account_id: $account_id})-[:MEMBER_OF]->(c:Cluster {run_id: $run_id})
RETURN c.cluster_id AS cluster_id
"""
# Every kind by the prefix of its id (index-backed), people, organisations and models also by any part
# of their name; exact ids first. Each branch is capped so one common prefix cannot flood the list.
SEARCH = """
CALL () {
  MATCH (n:Account) WHERE n.account_id STARTS WITH $q RETURN n, n.account_id AS key LIMIT $limit
  UNION MATCH (n:Account) WHERE n.email STARTS WITH $lq RETURN n, n.account_id AS key LIMIT $limit
  UNION MATCH (n:IPAddress) WHERE n.ip STARTS WITH $q RETURN n, n.ip AS key LIMIT $limit
  UNION MATCH (n:PaymentCard) WHERE n.card_fingerprint STARTS WITH $q RETURN n, n.card_fingerprint AS key LIMIT $limit
  UNION MATCH (n:Device) WHERE n.device_id STARTS WITH $q RETURN n, n.device_id AS key LIMIT $limit
  UNION MATCH (n:APIKey) WHERE n.api_key_id STARTS WITH $q RETURN n, n.api_key_id AS key LIMIT $limit
  UNION MATCH (n:Proxy) WHERE n.proxy_id STARTS WITH $q RETURN n, n.proxy_id AS key LIMIT $limit
  UNION MATCH (n:PromptTemplate) WHERE n.prompt_fingerprint STARTS WITH $q
        RETURN n, n.prompt_fingerprint AS key LIMIT $limit
  UNION MATCH (n:EmailDomain) WHERE n.domain STARTS WITH $lq RETURN n, n.domain AS key LIMIT $limit
  UNION MATCH (n:Cluster) WHERE n.cluster_id STARTS WITH $q OR n.cluster_id = $cluster
        RETURN n, n.cluster_id AS key LIMIT $limit
  UNION MATCH (n:Person) WHERE n.person_id STARTS WITH $q OR toLower(n.name) CONTAINS $lq
        RETURN n, n.person_id AS key LIMIT $limit
  UNION MATCH (n:Organisation) WHERE n.org_id STARTS WITH $q OR toLower(n.name) CONTAINS $lq
        RETURN n, n.org_id AS key LIMIT $limit
  UNION MATCH (n:Model) WHERE toLower(n.name) CONTAINS $lq RETURN n, n.name AS key LIMIT $limit
  UNION MATCH (n:Identifier) WHERE n.value STARTS WITH $q OR n.value STARTS WITH $lq OR n.identifier_id STARTS WITH $lq
        RETURN n, n.identifier_id AS key LIMIT $limit
}
WITH n, key ORDER BY CASE WHEN key = $q OR key = $cluster THEN 0 ELSE 1 END, size(key), key
RETURN elementId(n) AS element_id, labels(n)[0] AS label, n {.*} AS props LIMIT $limit
"""
SEARCH_MIN_CHARS = 2
NODE = "MATCH (n) WHERE elementId(n) = $element_id RETURN labels(n)[0] AS label, n {.*} AS props"
NEIGHBOURS = """
MATCH (n) WHERE elementId(n) = $element_id
MATCH (n)-[r]-(m)
WHERE NOT type(r) IN $hidden AND (size($labels) = 0 OR labels(m)[0] IN $labels)
  AND ($since IS NULL OR coalesce(r.last_seen, r.at, datetime($since)) >= datetime($since))
  AND ($until IS NULL OR coalesce(r.first_seen, r.at, datetime($until)) <= datetime($until))
WITH n, r, m ORDER BY coalesce(r.requests, r.count, 1) DESC
RETURN elementId(m) AS element_id, labels(m)[0] AS label, m {.*} AS props, type(r) AS type,
       elementId(startNode(r)) = elementId(n) AS outgoing
LIMIT $limit
"""
NEIGHBOUR_COUNT = """
MATCH (n) WHERE elementId(n) = $element_id RETURN COUNT { (n)-[r]-() WHERE NOT type(r) IN $hidden } AS total
"""


def display_key(label: str, props: dict[str, Any]) -> str:
    """The name shown for a node: its id or name, else its label."""
    return node_key(props, default=label, label=label)


def search(graph: Graph, q: str, limit: int = 50) -> list[dict[str, Any]]:
    """Nodes of any kind whose id starts with `q` (or whose name contains it); exact matches first."""
    q = q.strip()
    if len(q) < SEARCH_MIN_CHARS:
        return []
    cluster = (expand_short_id(graph, q) or "") if SHORT_ID.match(q) else ""
    return graph.read(SEARCH, {"q": q, "lq": q.lower(), "cluster": cluster, "limit": limit})


def neighbours(graph: Graph, element_id: str, labels: list[str], since: str | None, until: str | None,
               limit: int) -> tuple[list[dict[str, Any]], int]:
    rows = graph.read(NEIGHBOURS, {"element_id": element_id, "labels": labels, "since": since, "until": until,
                                   "limit": limit, "hidden": TRANSIENT_RELATIONSHIPS})
    total = graph.read(NEIGHBOUR_COUNT, {"element_id": element_id, "hidden": TRANSIENT_RELATIONSHIPS})[0]["total"]
    return rows, total


