"""Training and evaluation data: public sources, team-written examples, the corpus."""
