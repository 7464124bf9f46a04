"""The queue-aging job: lift waiting items one severity level after 24 hours (review/aging.py)."""

from __future__ import annotations

import logging

from c2c_safety.review.aging import promote_due
from workers.context import job_session
from workers.periodic import tracked

log = logging.getLogger(__name__)


@tracked("queue-aging")
def run() -> int:
    with job_session() as s:
        n = promote_due(s)
        s.commit()
    if n:
        log.info("queue aging: %s item(s) lifted one level", n)
    return n
