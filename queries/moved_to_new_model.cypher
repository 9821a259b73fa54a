// name: moved_to_new_model
// title: Accounts whose traffic moved to a new model soon after its release
// description: Accounts that first queried the model within N hours of its release event, with their request counts on it.
// param: model string "atlas-4" The newly released model
// param: hours int 24 Hours after the release
// param: limit int 500 Most rows returned
// tags: model, release, time
MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model {name: $model}) WHERE r.release
MATCH (a:Account)-[q:QUERIED_MODEL]->(m)
WHERE q.first_seen >= e.ts AND q.first_seen <= e.ts + duration({hours: $hours})
RETURN a.account_id AS account_id, q.first_seen AS first_request, duration.between(e.ts, q.first_seen).hours AS hours_after_release,
       q.requests AS requests_on_model, a.requests AS requests_total
ORDER BY first_request LIMIT $limit
