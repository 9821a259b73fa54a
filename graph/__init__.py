"""The graph access layer over Neo4j."""
