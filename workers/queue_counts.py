"""Recount the waiting queue and share the number through Redis (review.queue_count).

Idempotent and cheap to repeat: the periodic job "queue-counts" runs it every minute, and
the web process asks for it at most every 30 seconds.
"""

from __future__ import annotations

from c2c_safety.core.redis_conn import get_redis
from c2c_safety.review import queue_count
from workers.context import get_app, job_session
from workers.periodic import tracked


@tracked("queue-counts")
def refresh() -> int:
    with job_session() as s:
        n = queue_count.exact_total(s)
    queue_count.store(get_redis(get_app()), n)
    return n
