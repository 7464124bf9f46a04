from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from c2c_safety.accounts import grants, totp
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
    """Create a staff account with these roles, applied at once (the server is the trust root:
    this is how the first admin and the first independent reviewer are made). Everyone sets up
    two-factor at their first sign-in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with cli_transaction(accounts.AccountError) as s:
        user = accounts.create_user(s, email, password, list(roles), display_name=name,
                                    actor_label="cli")
    click.echo(f"created {user.email} with roles {', '.join(sorted(roles))}")


@group.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(accounts.ALL_ROLES))
def grant(email: str, role: str) -> None:
    """Give an existing account a role at once, audited as "cli" (the trust root; e.g. the
    first independent reviewer, whom nobody on the web can confirm yet)."""
    with cli_transaction(accounts.AccountError) as s:
        user = accounts.get_by_email(s, email)
        if user is None:
            raise accounts.AccountError(f"No account with the e-mail {email}.")
        grants.grant_from_server(s, user, role)
    click.echo(f"{email} now has the role {role}; their sessions were ended")


@group.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Remove an account's second factor and recovery codes and end its sessions (e.g. the
    only admin lost phone and codes); they set up a new one at their next sign-in."""
    with cli_transaction(accounts.AccountError) as s:
        user = accounts.get_by_email(s, email)
        if user is None:
            raise accounts.AccountError(f"No account with the e-mail {email}.")
        totp.reset_from_server(s, user)
    click.echo(f"two-factor sign-in of {email} is reset")
