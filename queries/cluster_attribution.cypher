// name: cluster_attribution
// title: Attributions of a cluster
// description: The organisations and people a traced cluster is attributed to, with confidence and evidence.
// param: cluster_id cluster "" The cluster (empty: top cluster of the latest run)
// tags: trace, attribution, cluster
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster) WHERE c.cluster_id = $cluster_id OR ($cluster_id = '' AND c.run_id = d.run_id AND c.rank = 1)
MATCH (c)-[r:ATTRIBUTED_TO]->(t)
RETURN c.cluster_id AS cluster_id, r.target_kind AS target_kind, CASE WHEN t:Person THEN t.person_id ELSE t.org_id END AS target_id,
       t.name AS name, r.rank AS rank, r.confidence AS confidence, r.evidence AS evidence
ORDER BY target_kind, rank
