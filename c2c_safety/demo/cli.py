"""`flask demo seed` and `flask demo run`: the whole desk on one machine, nothing configured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup

from c2c_safety.core import migrations
from c2c_safety.core.db import engine_for, new_session
from c2c_safety.core.redis_conn import start_embedded, stop_embedded
from c2c_safety.demo import api as demo_api
from c2c_safety.demo import reports as demo_reports
from c2c_safety.demo import seed as demo_data

group = AppGroup("demo", help="Demo data and the all-in-one demo runner (C2C_ENV=demo only).")
COMMANDS = (group,)


def _require_demo() -> None:
    if current_app.config["C2C"].env not in {"demo", "test"}:
        raise click.ClickException("demo commands run only with C2C_ENV=demo")


@group.command("seed")
def seed() -> None:
    """Create demo staff for every role and demo data (idempotent)."""
    _require_demo()
    migrations.upgrade(engine_for(current_app))
    s = new_session()
    try:
        demo_data.seed_all(s)
    finally:
        s.close()
    click.echo(f"\nDemo accounts (password for all: {demo_data.DEMO_PASSWORD}):")
    for acct in demo_data.DEMO_ACCOUNTS:
        click.echo(f"  {acct.email:<24} {', '.join(acct.roles)}")
    click.echo(f"\nadmin@ and reviewer@ need two-factor. TOTP secret: {demo_data.DEMO_TOTP_SECRET}")
    click.echo("  current code: flask --app app demo totp")
    click.echo("\n" + demo_api.demo_curl_example() + "\n\n" + demo_reports.demo_note())


@group.command("totp")
def totp() -> None:
    """Print the current code for the demo TOTP secret (demo only)."""
    _require_demo()
    click.echo(pyotp.TOTP(demo_data.DEMO_TOTP_SECRET).now())


@group.command("run")
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", "n_workers", default=1, show_default=True)
def run(port: int, n_workers: int) -> None:
    """Serve web (gunicorn) and RQ worker(s) until Ctrl-C, on an embedded Redis if none is set."""
    _require_demo()
    cfg = current_app.config["C2C"]
    env = dict(os.environ)
    owns_redis = not cfg.redis_url
    if owns_redis:
        env["C2C_REDIS_URL"] = start_embedded(cfg.instance_path, own=False)
    procs = [
        subprocess.Popen([sys.executable, "-m", "workers"], env=env)
        for _ in range(n_workers)
    ]
    procs.append(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--access-logfile", "-", "--access-logformat", '%(m)s %(U)s %(s)s %(M)sms',
         "app:app"], env=env))
    click.echo(f"\nc2c-safety demo on http://127.0.0.1:{port}  (Ctrl-C stops web, worker and Redis)")
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if owns_redis:
            stop_embedded(cfg.instance_path)
