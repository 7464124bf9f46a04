"""The shared core: configuration, database, Redis, queueing, access checks, crypto, web wiring, languages."""
