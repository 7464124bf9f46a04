"""The independent reviewer: read-only oversight, notes, quality samples, reports, the audit browser."""
