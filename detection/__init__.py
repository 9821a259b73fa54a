"""Community detection over shared evidence, with explainable cluster scores."""

RUN_ID_TIME = "det-%Y%m%dT%H%M%SZ"  # a detection run's id is its UTC start time in this form, "-", a random suffix
