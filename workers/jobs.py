"""Small jobs that are not tied to one feature."""

from __future__ import annotations

import os


def ping(payload: str) -> dict[str, object]:
    """Round-trip check: proves a worker picked up a job from Redis and ran it."""
    return {"echo": payload, "pid": os.getpid()}
