// name: flagged_clusters
// title: Flagged clusters of the latest detection run
// description: Clusters the latest detection run flagged, by score, with their top reasons and attributions.
// param: limit int 100 Most rows returned
// tags: cluster, detection
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster {run_id: d.run_id}) WHERE c.flagged
OPTIONAL MATCH (c)-[r:ATTRIBUTED_TO]->(t)
WITH c, r, t ORDER BY r.confidence DESC
WITH c, collect(coalesce(t.name, '') + ' (' + toString(round(r.confidence, 2)) + ')')[..2] AS attributed
RETURN c.cluster_id AS cluster_id, c.size AS size, c.score AS score, c.reasons[..3] AS top_reasons, attributed
ORDER BY c.score DESC LIMIT $limit
