"""`flask --app app …` commands. Each feature keeps its commands in its own module here."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from c2c_safety.cli import api_clients_cmd, audit_cmd, db_cmd, demo_cmd, users_cmd

    for module in (db_cmd, users_cmd, audit_cmd, demo_cmd, api_clients_cmd):
        app.cli.add_command(module.group)
    from c2c_safety.cli import cases_cmd

    for command_group in cases_cmd.groups:
        app.cli.add_command(command_group)
    from c2c_safety.cli import review_cmd

    app.cli.add_command(review_cmd.group)
    from c2c_safety.cli import scoring_cmd  # top-level `reconcile` and `rescore`

    for command in scoring_cmd.COMMANDS:
        app.cli.add_command(command)
