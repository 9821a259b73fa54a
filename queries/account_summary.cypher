// name: account_summary
// title: One account and its evidence
// description: An account's properties and counts of everything it links to: cards, devices, addresses, keys, templates, models, clusters.
// param: account_id string "acc-00004844" The account
// tags: account
MATCH (a:Account {account_id: $account_id})
RETURN a.account_id AS account_id, a.email AS email, a.created_at AS created_at, a.verified AS verified,
       a.requests AS requests, a.claimed_org AS claimed_org, a.decision AS decision,
       a.decision_case AS decision_case, a.decision_by AS decision_by, a.decision_at AS decision_at,
       COUNT { (a)-[:PAID_WITH]->() } AS cards, COUNT { (a)-[:USED_DEVICE]->() } AS devices,
       COUNT { (a)-[:LOGGED_IN_FROM|REQUESTED_FROM|SIGNED_UP_FROM]->() } AS address_links,
       COUNT { (a)-[:HAS_API_KEY]->() } AS api_keys, COUNT { (a)-[:USED_TEMPLATE]->() } AS templates,
       [(a)-[:MEMBER_OF]->(c:Cluster) | c.cluster_id] AS clusters
