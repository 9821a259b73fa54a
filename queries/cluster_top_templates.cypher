// name: cluster_top_templates
// title: A cluster's top prompt templates and who else uses them
// description: The prompt templates a cluster's accounts use most, and how many accounts outside the cluster use each.
// param: cluster_id cluster "" The cluster (empty: top cluster of the latest run)
// param: limit int 20 Most templates returned
// tags: template, cluster
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster) WHERE c.cluster_id = $cluster_id OR ($cluster_id = '' AND c.run_id = d.run_id AND c.rank = 1)
MATCH (c)<-[:MEMBER_OF]-(a:Account)-[u:USED_TEMPLATE]->(t:PromptTemplate)
WITH c, t, count(DISTINCT a) AS members, sum(u.requests) AS requests
WITH c, t, members, requests, COUNT { (t)<-[:USED_TEMPLATE]-(:Account) } AS all_users
RETURN t.prompt_fingerprint AS template, members, requests, all_users - members AS outside_users
ORDER BY requests DESC LIMIT $limit
