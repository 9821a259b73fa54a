// name: similar_accounts
// title: Accounts ranked like a seed set (stored similarity links)
// description: The accounts `ringtrace similar` or the workbench's "More accounts like these" ranked most like a seed set, newest search first: seeded from a case or cluster id (seeds_from) and/or holding an account among its seeds (empty: any), with rank, score (decades of co-activity with the seeds' waves against chance), shared waves, behavioural similarity and the reasons.
// param: seeds_from string "" A case or cluster id the search was seeded from (empty: any)
// param: account_id string "" An account among the search's seeds (empty: any)
// param: limit int 500 Most rows returned
// tags: similarity, behaviour, case, account
MATCH (s:SimilaritySearch)
WHERE ($seeds_from = '' OR s.seeds_from = $seeds_from)
  AND ($account_id = '' OR EXISTS { MATCH (s)-[:SEEDED_BY]->(:Account {account_id: $account_id}) })
MATCH (s)-[r:RANKED]->(a:Account)
RETURN s.search_id AS search_id, s.seeds_from AS seeds_from, s.at AS searched_at, s.by AS searched_by,
       r.rank AS rank, a.account_id AS account_id, r.score AS score, r.shared_waves AS shared_waves,
       r.similarity AS similarity, r.reasons AS reasons
ORDER BY searched_at DESC, search_id, rank LIMIT $limit
