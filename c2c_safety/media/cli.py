"""`flask --app app media …`: import and list the hash lists the desk matches images against."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from c2c_safety.core.cli_transaction import cli_transaction
from c2c_safety.media import hashlists
from models.media import ListAction

media_group = AppGroup("media", help="Hash lists of known abuse imagery (docs/media.md).")
COMMANDS = (media_group,)


@media_group.command("import-list")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True, help="The list's name on the desk (made if new).")
@click.option("--source", required=True, help="Who gave the list, e.g. the national hotline.")
@click.option("--action", type=click.Choice([a.value for a in ListAction]), required=True,
              help="What a match calls for.")
@click.option("--operator", default="cli", show_default=True, help="Who imports it, for the audit log.")
def import_list(path: str, name: str, source: str, action: str, operator: str) -> None:
    """Add the PDQ hashes of a CSV file (all or nothing) to a list."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException("the file is not UTF-8 text") from exc
    with cli_transaction(hashlists.HashListError) as s:
        result = hashlists.import_text(s, text, name=name, source=source, action=action,
                                       actor_label=f"cli:{operator}"[:200])
    click.echo(f"list {result.list_id}: {result.added} added, {result.already_listed} already listed, "
               f"{result.skipped_other_types} rows of another signal type skipped")


@media_group.command("lists")
def lists() -> None:
    """The hash lists, their source, action and size."""
    with cli_transaction() as s:
        for row in hashlists.summaries(s):
            state = "active" if row.active else "inactive"
            click.echo(f"{row.id:4}  {row.name}  ({row.source})  {row.action}  {row.hashes} hashes  {state}")


@media_group.command("set-active")
@click.argument("list_id", type=int)
@click.argument("active", type=click.Choice(["yes", "no"]))
@click.option("--operator", default="cli", show_default=True)
def set_active(list_id: int, active: str, operator: str) -> None:
    """Switch a list on or off for matching (its hashes stay)."""
    with cli_transaction(hashlists.HashListError) as s:
        hashlists.set_active(s, list_id, active == "yes", actor_label=f"cli:{operator}"[:200])
    click.echo(f"list {list_id}: {'active' if active == 'yes' else 'inactive'}")
