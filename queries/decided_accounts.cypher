// name: decided_accounts
// title: Accounts with an investigator's decision
// description: Accounts a case confirmed as fraudulent or cleared as a false positive, with the case, who and when.
// param: decision string "confirmed" confirmed or false_positive
// param: limit int 1000 Most rows returned
// tags: case, account
MATCH (a:Account {decision: $decision})
OPTIONAL MATCH (c:Case {case_id: a.decision_case})
RETURN a.account_id AS account_id, a.decision AS decision, a.decision_case AS case_id, c.title AS case_title,
       a.decision_by AS decided_by, a.decision_at AS decided_at
ORDER BY decided_at DESC, account_id LIMIT $limit
