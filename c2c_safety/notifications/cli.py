"""`flask notices …`: send due notice e-mails and run the deadline scan by hand (or from cron
when no worker runs; the workers do both periodically)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from c2c_safety.core.db import new_session
from c2c_safety.notifications import mailer, resolution, triggers

group = AppGroup("notices", help="Staff notices: e-mail outbox and deadline scan.")
COMMANDS = (group,)


@group.command("send")
def send() -> None:
    """Try every due notice e-mail once now."""
    s = new_session()
    try:
        ids = mailer.due(s)
        s.commit()
    finally:
        s.close()
    counts: dict[str, int] = {}
    for email_id in ids:
        status = mailer.send(current_app, email_id).status
        counts[status] = counts.get(status, 0) + 1
    click.echo(f"{len(ids)} due: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"))


@group.command("scan")
def scan() -> None:
    """Make the notices for case deadlines due within 24 hours or missed, and for failing
    webhooks (safeguarding referrals: `flask review referral-deadlines`), and mark done
    every notice whose work is done."""
    s = new_session()
    try:
        made = triggers.case_deadlines(s) + triggers.webhooks(s)
        resolved = resolution.resolve_open(s)
        s.commit()
    finally:
        s.close()
    click.echo(f"{made} notice(s) made, {resolved} resolved")
