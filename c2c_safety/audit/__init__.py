"""The tamper-evident audit trail: recording entries and verifying the chain."""
