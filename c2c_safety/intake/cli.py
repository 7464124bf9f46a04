"""`flask api-clients create|list|revoke`: keys for the platform's calls to the token API."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.core.cli_transaction import cli_transaction
from c2c_safety.core.db import new_session
from c2c_safety.intake import api_keys

group = AppGroup("api-clients", help="API clients of the token API (/api/v1).")
COMMANDS = (group,)


@group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(sorted(api_keys.SCOPES)),
              help="Repeat for several scopes. Default: " + ", ".join(api_keys.DEFAULT_SCOPES))
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a client and print its key. The key is shown only this once."""
    with cli_transaction(api_keys.ApiKeyError) as s:
        made = api_keys.create_client(s, name, scopes or api_keys.DEFAULT_SCOPES)
    click.echo(f"created API client {made.client.name!r} with scopes {made.client.scopes}")
    click.echo("Key (shown only now; store it in the platform's secret store):")
    click.echo(made.key)


@group.command("list")
def list_() -> None:
    """List clients: name, key prefix, scopes, created, revoked."""
    s = new_session()
    try:
        clients = api_keys.list_clients(s)
    finally:
        s.close()
    if not clients:
        click.echo("no API clients")
    for c in clients:
        state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
        click.echo(f"{c.name:<24} {c.key_prefix:<14} {c.scopes:<40} "
                   f"created {c.created_at:%Y-%m-%d %H:%M}  {state}")


@group.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a client's key at once (its name stays taken, for the audit trail)."""
    with cli_transaction(api_keys.ApiKeyError) as s:
        api_keys.revoke_client(s, name)
    click.echo(f"revoked {name!r}")
