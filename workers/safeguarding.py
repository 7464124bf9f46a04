"""The cover job: overdue safeguarding referrals go to the deputy, then to the CEO
(c2c_safety/safeguarding/escalation.py). Idempotent: each step happens once per opening."""

from __future__ import annotations

import logging

from c2c_safety.safeguarding import escalation
from workers.context import job_session
from workers.periodic import tracked

log = logging.getLogger(__name__)


@tracked("safeguarding-cover")
def escalate() -> int:
    with job_session() as s:
        steps = escalation.run(s)
        s.commit()
    for step in steps:
        log.info("safeguarding cover: referral %s escalated (%s, %s recipient(s))", step.referral_id, step.step,
                 step.recipients)
    return len(steps)
