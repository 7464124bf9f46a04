"""The daily case job: deadline warnings, then the retention sweep.

Run by the worker (workers/daily.py schedules it) or by `flask --app app cases daily` from cron.
Idempotent: alerts are unique per person, case and day, and the sweep only touches what is due.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from c2c_safety.cases import alerts
from c2c_safety.retention import sweep


def run_daily_in_session(session: Session, now: datetime) -> dict[str, int]:
    created = alerts.generate(session, now)
    session.commit()
    result = sweep.sweep(session, now)
    return {"alerts": created, **result.counts}
