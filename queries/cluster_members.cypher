// name: cluster_members
// title: Members of a cluster
// description: The accounts of a cluster (default: the top cluster of the latest run) with their key properties and activity.
// param: cluster_id cluster "" The cluster (empty: top cluster of the latest run)
// param: limit int 1000 Most rows returned
// tags: cluster, account
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster) WHERE c.cluster_id = $cluster_id OR ($cluster_id = '' AND c.run_id = d.run_id AND c.rank = 1)
MATCH (c)<-[:MEMBER_OF]-(a:Account)
RETURN c.cluster_id AS cluster_id, a.account_id AS account_id, a.email AS email, a.created_at AS created_at,
       a.verified AS verified, a.plan AS plan, a.requests AS requests, a.claimed_org AS claimed_org,
       a.decision AS decision, a.decision_case AS decision_case, a.decision_by AS decision_by,
       a.decision_at AS decision_at
ORDER BY account_id LIMIT $limit
