"""Encoders that turn text into per-category probabilities: the default multilingual-e5-small
with our LoRA adapters (e5*.py) and any local Hugging Face checkpoint (hf.py, labelmap.py)."""
