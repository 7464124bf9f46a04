"""Images on flagged items and reports: hash lists of known abuse imagery and matching (docs/media.md)."""
