"""The one list of the desk's features: their web pages and their CLI commands.

A feature is a package under `c2c_safety/` (see docs/conventions.md). Its view modules
define a Blueprint `bp` (secondary view modules of the same feature import it from the
first one); its `cli.py` exposes `COMMANDS`. Adding a page or a command to the desk is
adding its module here: nothing is discovered implicitly.
"""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint, Flask

# Order matters only for the navigation (features append to templating.NAV on import).
VIEW_MODULES: tuple[str, ...] = (
    "c2c_safety.accounts.views_auth",
    "c2c_safety.accounts.views_account",
    "c2c_safety.home.views",
    "c2c_safety.accounts.views_admin",
    "c2c_safety.health.views",
    "c2c_safety.health.views_jobs",
    "c2c_safety.intake.views",
    "c2c_safety.intake.views_appeals",
    "c2c_safety.intake.views_clients",
    "c2c_safety.intake.views_media",
    "c2c_safety.report.views",
    "c2c_safety.review.views",
    "c2c_safety.safeguarding.views",
    "c2c_safety.safeguarding.views_actions",
    "c2c_safety.safeguarding.views_concern",
    "c2c_safety.safeguarding.views_evidence",
    "c2c_safety.safeguarding.views_account",
    "c2c_safety.review.views_policy",
    "c2c_safety.review.views_account",
    "c2c_safety.cases.views",
    "c2c_safety.cases.views_actions",
    "c2c_safety.cases.views_exclusions",
    "c2c_safety.oversight.views",
    "c2c_safety.oversight.views_reports",
    "c2c_safety.oversight.views_roles",
    "c2c_safety.retention.views",
    "c2c_safety.notifications.views",
    "c2c_safety.media.views",
    "c2c_safety.language.views",
)

CLI_MODULES: tuple[str, ...] = (
    "c2c_safety.core.cli",
    "c2c_safety.accounts.cli",
    "c2c_safety.audit.cli",
    "c2c_safety.demo.cli",
    "c2c_safety.intake.cli",
    "c2c_safety.cases.cli",
    "c2c_safety.retention.cli",
    "c2c_safety.review.cli",
    "c2c_safety.scoring.cli",
    "c2c_safety.health.cli",
    "c2c_safety.notifications.cli",
    "c2c_safety.media.cli",
)


def register_blueprints(app: Flask) -> None:
    # Import every view module first: a feature's secondary view modules add routes to the
    # blueprint of its first one, and Flask freezes a blueprint once it is registered.
    modules = [import_module(name) for name in VIEW_MODULES]
    blueprints: dict[str, Blueprint] = {}
    for module in modules:
        bp = getattr(module, "bp", None)
        if isinstance(bp, Blueprint):
            blueprints.setdefault(bp.name, bp)
    for bp in blueprints.values():
        app.register_blueprint(bp)


def register_commands(app: Flask) -> None:
    for name in CLI_MODULES:
        for command in import_module(name).COMMANDS:
            app.cli.add_command(command)
