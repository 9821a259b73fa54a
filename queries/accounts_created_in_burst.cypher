// name: accounts_created_in_burst
// title: Accounts created in a burst around a time
// description: Accounts created within the given number of hours either side of a time, grouped by email domain and sign-up address.
// param: around datetime "2026-09-05T12:00:00Z" Centre of the window (ISO 8601)
// param: hours int 6 Hours either side
// param: limit int 500 Most rows returned
// tags: burst, signup, time
WITH datetime($around) AS t
MATCH (a:Account) WHERE a.created_at >= t - duration({hours: $hours}) AND a.created_at <= t + duration({hours: $hours})
OPTIONAL MATCH (a)-[:SIGNED_UP_FROM]->(i:IPAddress)
RETURN a.account_id AS account_id, a.email AS email, a.created_at AS created_at, i.ip AS signup_ip,
       i.is_proxy_exit AS via_proxy
ORDER BY created_at LIMIT $limit
