"""Template globals: the navigation by role, and role-aware helpers.

Labels are English gettext msgids (marked with `N_`), translated when a page shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, url_for
from flask_login import current_user

from c2c_safety.core.locale import N_, say
from models import Role


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    roles: frozenset[str]  # empty: any signed-in staff member


# Features append their entries here (in their blueprint's __init__).
NAV: list[NavLink] = [
    NavLink("home.index", N_("Overview"), frozenset()),
    NavLink("admin.users", N_("Staff accounts"), frozenset({"admin"})),
]


# How each role is written for people (not "Ceo" or "independent_reviewer").
ROLE_LABELS: dict[str, str] = {
    Role.MODERATOR: N_("Moderator"),
    Role.SAFEGUARDING_LEAD: N_("Safeguarding lead"),
    Role.CASE_HANDLER: N_("Case handler"),
    Role.CEO: N_("CEO"),
    Role.INDEPENDENT_REVIEWER: N_("Independent reviewer"),
    Role.ADMIN: N_("Admin"),
}


def role_label(role: object) -> str:
    name = str(role)
    known = ROLE_LABELS.get(name)
    return say(known) if known else name.replace("_", " ").capitalize()


def role_list(roles: Iterable[object]) -> str:
    """"CEO, Independent reviewer" — in the order of ROLE_LABELS, unknown roles last."""
    order = list(ROLE_LABELS)
    names = sorted({str(r) for r in roles}, key=lambda r: (order.index(r) if r in order else len(order), r))
    return ", ".join(role_label(r) for r in names)


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    out: list[tuple[str, str]] = []
    for link in NAV:
        if not link.roles or current_user.has_role(*link.roles):
            out.append((url_for(link.endpoint), say(str(link.label))))
    return out


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["role_list"] = role_list
    app.jinja_env.autoescape = True
