"""Template globals: the navigation by role, and role-aware helpers.

Labels are lazy gettext strings (English msgids), translated when a page shows them; a
feature may still add a plain English label, which `nav_links` looks up in the catalog too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, url_for
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user

from models import Role


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str | LazyString  # lazy_gettext(...): translated when the page is drawn
    roles: frozenset[str]  # empty: any signed-in staff member


# Features append their entries here (in their blueprint's __init__).
NAV: list[NavLink] = [
    NavLink("home.index", lazy_gettext("Overview"), frozenset()),
    NavLink("admin.users", lazy_gettext("Staff accounts"), frozenset({"admin"})),
]


# How each role is written for people (not "Ceo" or "independent_reviewer").
ROLE_LABELS: dict[str, LazyString] = {
    Role.MODERATOR: lazy_gettext("Moderator"),
    Role.SAFEGUARDING_LEAD: lazy_gettext("Safeguarding lead"),
    Role.CASE_HANDLER: lazy_gettext("Case handler"),
    Role.CEO: lazy_gettext("CEO"),
    Role.INDEPENDENT_REVIEWER: lazy_gettext("Independent reviewer"),
    Role.ADMIN: lazy_gettext("Admin"),
}


def role_label(role: object) -> str:
    name = str(role)
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


def lazy_role_label(role: object) -> LazyString:
    """For module-level choices (form fields): translated when shown, not at import."""
    return LazyString(role_label, role)


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
            # A plain str label (a feature not yet translated) is looked up in the catalog too.
            label = link.label if isinstance(link.label, LazyString) else _(link.label)
            out.append((url_for(link.endpoint), str(label)))
    return out


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["role_list"] = role_list
    app.jinja_env.autoescape = True
