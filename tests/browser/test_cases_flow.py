"""A case in a real browser, without JavaScript: the handler acknowledges, writes to the
reporter, gives feedback and closes; the independent reviewer reads the audit trail."""

from __future__ import annotations

from models import CaseStatus
from tests.browser.conftest import browser_login, dump
from tests.support.cases import make_case


def test_handler_flow_and_reviewer_trail(app, db, live_server, page_nojs, browser, axe_check, make_user):
    handler = make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, body="<b>Synthetic</b> report for the browser test.")
    page = page_nojs
    browser_login(page, live_server, handler)
    page.goto(f"{live_server}/cases/")
    page.get_by_role("link", name="T-").first.click()
    assert page.url.endswith(f"/cases/{cid}")
    assert page.locator(".user-text").first.inner_text().startswith("<b>Synthetic</b>")  # shown, not rendered
    page.get_by_role("button", name="Acknowledge receipt").click()
    assert "Receipt acknowledged." in page.content()
    page.get_by_role("button", name="Start the investigation").click()
    page.get_by_label("Message to the reporter").fill("Thank you. Which class was it?")
    page.get_by_role("button", name="Send to the reporter").click()
    assert "Thank you. Which class was it?" in page.locator("ol.thread").first.inner_text()
    page.get_by_label("Feedback to the reporter").fill("We have talked to the school and measures are in place.")
    page.get_by_role("button", name="Record feedback given").click()
    page.get_by_label("Outcome").select_option("substantiated")
    page.get_by_role("button", name="Close the case").click()
    assert "Write the findings" in page.content()  # substantiated needs written findings
    page.get_by_label("Outcome").select_option("substantiated")
    page.get_by_label("Findings").fill("The school's log confirms the messages on the dates given.")
    page.get_by_role("button", name="Close the case").click()
    assert "Case closed." in page.content() and "closed alone by" in page.content()  # the only handler
    violations = axe_check(page)
    assert violations == [], dump(violations)

    reviewer = make_user("independent_reviewer", totp=True)
    context = browser.new_context(java_script_enabled=False)
    rpage = context.new_page()
    try:
        browser_login(rpage, live_server, reviewer)
        rpage.goto(f"{live_server}/cases/{cid}")
        assert "You can read this case but not change it." in rpage.content()
        rpage.get_by_role("link", name="Audit trail").click()
        table = rpage.locator("table.audit").inner_text()
        for action in ("case.transition", "case.message_sent", "case.viewed"):
            assert action in table
        assert "Synthetic" not in table  # the trail holds no report text
        assert axe_check(rpage) == []
        for path in ("/review/", "/review/reports", "/review/sample", "/review/decisions", "/review/audit",
                     "/review/notes", "/cases/alerts", "/cases/"):
            rpage.goto(live_server + path)
            violations = axe_check(rpage)
            assert violations == [], f"{path}: {dump(violations)}"
    finally:
        context.close()


def test_admin_retention_and_conflict_pages_pass_axe(live_server, page, axe_check, make_user):
    admin = make_user("admin", totp=True)
    browser_login(page, live_server, admin)
    for path in ("/admin/retention/", "/cases/exclusions"):
        page.goto(live_server + path)
        violations = axe_check(page)
        assert violations == [], f"{path}: {dump(violations)}"
