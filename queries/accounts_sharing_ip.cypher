// name: accounts_sharing_ip
// title: Accounts sharing an IP address with an account
// description: Accounts that signed up, logged in or sent requests from an address the given account used, with how many accounts share each address (a high count means NAT or a proxy pool).
// param: account_id string "acc-00004844" The account to start from
// param: limit int 200 Most rows returned
// tags: ip, sharing, account
MATCH (a:Account {account_id: $account_id})-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->(i:IPAddress)
WITH DISTINCT a, i
MATCH (i)<-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]-(other:Account) WHERE other <> a
WITH other, collect(DISTINCT i.ip) AS shared_ips
RETURN other.account_id AS account_id, other.email AS email, size(shared_ips) AS shared, shared_ips[..10] AS ips
ORDER BY shared DESC, account_id LIMIT $limit
