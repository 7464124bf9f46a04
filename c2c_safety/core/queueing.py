"""Enqueueing jobs from the web process without importing them (and so never torch).

The rule everywhere: commit first, then enqueue. If Redis is down the enqueue fails
quietly, the committed row stays pending, and the reconciler picks it up later.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")


def queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=get_redis(app or current_app))


def enqueue(
    func_path: str,
    *args: Any,
    queue_name: str = "default",
    job_id: str | None = None,
    retry: Retry | None = None,
    app: Flask | None = None,
    unique: bool = False,
    **kwargs: Any,
) -> str | None:
    """Enqueue `func_path` by its dotted name; return the job id, or None if Redis is down.
    `unique` (with a `job_id`): if a job with that id exists already, enqueue nothing and
    return the id (one atomic round trip either way)."""
    try:
        job = queue(queue_name, app).enqueue_call(
            func_path,
            args=args,
            kwargs=kwargs,
            job_id=job_id,
            retry=retry or Retry(max=3, interval=[5, 30, 120]),
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            unique=unique,
        )
    except DuplicateJobError:
        return job_id
    except (RedisError, OSError, EmbeddedRedisError) as exc:
        log.warning("enqueue of %s failed, left for the reconciler: %s", func_path, type(exc).__name__)
        return None
    return str(job.id)
