// name: load_runs
// title: Load runs
// description: Every load into this database, newest first, with what it read, loaded and rejected.
// param: limit int 50 Most rows returned
// tags: provenance
MATCH (l:LoadRun)
RETURN l.run_id AS run_id, l.dataset AS dataset, l.status AS status, l.started_at AS started_at,
       l.rows_read AS read, l.rows_loaded AS loaded, l.rows_rejected AS rejected
ORDER BY l.started_at DESC LIMIT $limit
