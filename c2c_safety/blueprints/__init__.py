"""One blueprint package per feature. Views validate a form, call a service, redirect."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from c2c_safety.blueprints import admin, api, auth, health, home, policy, queue, report, safeguarding
    from c2c_safety.blueprints.api import appeals as api_appeals

    for module in (auth, home, admin, health, api, report, queue, safeguarding, policy, api_appeals):
        app.register_blueprint(module.bp)
    from c2c_safety.blueprints import cases, retention, reviewer

    for module in (cases, reviewer, retention):
        app.register_blueprint(module.bp)
