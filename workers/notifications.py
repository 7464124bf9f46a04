"""Notice e-mails: the send job (enqueued after the commit that made the notices), the
periodic sender (due retries, and rows whose job never reached Redis) and the periodic
scan (deadlines, failing webhooks). See c2c_safety/notifications/.

`send_emails(ids)` raises when any e-mail could not be sent, so RQ retries the job (its
backoff); the outbox row also carries its own next attempt, and `send_due` picks it up,
so an SMTP outage (or a Redis that lost the job) delays a notice and never loses it.
"""

from __future__ import annotations

import logging

from c2c_safety.notifications import handovers as handovers  # the handover hook, in workers too
from c2c_safety.notifications import mailer, resolution, triggers
from c2c_safety.review.referrals import deadline_notices as referral_deadlines
from workers.context import get_app, job_session
from workers.periodic import tracked

log = logging.getLogger(__name__)


class SendLaterError(RuntimeError):
    """Some e-mails could not be sent now; they stay in the outbox with a next attempt."""


def send_emails(email_ids: list[int]) -> dict[str, int]:
    app = get_app()
    counts: dict[str, int] = {}
    for email_id in email_ids:
        outcome = mailer.send(app, int(email_id))
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    log.info("notice e-mails: %s", counts)  # counts only: never addresses or content
    if counts.get("retry"):
        raise SendLaterError(f"{counts['retry']} e-mail(s) to retry")
    return counts


@tracked("notices-send")
def send_due() -> dict[str, int]:
    with job_session() as s:
        ids = mailer.due(s)
        s.commit()
    app = get_app()
    counts: dict[str, int] = {}
    for email_id in ids:
        outcome = mailer.send(app, email_id)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.status == "retry":
            break  # the server is failing: the rest wait for the next run, not for timeouts
    if counts:
        log.info("notice e-mails due: %s", counts)
    return counts


@tracked("notices-scan")
def scan() -> dict[str, int]:
    with job_session() as s:
        out = {"case_deadlines": triggers.case_deadlines(s), "referral_deadlines": referral_deadlines(s),
               "webhooks": triggers.webhooks(s), "resolved": resolution.resolve_open(s)}
        s.commit()
    return out
