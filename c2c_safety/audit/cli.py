from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.audit import log as audit
from c2c_safety.core.db import new_session

group = AppGroup("audit", help="The tamper-evident audit trail.")
COMMANDS = (group,)


@group.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 naming the first altered, inserted or deleted row."""
    s = new_session()
    try:
        result = audit.verify(s)
    finally:
        s.close()
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries verified")
        return
    click.echo(f"audit chain BROKEN at seq {result.first_bad_seq}: {result.problem} "
               f"({result.checked} entries read)", err=True)
    raise SystemExit(1)
