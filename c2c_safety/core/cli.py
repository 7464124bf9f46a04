from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from c2c_safety.core import migrations
from c2c_safety.core.db import engine_for

group = AppGroup("db", help="Database migrations (Alembic, kept in models/migrations).")
COMMANDS = (group,)


@group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(engine_for(current_app), revision)
    click.echo(f"database upgraded to {revision}")


@group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    migrations.downgrade(engine_for(current_app), revision)
    click.echo(f"database downgraded to {revision}")


@group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None, help="Revision id (default: random).")
def revision(message: str, rev_id: str | None) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    migrations.revision(engine_for(current_app), message, rev_id)


@group.command("check")
def check() -> None:
    """Fail if the models and the migrated database differ."""
    diffs = migrations.pending_model_changes(engine_for(current_app))
    if diffs:
        for d in diffs:
            click.echo(f"  {d}")
        raise click.ClickException(f"{len(diffs)} difference(s) between models and migrations")
    click.echo("models and migrations agree")
