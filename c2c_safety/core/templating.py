"""Template globals: the navigation by role, and role-aware helpers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    roles: frozenset[str]  # empty: any signed-in staff member


# Features append their entries here (in their blueprint's __init__).
NAV: list[NavLink] = [
    NavLink("home.index", "Overview", frozenset()),
    NavLink("admin.users", "Staff accounts", frozenset({"admin"})),
]


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    out: list[tuple[str, str]] = []
    for link in NAV:
        if not link.roles or current_user.has_role(*link.roles):
            out.append((url_for(link.endpoint), link.label))
    return out


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.autoescape = True
