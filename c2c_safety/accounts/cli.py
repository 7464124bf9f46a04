from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from c2c_safety.accounts import users as accounts
from c2c_safety.core.cli_transaction import cli_transaction

group = AppGroup("users", help="Staff accounts.")
COMMANDS = (group,)


@group.command("create")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(accounts.ALL_ROLES), help="Repeat for several roles.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create(email: str, roles: tuple[str, ...], name: str, password_stdin: bool) -> None:
    """Create a staff account. Admins and reviewers enrol two-factor at first sign-in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with cli_transaction(accounts.AccountError) as s:
        user = accounts.create_user(s, email, password, list(roles), display_name=name,
                                    actor=None)
    click.echo(f"created {user.email} with roles {', '.join(sorted(roles))}")
