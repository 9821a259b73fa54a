// name: campaigns
// title: Campaigns of the latest detection run
// description: Flagged clusters grouped by operator-level evidence, largest first, with reasons, clusters and top attribution.
// param: limit int 100 Most rows returned
// tags: campaign, detection
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (k:Campaign {run_id: d.run_id})
OPTIONAL MATCH (c:Cluster)-[:PART_OF]->(k)
WITH k, collect(c.cluster_id) AS clusters
OPTIONAL MATCH (k)-[r:ATTRIBUTED_TO]->(t)
WITH k, clusters, r, t ORDER BY r.confidence DESC
WITH k, clusters, collect(coalesce(t.name, '') + ' (' + toString(round(r.confidence, 2)) + ')')[..2] AS attributed
RETURN k.campaign_id AS campaign_id, k.accounts AS accounts, k.score AS score, size(clusters) AS cluster_count,
       clusters, k.reasons AS reasons, attributed
ORDER BY k.rank LIMIT $limit
