"""Role names are written properly everywhere they are shown (issue 13, part 6)."""

from __future__ import annotations

import re

from c2c_safety.core.templating import role_label, role_list


def test_labels():
    assert role_label("ceo") == "CEO" and role_label("independent_reviewer") == "Independent reviewer"
    assert role_list({"independent_reviewer", "ceo", "admin"}) == "CEO, Independent reviewer, Admin"


def test_pages_write_them_properly(app, client, signed_in, make_user):
    make_user("ceo", "independent_reviewer", totp=True, email="two-roles@test.c2c")
    signed_in("admin")
    for url in ("/admin/users", "/admin/users/new"):
        html = client.get(url).get_data(as_text=True)
        assert "CEO" in html and "Independent reviewer" in html, url
        assert not re.search(r"\bCeo\b", html), url
        assert not re.search(r">[^<]*\b(ceo|independent_reviewer)\b[^<]*<", html), url  # raw role codes


def test_overview_names_the_roles(app, client, signed_in):
    signed_in("ceo")
    assert "You are signed in as CEO." in client.get("/").get_data(as_text=True)
