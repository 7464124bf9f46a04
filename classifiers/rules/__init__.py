"""Transparent rules: patterns.py (data: regexes per family and language) and engine.py
(matching, offsets, weights). Rules are evidence with offsets, never a decision."""
