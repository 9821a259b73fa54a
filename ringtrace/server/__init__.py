"""The local server manager: the project-run Neo4j (fetch, start, stop), its offline bulk import and swap
journal, and the home's lock. It imports the ground floor (ringtrace.core) only."""
