"""`python -m classifiers evaluate`: held-out scoring, metrics, the classroom set, the report."""
