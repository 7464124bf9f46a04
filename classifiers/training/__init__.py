"""`python -m classifiers train`: corpus -> cached frozen layers -> LoRA + head -> calibration
and thresholds -> weights/e5/."""
