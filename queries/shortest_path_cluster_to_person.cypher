// name: shortest_path_cluster_to_person
// title: Shortest evidence paths from a cluster to a person
// description: For the given cluster (default: the top cluster of the latest detection run), the shortest evidence paths from any member account to the person.
// param: cluster_id cluster "" The cluster (empty: top cluster of the latest run)
// param: person_id string "person-004" The person
// tags: path, attribution, cluster
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster) WHERE c.cluster_id = $cluster_id OR ($cluster_id = '' AND c.run_id = d.run_id AND c.rank = 1)
MATCH (p:Person {person_id: $person_id})
MATCH (c)<-[:MEMBER_OF]-(a:Account)
MATCH path = shortestPath((a)-[:PAID_WITH|USED_DEVICE|USES_DEVICE|USES_IP|LOGGED_IN_FROM|SIGNED_UP_FROM|REQUESTED_FROM|OWNED_BY|HAS_API_KEY|CREATED_FROM*..4]-(p))
RETURN c.cluster_id AS cluster_id, a.account_id AS account_id,
       [n IN nodes(path) | coalesce(n.account_id, n.card_fingerprint, n.ip, n.device_id, n.api_key_id, n.person_id)] AS path,
       [r IN relationships(path) | type(r)] AS via, length(path) AS hops
ORDER BY hops, account_id LIMIT 50
