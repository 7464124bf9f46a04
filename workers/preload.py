"""What a worker loads before it forks. The scoring pipeline extends this."""

from __future__ import annotations

import logging

from flask import Flask
from redis import Redis

log = logging.getLogger(__name__)


def preload(app: Flask, conn: Redis) -> None:
    """Load heavy modules once in the parent so every forked job shares them."""
    log.info("worker preload: nothing heavy to load yet")
