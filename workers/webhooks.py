"""Webhook delivery jobs: sign and POST one delivery; retry with exponential backoff until
the platform acknowledges (2xx). Every attempt is recorded (webhooks.deliveries).

`deliver` takes only the delivery id, is idempotent (a delivered row is skipped, a lease
stops two workers sending at once) and schedules its own retry. `reconcile` re-enqueues
anything due that never reached Redis or whose job died.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from c2c_safety.core.queueing import queue
from c2c_safety.webhooks import deliveries as webhooks
from workers.context import get_app, job_session

log = logging.getLogger(__name__)


def deliver(delivery_id: int) -> str:
    app = get_app()
    with app.app_context():
        outcome = webhooks.run_delivery(delivery_id, app)
        if outcome.retry_in is not None:
            try:
                queue("high", app).enqueue_in(timedelta(seconds=outcome.retry_in), webhooks.JOB,
                                              delivery_id)
            except Exception as exc:  # the reconciler picks the row up instead
                log.warning("could not schedule retry of delivery %s: %s", delivery_id,
                            type(exc).__name__)
    log.info("webhook delivery %s: %s (HTTP %s)", delivery_id, outcome.status, outcome.status_code)
    return outcome.status


RECONCILE_EVERY = timedelta(minutes=5)


def ensure_scheduled(conn: Redis, now: datetime | None = None) -> str:
    """Schedule the next reconcile run unless it already is (idempotent: the job id is the
    5-minute slot, so any number of workers schedule it once). Returns the job id."""
    now = now or datetime.now(UTC)
    step = int(RECONCILE_EVERY.total_seconds())
    when = datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=UTC)
    job_id = f"c2c-webhooks-reconcile-{when:%Y%m%d%H%M}"
    try:
        Job.fetch(job_id, connection=conn)
        return job_id
    except NoSuchJobError:
        pass
    Queue("low", connection=conn).enqueue_at(when, "workers.webhooks.reconcile", job_id=job_id,
                                             result_ttl=3600, failure_ttl=24 * 3600)
    return job_id


def reconcile() -> int:
    """Enqueue every due pending delivery, then schedule the next run."""
    from c2c_safety.core.redis_conn import get_redis

    try:
        ensure_scheduled(get_redis(get_app()), datetime.now(UTC) + timedelta(seconds=1))
    except Exception as exc:  # the next worker start schedules it again
        log.warning("could not schedule the next reconcile: %s", type(exc).__name__)
    with job_session() as s:
        ids = webhooks.due_deliveries(s)
        s.commit()
        app = get_app()
        for delivery_id in ids:
            webhooks.enqueue(delivery_id, app)
    return len(ids)
