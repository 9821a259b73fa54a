// name: proxy_service_accounts
// title: Accounts behind a proxy service's exit nodes
// description: Every account whose logins or requests came through exit nodes of the given proxy service, with request counts.
// param: service_org_id string "org-proxy-hydra" The proxy service (organisation id)
// param: limit int 500 Most rows returned
// tags: proxy, infrastructure
MATCH (o:Organisation {org_id: $service_org_id})<-[:OPERATED_BY]-(x:Proxy)-[:EXIT_IP]->(i:IPAddress)
MATCH (i)<-[r:LOGGED_IN_FROM|REQUESTED_FROM]-(a:Account)
WITH a, count(DISTINCT x) AS exit_nodes, sum(coalesce(r.requests, 0)) AS requests, sum(coalesce(r.count, 0)) AS logins
RETURN a.account_id AS account_id, a.email AS email, exit_nodes, requests, logins
ORDER BY requests DESC, account_id LIMIT $limit
