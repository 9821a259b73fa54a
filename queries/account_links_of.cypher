// name: account_links_of
// title: Transfers, referrals and invites around an account
// description: The links the platform observed between an account and other accounts (either direction), with kind, time and amount.
// param: account_id string "acc-00004844" The account to start from
// param: limit int 200 Most rows returned
// tags: link, transfer, referral, account
MATCH (a:Account {account_id: $account_id})-[r:LINKED_TO]-(other:Account)
RETURN CASE WHEN startNode(r) = a THEN 'out' ELSE 'in' END AS direction, other.account_id AS other_account,
       r.kind AS kind, r.ts AS ts, r.amount AS amount, r.currency AS currency
ORDER BY ts DESC LIMIT $limit
