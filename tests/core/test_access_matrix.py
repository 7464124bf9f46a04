"""Every page × every role: allowed → 200, other staff → 403, anonymous → sign-in.

The matrix is read from the routes themselves (`roles_required` records what each view
admits), so a page added later is covered without editing this file. Pages that need an
id in the URL are covered by their feature's tests.
"""

from __future__ import annotations

import pytest
from flask import Flask

from c2c_safety.audit import sequencer
from c2c_safety.core.access import ACCESS
from c2c_safety.core.db import new_session
from models import Role

ROLES = [r.value for r in Role]


def guarded_pages(app: Flask) -> list[tuple[str, frozenset[str]]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        key = f"{view.__module__}.{view.__name__}"
        if key in ACCESS:
            pages.append((rule.rule, ACCESS[key]))
    return sorted(pages)


def test_matrix_covers_pages(app):
    paths = [p for p, _ in guarded_pages(app)]
    assert "/admin/users" in paths and "/account" in paths
    assert "/" not in paths  # the public way in for reporters (issue 13); staff get their overview there


@pytest.mark.parametrize("role", ROLES)
def test_role_access(app, client, signed_in, role):
    signed_in(role)
    # A running desk has signed its audit log (the worker's sequencer); so does this one.
    with app.app_context():
        s = new_session(app)
        try:
            sequencer.sequence_pending(s)
            s.commit()
        finally:
            s.close()
    wrong = []
    for path, allowed in guarded_pages(app):
        expected = 200 if (not allowed or role in allowed) else 403
        got = client.get(path).status_code
        if got != expected:
            wrong.append(f"{path}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_is_sent_to_sign_in(app, client):
    wrong = []
    for path, _allowed in guarded_pages(app):
        resp = client.get(path)
        if resp.status_code != 302 or "/login" not in resp.headers.get("Location", ""):
            wrong.append(f"{path}: {resp.status_code} {resp.headers.get('Location')}")
    assert not wrong, "\n".join(wrong)
