// name: trace_organisation_evidence
// title: Evidence linking a cluster to organisations
// description: Every kind of link from a cluster's accounts to an organisation: cards billed to it, sign-up or billing emails on its domains, logins, requests or API-key creation from its netblocks or ASNs, and its name typed at sign-up. Proxy services are left out (see cluster_infrastructure).
// param: cluster_id cluster "" The Cluster to trace (cluster_id)
// tags: trace, attribution, organisation
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(card:PaymentCard)-[:BILLED_TO]->(o:Organisation)
WHERE coalesce(o.kind, '') <> 'proxy_service'
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'card_billed_to_org' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT card.card_fingerprint)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:EMAIL_AT]->(d:EmailDomain)<-[:CONTROLS_DOMAIN]-(o:Organisation)
WHERE coalesce(o.kind, '') <> 'proxy_service'
WITH o, d, collect(DISTINCT a) AS members
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'signup_email_domain' AS evidence,
       size(members) AS accounts, [d.domain] AS items, size(members) AS links, null AS first_seen, null AS last_seen,
       COUNT { (d)<-[:EMAIL_AT]-(:Account) } - size(members) AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(card:PaymentCard)-[:BILLING_EMAIL_AT]->(d:EmailDomain)<-[:CONTROLS_DOMAIN]-(o:Organisation)
WHERE coalesce(o.kind, '') <> 'proxy_service'
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'billing_email_domain' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT d.domain)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:HAS_API_KEY]->(:APIKey)-[r:CREATED_FROM]->(i:IPAddress)-[:IN_NETWORK_OF]->(o:Organisation)
WHERE coalesce(o.kind, '') <> 'proxy_service'
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'api_key_from_network' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT i.ip)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[r:LOGGED_IN_FROM|SIGNED_UP_FROM|REQUESTED_FROM]->(i:IPAddress)-[:IN_NETWORK_OF]->(o:Organisation)
WHERE coalesce(o.kind, '') <> 'proxy_service'
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'traffic_from_network' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT i.ip)[..5] AS items,
       sum(coalesce(r.requests, r.count, 1)) AS links, min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen,
       0 AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
WHERE a.claimed_org IS NOT NULL AND trim(a.claimed_org) <> ''
MATCH (o:Organisation) WHERE toLower(o.name) = toLower(trim(a.claimed_org)) AND coalesce(o.kind, '') <> 'proxy_service'
RETURN o.org_id AS target_id, o.name AS target_name, o.kind AS target_type, 'claimed_org' AS evidence,
       count(DISTINCT a) AS accounts, [o.name] AS items, count(*) AS links, null AS first_seen, null AS last_seen,
       0 AS outside_accounts
