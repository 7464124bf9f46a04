"""Each role's home shows counts of what waits, what is overdue and what changed since the
last visit, each linking to the work (issue 22.7)."""

from __future__ import annotations

from datetime import timedelta

from models import CaseStatus, utcnow
from tests.conftest import login
from tests.support.cases import make_case


def test_a_case_handlers_home_counts_their_work_and_changes_since_the_last_visit(app, client, db, make_user):
    me = make_user("case_handler")
    make_case(app, db, assigned_to_id=me.id)
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=9))
    login(client, me)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/cases/?mine=1"' in html and "Assigned to you" in html
    assert 'class="overdue"' in html and "Overdue" in html  # the unacknowledged report
    assert "over the last day" in html
    again = client.get("/").get_data(as_text=True)
    assert "since your last visit" in again and "Changes are counted over the last day" not in again
    mine = client.get("/cases/?mine=1").get_data(as_text=True)
    assert mine.count("/cases/") >= 1 and 'aria-current="page"' in mine


def test_every_role_sees_its_own_sections(app, client, db, make_user):
    for roles, expected, absent in (
            (("moderator",), "Moderation queue</h2>", "Safeguarding</h2>"),
            (("safeguarding_lead",), "Safeguarding</h2>", "Moderation queue</h2>"),
            (("ceo",), "Cases</h2>", "Moderation queue</h2>"),
            (("admin",), "Administration</h2>", "Cases</h2>")):
        person = make_user(*roles, totp="admin" in roles)
        login(client, person)
        html = client.get("/").get_data(as_text=True)
        assert expected in html and absent not in html and "Notices</h2>" in html, roles
        client.post("/logout")
