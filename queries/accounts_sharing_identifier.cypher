// name: accounts_sharing_identifier
// title: Identifiers shared by several accounts
// description: Identifiers of any kind (phone, exact email, bank account, postal address, fingerprints, referral codes...) used by more than one account, most shared first.
// param: kind string "" Only this identifier kind (empty: every kind)
// param: min_accounts int 2 Fewest accounts sharing the identifier
// param: limit int 100 Most rows returned
// tags: identifier, sharing
MATCH (x:Identifier) WHERE $kind = '' OR x.kind = $kind
WITH x, COUNT { (x)<-[:HAS_IDENTIFIER]-(:Account) } AS accounts WHERE accounts >= $min_accounts
MATCH (a:Account)-[:HAS_IDENTIFIER]->(x)
WITH x, accounts, collect(a.account_id)[..20] AS sample_accounts
RETURN x.kind AS kind, x.value AS value, accounts, sample_accounts
ORDER BY accounts DESC, kind, value LIMIT $limit
