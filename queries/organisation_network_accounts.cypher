// name: organisation_network_accounts
// title: Accounts active from an organisation's network
// description: Accounts that signed up, logged in, sent requests or created API keys from addresses in the organisation's netblocks or ASNs.
// param: org_id string "org-lab-quillon" The organisation
// param: limit int 500 Most rows returned
// tags: organisation, network, ip
MATCH (o:Organisation {org_id: $org_id})<-[:IN_NETWORK_OF]-(i:IPAddress)
OPTIONAL MATCH (i)<-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]-(a:Account)
OPTIONAL MATCH (i)<-[:CREATED_FROM]-(:APIKey)<-[:HAS_API_KEY]-(k:Account)
WITH i, collect(DISTINCT a.account_id) + collect(DISTINCT k.account_id) AS accounts
UNWIND accounts AS account_id
RETURN DISTINCT account_id, i.ip AS ip ORDER BY account_id LIMIT $limit
