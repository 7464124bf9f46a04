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
# Pages that need a query parameter to be a page at all.
QUERY = {"/safeguarding/chronology.pdf": "?child=demo-child-1"}


def guarded_pages(app: Flask) -> list[tuple[str, frozenset[str]]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        key = f"{view.__module__}.{view.__name__}"
        if key in ACCESS:
            pages.append((rule.rule + QUERY.get(rule.rule, ""), ACCESS[key]))
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


def test_the_reviewer_reads_every_safeguarding_page_and_changes_nothing(app, client, signed_in, make_user, db):
    """Issue 19, item 10: the independent reviewer (and the CEO an overdue referral reaches)
    read the desk, a referral and a child's chronology (200, each view audited); every
    state-changing route of the desk, and the pages that lead to one, are 403 for them."""
    from sqlalchemy import func, select

    from models import AuditEvent
    from models.review import SafeguardingAction, SafeguardingPerson, WebhookDelivery
    from tests.safeguarding.test_people_and_actions import teacher_dm
    from tests.support.safeguarding import open_referral, people, referral_id, request_platform

    rid = referral_id(app, teacher_dm(app))
    lead = make_user("safeguarding_lead")
    from tests.conftest import login

    login(client, lead)
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 302
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    client.get("/logout")

    def counts() -> tuple[int, ...]:
        out = tuple(db.scalar(select(func.count()).select_from(m)) or 0
                    for m in (SafeguardingAction, SafeguardingPerson, WebhookDelivery))
        db.rollback()
        return out

    before = counts()
    for role in ("independent_reviewer", "ceo"):
        reader = signed_in(role)
        for url in ("/safeguarding", f"/safeguarding/referrals/{rid}", "/safeguarding/child/u-child-1",
                    "/safeguarding?state=all"):
            resp = client.get(url)
            assert resp.status_code == 200, (role, url, resp.status_code)
            html = resp.get_data(as_text=True)
            assert 'method="post"' not in html.split("<main", 1)[-1].split("</main>")[0].replace(
                'action="/logout"', ""), (role, url)  # no forms to change anything
        views = db.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == reader.id)).all()
        db.rollback()
        assert {"view.safeguarding_desk", "view.safeguarding_referral", "view.child_chronology"} <= set(views)
        from tests.conftest import CSRF_RE

        csrf = CSRF_RE.search(client.get("/account").get_data(as_text=True)).group(1)  # a real token of theirs
        refused = []
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("safeguarding."):
                continue
            url = rule.rule.replace("<int:referral_id>", str(rid)).replace("<int:person_id>", str(teacher.id)) \
                .replace("<int:action_id>", str(action_id)).replace("<path:pseudonym>", "u-child-1") \
                .replace("<int:case_id>", "1").replace("<int:item_id>", "1")
            if "POST" in (rule.methods or ()):
                got = client.post(url, data={"csrf_token": csrf, "kind": "request_suspension",
                                             "detail": "x" * 40}).status_code
                if got != 403:
                    refused.append(f"POST {url}: {got}")
            elif rule.endpoint in ("safeguarding.confirm_request", "safeguarding.confirm_withdraw",
                                   "safeguarding.settings"):
                got = client.get(url + "?kind=request_suspension").status_code
                if got != 403:
                    refused.append(f"GET {url}: {got}")
        assert not refused, "\n".join(refused)
        client.get("/logout")
    assert counts() == before
