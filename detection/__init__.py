"""Community detection over shared evidence, with explainable cluster scores."""
