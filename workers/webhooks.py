"""Webhook delivery jobs: sign and POST one delivery; retry with exponential backoff until
the platform acknowledges (2xx). Every attempt is recorded (webhooks.deliveries).

`deliver` takes only the delivery id, is idempotent (a delivered row is skipped, a lease
stops two workers sending at once) and schedules its own retry. `reconcile` is the periodic
job "webhooks-reconcile" (c2c_safety/core/periodic.py, every 5 minutes): it re-enqueues
anything due that never reached Redis, whose job died, or that was recorded while no
webhook was configured, so nobody has to press a button.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from c2c_safety.core.queueing import queue
from c2c_safety.webhooks import deliveries as webhooks
from workers.context import get_app, job_session
from workers.periodic import tracked

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


@tracked("webhooks-reconcile")
def reconcile() -> int:
    """Enqueue every due pending delivery."""
    with job_session() as s:
        ids = webhooks.due_deliveries(s)
        s.commit()
        app = get_app()
        for delivery_id in ids:
            webhooks.enqueue(delivery_id, app)
    return len(ids)
