"""The data contract into Neo4j."""
