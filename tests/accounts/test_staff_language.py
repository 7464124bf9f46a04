"""Staff pages go through gettext (issue 21, item 4): with a Danish catalog and a Danish
browser, the page, its form labels, role names, navigation and flash messages are Danish;
an English browser still gets the English text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask

from tests.conftest import PASSWORD, login, post_form

DANISH = {
    "My account": "Min konto",
    "Current password": "Nuværende adgangskode",
    "Overview": "Oversigt",
    "Independent reviewer": "Uafhængig gransker",
    "Your password is changed. Your other sessions are signed out.":
        "Din adgangskode er skiftet. Dine andre sessioner er logget ud.",
}


def _danish_catalog(app: Flask, root: Path) -> None:
    """A small catalog of our own, so the test does not depend on the shipped wording."""
    catalog = Catalog(locale="da")
    for english, danish in DANISH.items():
        catalog.add(english, danish)
    (root / "da" / "LC_MESSAGES").mkdir(parents=True)
    with open(root / "da" / "LC_MESSAGES" / "messages.mo", "wb") as f:
        write_mo(f, catalog)
    app.extensions["babel"].translation_directories = [str(root)]


def test_a_danish_browser_gets_the_staff_pages_in_danish(app, client, make_user, tmp_path):
    _danish_catalog(app, tmp_path / "translations")
    me = make_user("independent_reviewer")
    login(client, me)
    da = {"Accept-Language": "da"}
    html = client.get("/account", headers=da).get_data(as_text=True)
    assert "<h1>Min konto</h1>" in html and "Nuværende adgangskode" in html  # template and form label
    assert "Uafhængig gransker" in html and ">Oversigt<" in html  # role name and navigation
    assert "My account" not in html.split("<main", 1)[1]
    changed = post_form(client, "/account", {"current": PASSWORD, "new": "a new long password",
                                             "confirm": "a new long password"},
                        token_from="/account", headers=da, follow_redirects=True)
    assert "Din adgangskode er skiftet" in changed.get_data(as_text=True)  # a flash message
    english = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>My account</h1>" in english and "Independent reviewer" in english
