// name: cluster_infrastructure
// title: Proxy services and exit nodes a cluster used
// description: The proxy services whose exit nodes carried a cluster's logins and requests: infrastructure the operation used, never its originator.
// param: cluster_id cluster "" The Cluster (cluster_id)
// tags: trace, infrastructure, proxy
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[r:LOGGED_IN_FROM|REQUESTED_FROM|SIGNED_UP_FROM]->(i:IPAddress)<-[:EXIT_IP]-(x:Proxy)-[:OPERATED_BY]->(o:Organisation)
RETURN o.org_id AS service_id, o.name AS service, count(DISTINCT a) AS accounts, count(DISTINCT x) AS exit_nodes,
       sum(coalesce(r.requests, r.count, 1)) AS events, collect(DISTINCT x.proxy_type) AS proxy_types
ORDER BY events DESC
