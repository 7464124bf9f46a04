"""`flask --app app cases …`: the daily case job and the deadline warnings."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases.daily import run_daily_in_session
from c2c_safety.core.cli_transaction import parse_now
from c2c_safety.core.db import new_session

group = AppGroup("cases", help="Case handling jobs (the daily deadline warnings).")
COMMANDS = (group,)


@group.command("daily")
@click.option("--now", "now_s", default=None, help="Run as if at this instant (ISO).")
def daily(now_s: str | None) -> None:
    """What workers.daily runs once a day: deadline warnings, then the retention sweep."""
    s = new_session()
    try:
        out = run_daily_in_session(s, parse_now(now_s))
    finally:
        s.close()
    click.echo(", ".join(f"{k}={v}" for k, v in out.items()))


@group.command("alerts")
@click.option("--now", "now_s", default=None)
def alerts(now_s: str | None) -> None:
    """Only the deadline warnings."""
    s = new_session()
    try:
        n = case_alerts.generate(s, parse_now(now_s))
        s.commit()
    finally:
        s.close()
    click.echo(f"{n} alert(s) created")
