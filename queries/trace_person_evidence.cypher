// name: trace_person_evidence
// title: Evidence linking a cluster to people
// description: Every kind of link from a cluster's accounts to a named person: cards in the person's name or with the person's email, sign-up emails that are the person's, the person's devices and addresses, and the person's own accounts sharing devices or addresses with the cluster.
// param: cluster_id cluster "" The Cluster to trace (cluster_id)
// tags: trace, attribution, person
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(card:PaymentCard)
WHERE card.billing_name_key IS NOT NULL
MATCH (p:Person {name_key: card.billing_name_key})
WITH p, collect(DISTINCT a) AS members, collect(DISTINCT card) AS cards, count(*) AS links
// names collide: cards in the same name outside the cluster make the link less specific
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'card_in_person_name' AS evidence,
       size(members) AS accounts, [c IN cards | c.card_fingerprint][..5] AS items, links,
       null AS first_seen, null AS last_seen,
       COUNT { MATCH (x:PaymentCard {billing_name_key: p.name_key}) } - size(cards) AS outside_accounts
UNION ALL
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(card:PaymentCard)
WHERE card.billing_email IS NOT NULL
MATCH (p:Person) WHERE toLower(card.billing_email) IN [e IN coalesce(p.emails, []) | toLower(e)]
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'card_billing_email' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT card.card_fingerprint)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person) WHERE p.emails IS NOT NULL
UNWIND p.emails AS email
MATCH (a:Account {email: toLower(email)})-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'account_email' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT a.email)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person)-[:USES_DEVICE]->(d:Device)<-[r:USED_DEVICE]-(a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'person_device' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT d.device_id)[..5] AS items, sum(coalesce(r.count, 1)) AS links,
       min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person)-[:USES_IP]->(i:IPAddress)<-[r:LOGGED_IN_FROM|SIGNED_UP_FROM|REQUESTED_FROM]-(a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'person_address' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT i.ip)[..5] AS items, sum(coalesce(r.requests, r.count, 1)) AS links,
       min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person)-[:USES_IP]->(i:IPAddress)<-[:CREATED_FROM]-(:APIKey)<-[:HAS_API_KEY]-(a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'api_key_from_person_address' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT i.ip)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person)<-[:OWNED_BY]-(own:Account)-[:USED_DEVICE|LOGGED_IN_FROM|SIGNED_UP_FROM]->(x)<-[:USED_DEVICE|LOGGED_IN_FROM|SIGNED_UP_FROM]-(a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
WHERE own <> a
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'own_account_shares_items' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT coalesce(x.device_id, x.ip))[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
UNION ALL
MATCH (p:Person)<-[:OWNED_BY]-(a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id})
RETURN p.person_id AS target_id, p.name AS target_name, p.role AS target_type, 'account_owned_by_person' AS evidence,
       count(DISTINCT a) AS accounts, collect(DISTINCT a.account_id)[..5] AS items, count(*) AS links,
       null AS first_seen, null AS last_seen, 0 AS outside_accounts
