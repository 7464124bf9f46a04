"""The shared core: configuration, database, Redis, queueing, access checks, crypto, web wiring, page languages (gettext)."""
