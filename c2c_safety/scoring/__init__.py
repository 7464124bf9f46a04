"""AI pre-scores (assistive only): the database side of the scoring pipeline and its queue."""
