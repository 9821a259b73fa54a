// name: bundle_evidence_graph
// title: A cluster's evidence graph
// description: The cluster's accounts, the cards, devices, addresses, keys and other identifiers they use, the links between them, and the organisations, people and proxy services those lead to: the edges drawn in an evidence bundle.
// param: cluster_id cluster "" The cluster (empty: top cluster of the latest run)
// param: limit int 200000 Most edges returned
// tags: bundle, cluster, graph
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster) WHERE c.cluster_id = $cluster_id OR ($cluster_id = '' AND c.run_id = d.run_id AND c.rank = 1)
MATCH (c)<-[:MEMBER_OF]-(a:Account)
CALL (a, c) {
  RETURN 'Account' AS source_label, a.account_id AS source, 'MEMBER_OF' AS type, 'Cluster' AS target_label, c.cluster_id AS target
  UNION
  MATCH (a)-[r:PAID_WITH|USED_DEVICE|SIGNED_UP_FROM|LOGGED_IN_FROM|EMAIL_AT|OWNED_BY|HAS_IDENTIFIER]->(x)
  RETURN 'Account' AS source_label, a.account_id AS source, type(r) AS type, labels(x)[0] AS target_label,
         coalesce(x.card_fingerprint, x.device_id, x.ip, x.domain, x.person_id, x.identifier_id) AS target
  UNION
  MATCH (a)-[r:LINKED_TO]->(b:Account)
  RETURN 'Account' AS source_label, a.account_id AS source, 'LINKED_TO:' + r.kind AS type, 'Account' AS target_label,
         b.account_id AS target
  UNION
  MATCH (a)-[:HAS_API_KEY]->(:APIKey)-[:CREATED_FROM]->(i:IPAddress)
  RETURN 'Account' AS source_label, a.account_id AS source, 'API_KEY_CREATED_FROM' AS type, 'IPAddress' AS target_label, i.ip AS target
  UNION
  MATCH (a)-[:PAID_WITH]->(card:PaymentCard)-[:BILLED_TO]->(o:Organisation)
  RETURN 'PaymentCard' AS source_label, card.card_fingerprint AS source, 'BILLED_TO' AS type, 'Organisation' AS target_label, o.org_id AS target
  UNION
  MATCH (a)-[:USED_DEVICE]->(dev:Device)<-[:USES_DEVICE]-(p:Person)
  RETURN 'Person' AS source_label, p.person_id AS source, 'USES_DEVICE' AS type, 'Device' AS target_label, dev.device_id AS target
  UNION
  MATCH (a)-[:SIGNED_UP_FROM|LOGGED_IN_FROM]->(i:IPAddress)-[:IN_NETWORK_OF]->(o:Organisation)
  RETURN 'IPAddress' AS source_label, i.ip AS source, 'IN_NETWORK_OF' AS type, 'Organisation' AS target_label, o.org_id AS target
  UNION
  MATCH (a)-[:SIGNED_UP_FROM|LOGGED_IN_FROM]->(i:IPAddress)<-[:EXIT_IP]-(:Proxy)-[:OPERATED_BY]->(o:Organisation)
  RETURN 'IPAddress' AS source_label, i.ip AS source, 'EXIT_NODE_OF' AS type, 'Organisation' AS target_label, o.org_id AS target
}
RETURN DISTINCT source_label, source, type, target_label, target
LIMIT $limit
