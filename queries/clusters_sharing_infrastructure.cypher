// name: clusters_sharing_infrastructure
// title: Clusters that share infrastructure
// description: Pairs of clusters of the latest detection run whose accounts share cards, devices or addresses, with how many shared items of each kind. An item touched by more than max_clusters clusters (a proxy pool's exit address, a carrier NAT) says nothing about any pair and is left out.
// param: limit int 50 Most pairs returned
// param: max_clusters int 25 Items shared by more clusters than this are left out
// tags: cluster, infrastructure
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster {run_id: d.run_id})<-[:MEMBER_OF]-(:Account)-[:PAID_WITH|USED_DEVICE|LOGGED_IN_FROM|REQUESTED_FROM]->(item)
WITH item, collect(DISTINCT c.cluster_id) AS clusters
WHERE size(clusters) > 1 AND size(clusters) <= $max_clusters
UNWIND clusters AS cluster_a
UNWIND clusters AS cluster_b
WITH cluster_a, cluster_b, item WHERE cluster_a < cluster_b
WITH cluster_a, cluster_b, labels(item)[0] AS kind, count(item) AS shared
WITH cluster_a, cluster_b, collect(kind + ': ' + toString(shared)) AS shared_items, sum(shared) AS total
RETURN cluster_a, cluster_b, shared_items, total
ORDER BY total DESC, cluster_a, cluster_b LIMIT $limit
