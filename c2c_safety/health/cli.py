"""`flask --app app jobs status`: the periodic jobs, for cron and monitoring."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.core import periodic
from c2c_safety.core.db import new_session
from models import utcnow

group = AppGroup("jobs", help="The periodic jobs the workers run.")
COMMANDS = (group,)


@group.command("status")
def status() -> None:
    """When each periodic job last ran; exit 1 if one is overdue, failing, or has never run
    although its first run was due."""
    s = new_session()
    try:
        rows = periodic.status(s, utcnow())
    finally:
        s.close()
    for r in rows:
        last = r.run.last_ok_at.isoformat(timespec="seconds") if r.run and r.run.last_ok_at else "never"
        click.echo(f"{r.job.name:20} every {r.job.every!s:>16}  {r.state:8}  last success {last}")
    if any(r.needs_attention for r in rows):
        raise SystemExit(1)
