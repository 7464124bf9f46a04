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
from c2c_safety.core.config import PROJECT_ROOT
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
@click.option("--port", default=5000, show_default=True, help="The port `demo run` will use, for the examples printed")
def seed(port: int) -> None:
    """Create demo staff for every role and demo data (idempotent)."""
    _require_demo()
    migrations.upgrade(engine_for(current_app))
    _retire_stale_witness()
    s = new_session()
    try:
        demo_data.seed_all(s)
    finally:
        s.close()
    click.echo(f"\nDemo accounts (password for all: {demo_data.DEMO_PASSWORD}):")
    for acct in demo_data.DEMO_ACCOUNTS:
        click.echo(f"  {acct.email:<24} {', '.join(acct.roles)}")
    click.echo(f"\nEvery account signs in with two-factor. Demo TOTP key: {demo_data.DEMO_TOTP_SECRET}")
    click.echo("  add it to an authenticator app, or print the current code: flask --app app demo totp")
    click.echo("  (each code works once per account; the key is refused outside C2C_ENV=demo)")
    click.echo("\n" + demo_api.demo_curl_example(f"http://127.0.0.1:{port}") + "\n\n" + demo_reports.demo_note())


def _retire_stale_witness() -> None:
    """Demo only: a database made afresh (instance/c2c.sqlite3 deleted) starts a new audit
    log, which the old log's witness file would report as truncated for ever (and the
    sequencer would refuse to sign it). Move the old witness aside; production never does
    this (docs/audit-log.md)."""
    from sqlalchemy import select

    from c2c_safety.audit import checkpoints
    from models import AuditEvent, AuditLogState

    path = checkpoints.witness_path()
    if path is None or not path.exists():
        return
    s = new_session()
    try:
        fresh = s.get(AuditLogState, 1) is None and s.scalar(select(AuditEvent.id).limit(1)) is None
    finally:
        s.close()
    if fresh:
        aside = path.with_name(f"{path.name}.retired-{int(time.time())}")
        path.rename(aside)
        click.echo(f"new demo database: the previous audit log's witness moved to {aside.name}")


@group.command("totp")
def totp() -> None:
    """Print the current code for the demo TOTP secret (demo only)."""
    _require_demo()
    click.echo(pyotp.TOTP(demo_data.DEMO_TOTP_SECRET).now())
    click.echo(f"(valid for {30 - int(time.time()) % 30} more seconds; a code works once per account)",
               err=True)


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
    # A real local SMTP server (aiosmtpd) for the staff notices, unless C2C_SMTP_URL points
    # elsewhere: every mail it receives is a file under instance/mail/new/ (Maildir).
    mail_dir = cfg.instance_path / "mail"
    smtp_port = port + 1025
    own_smtp = not cfg.smtp_url
    if own_smtp:
        env["C2C_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        env.setdefault("C2C_PUBLIC_URL", f"http://127.0.0.1:{port}")
    procs = [
        subprocess.Popen([sys.executable, "-m", "workers"], env=env)
        for _ in range(n_workers)
    ]
    procs.append(subprocess.Popen(
        # The shipped config: its logs never hold a client address (core/serving.py).
        [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:app"], env=env))
    if own_smtp:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(mail_dir)], env=env))
        click.echo(f"Staff notice e-mails: SMTP on 127.0.0.1:{smtp_port}, each mail a file in {mail_dir}/new/")
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
