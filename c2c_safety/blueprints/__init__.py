"""One blueprint package per feature. Views validate a form, call a service, redirect."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from c2c_safety.blueprints import admin, auth, health, home

    for module in (auth, home, admin, health):
        app.register_blueprint(module.bp)
