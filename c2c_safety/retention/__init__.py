"""Data lifecycle: retention policies and sweep, anonymisation, data-subject requests, key rotation."""
