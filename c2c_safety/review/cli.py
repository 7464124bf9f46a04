"""`flask review …`: the review desk's maintenance commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.core.db import new_session
from c2c_safety.review import policy
from c2c_safety.webhooks import deliveries as webhooks

group = AppGroup("review", help="Review desk: policy list and webhook deliveries.")
COMMANDS = (group,)


@group.command("seed-policy")
def seed_policy() -> None:
    """Add any missing reason of the default policy list (idempotent)."""
    s = new_session()
    try:
        added = policy.seed_reasons(s)
        s.commit()
    finally:
        s.close()
    click.echo(f"{added} reason(s) added")


@group.command("reconcile-webhooks")
def reconcile_webhooks() -> None:
    """Enqueue every due webhook delivery (also runs every 5 minutes on a worker)."""
    s = new_session()
    try:
        ids = webhooks.due_deliveries(s)
        s.commit()
    finally:
        s.close()
    queued = sum(1 for i in ids if webhooks.enqueue(i) is not None)
    click.echo(f"{len(ids)} due, {queued} queued")


@group.command("age-queue")
def age_queue() -> None:
    """Lift waiting items one severity level once they have waited over 24 hours (also runs
    every minute on a worker)."""
    from c2c_safety.review.aging import promote_due

    s = new_session()
    try:
        n = promote_due(s)
        s.commit()
    finally:
        s.close()
    click.echo(f"{n} item(s) lifted one level")


@group.command("referral-deadlines")
def referral_deadlines() -> None:
    """Notify the safeguarding leads of referrals past (or, for long targets, near) their
    target time (also runs every 10 minutes on a worker)."""
    from c2c_safety.review.referrals import deadline_notices

    s = new_session()
    try:
        made = deadline_notices(s)
        s.commit()
    finally:
        s.close()
    click.echo(f"{made} notice(s) made")
