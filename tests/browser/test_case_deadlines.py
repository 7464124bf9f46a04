"""Deadlines that are always current, in a real browser without JavaScript (issue 13): a case
that becomes overdue between two page loads shows as overdue with no job running, and a
reopened case gets fresh deadlines from the reopening."""

from __future__ import annotations

import time
from datetime import timedelta

from c2c_safety.cases import deadlines
from c2c_safety.core.calendar import add_months
from models import CaseFile, CaseStatus, utcnow
from tests.browser.conftest import browser_login, dump
from tests.support.cases import get, make_case


def test_a_case_becomes_overdue_between_two_page_loads(app, db, live_server, page_nojs, axe_check, make_user):
    handler = make_user("case_handler")
    page = page_nojs
    browser_login(page, live_server, handler)
    due = utcnow() + timedelta(seconds=6)  # the acknowledgment falls due in six seconds
    cid = make_case(app, db, status=CaseStatus.RECEIVED, received_at=due - timedelta(days=deadlines.ACK_DAYS))
    ref = get(db, CaseFile, cid).reference
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deadline alerts").click()
    now_table = page.get_by_role("table").first
    assert ref in now_table.inner_text() and "Acknowledgment due soon" in now_table.inner_text()
    assert page.locator("tr.row-overdue").count() == 0
    assert axe_check(page) == []
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.5)
    page.reload()
    assert "Acknowledgment overdue" in page.get_by_role("table").first.inner_text()
    assert page.locator("tr.row-overdue").count() == 1
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    assert page.locator(".deadline-overdue").filter(has_text="overdue").count() == 1
    assert "1 overdue" in page.locator(".case-counts").inner_text().replace("\n", " ")
    violations = axe_check(page)
    assert violations == [], dump(violations)


def test_a_reopened_case_gets_new_deadlines(app, db, live_server, page_nojs, make_user):
    handler = make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.CLOSED, received_at=utcnow() - timedelta(days=300),
                    assigned_to_id=handler.id)
    page = page_nojs
    browser_login(page, live_server, handler)
    page.goto(f"{live_server}/cases/{cid}")
    assert "all deadlines met" in page.locator("dl.facts").inner_text()
    page.locator("#reopen-reason").fill("The reporter sent new screenshots from last week.")
    page.get_by_role("button", name="Reopen the case").click()
    assert "Case reopened." in page.content()
    facts = page.locator("dl.facts").first.inner_text()
    case = get(db, CaseFile, cid)
    assert "fresh deadlines from the reopening" in facts and "all deadlines met" not in facts
    assert add_months(case.reopened_at, 3).strftime("%d %b %Y") in facts
    assert "Feedback:" in facts and "left" in facts
    page.goto(f"{live_server}/cases/")
    row = page.locator("table.case-list tbody tr", has_text=case.reference)
    assert "Feedback:" in row.inner_text() and "all deadlines met" not in row.inner_text()
