// name: clusters_sharing_infrastructure
// title: Clusters that share infrastructure
// description: Pairs of clusters of the latest detection run whose accounts share cards, devices or addresses, with how many shared items of each kind.
// param: limit int 50 Most pairs returned
// tags: cluster, infrastructure
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c1:Cluster {run_id: d.run_id})<-[:MEMBER_OF]-(:Account)-[:PAID_WITH|USED_DEVICE|LOGGED_IN_FROM|REQUESTED_FROM]->(item)<-[:PAID_WITH|USED_DEVICE|LOGGED_IN_FROM|REQUESTED_FROM]-(:Account)-[:MEMBER_OF]->(c2:Cluster {run_id: d.run_id})
WHERE c1.cluster_id < c2.cluster_id
WITH c1, c2, labels(item)[0] AS kind, count(DISTINCT item) AS shared
RETURN c1.cluster_id AS cluster_a, c2.cluster_id AS cluster_b, collect(kind + ': ' + toString(shared)) AS shared_items,
       sum(shared) AS total
ORDER BY total DESC LIMIT $limit
