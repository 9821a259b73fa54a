// name: shortest_path_account_to_organisation
// title: Shortest evidence paths from an account to an organisation
// description: The shortest paths (up to 6 hops) over evidence relationships from an account to an organisation, e.g. through a shared card billed to it or an address in its netblock.
// param: account_id string "acc-00004844" The account
// param: org_id string "org-lab-quillon" The organisation
// tags: path, attribution
MATCH (a:Account {account_id: $account_id}), (o:Organisation {org_id: $org_id})
MATCH p = allShortestPaths((a)-[:PAID_WITH|BILLED_TO|EMAIL_AT|CONTROLS_DOMAIN|HAS_API_KEY|CREATED_FROM|IN_NETWORK_OF|LOGGED_IN_FROM|SIGNED_UP_FROM|USED_DEVICE|USES_DEVICE|USES_IP|WORKS_FOR|OWNED_BY*..6]-(o))
RETURN [n IN nodes(p) | coalesce(n.account_id, n.card_fingerprint, n.ip, n.device_id, n.domain, n.api_key_id, n.person_id, n.org_id)] AS path,
       [r IN relationships(p) | type(r)] AS via, length(p) AS hops
LIMIT 25
