"""Issue 22.7-8 in a real browser, without JavaScript: a case closed "Substantiated" is refused
without findings, then closed with findings and a second person's approval (clicks counted);
a queue escalation has no Directive clock; each role's home shows its counts; notices for
finished work leave the inbox."""

from __future__ import annotations

from datetime import timedelta

from models import CaseStatus, Notice, utcnow
from models.review import ReferralStatus, SafeguardingReferral
from tests.browser.conftest import browser_login, dump
from tests.support.cases import make_case
from tests.support.review import make_item

FINDINGS = "Two pupils confirmed the messages and the school log matches the dates."


def test_substantiated_needs_findings_and_a_second_persons_approval(app, db, live_server, page_nojs, browser,
                                                                    axe_check, make_user):
    one, two = make_user("case_handler"), make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, reporter=False)  # an escalation, unassigned
    page = page_nojs
    browser_login(page, live_server, one)
    page.goto(f"{live_server}/cases/{cid}")
    clicks = 0
    page.get_by_role("button", name="Acknowledge receipt").click()
    clicks += 1
    page.get_by_role("button", name="Start the investigation").click()
    clicks += 1
    page.get_by_role("button", name="Record feedback given").click()
    clicks += 1
    page.get_by_label("Outcome").select_option("substantiated")
    page.get_by_role("button", name="Propose closing").click()
    assert "Write the findings" in page.content()  # refused without findings
    page.get_by_label("Outcome").select_option("substantiated")
    clicks += 1
    page.get_by_label("Findings").fill(FINDINGS)
    page.get_by_role("button", name="Propose closing").click()
    clicks += 1
    assert "Closure proposed" in page.content() and "Approve and close" not in page.content()
    assert axe_check(page) == []

    context = browser.new_context(java_script_enabled=False)
    other = context.new_page()
    try:
        browser_login(other, live_server, two)
        other.goto(f"{live_server}/cases/{cid}")
        assert FINDINGS in other.content()
        other.get_by_role("button", name="Approve and close").click()
        clicks += 1
        assert "Closure approved" in other.content() and "approved by" in other.content()
        violations = axe_check(other)
        assert violations == [], dump(violations)
    finally:
        context.close()
    print(f"clicks to close a case (received -> closed, two people): {clicks}")
    assert clicks == 6


def test_a_queue_escalation_has_no_directive_clock(app, db, live_server, page_nojs, make_user):
    handler = make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, reporter=False, received_at=utcnow() - timedelta(days=9))
    browser_login(page_nojs, live_server, handler)
    page_nojs.goto(f"{live_server}/cases/{cid}")
    text = page_nojs.locator("main").inner_text()
    assert "Internal service level" in text and "Acknowledge by" not in text and "Feedback by" not in text
    page_nojs.goto(f"{live_server}/cases/alerts")
    assert "T-" not in page_nojs.locator("main").inner_text()  # no Directive deadline alert


def test_each_roles_home_shows_its_counts(app, db, live_server, browser, axe_check, make_user):
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=9))
    for roles, heading in ((("moderator",), "Moderation queue"), (("safeguarding_lead",), "Safeguarding"),
                           (("case_handler",), "Cases"), (("ceo",), "Cases"),
                           (("independent_reviewer",), "Cases"), (("admin",), "Administration")):
        person = make_user(*roles, totp=roles[0] in ("admin", "independent_reviewer"))
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        try:
            browser_login(page, live_server, person)
            page.goto(live_server + "/")
            assert page.get_by_role("heading", name=heading, exact=True).count() == 1, roles
            assert page.locator(".dash .count").count() >= 2, roles
            violations = axe_check(page)
            assert violations == [], f"{roles}: {dump(violations)}"
        finally:
            context.close()


def test_notices_for_finished_work_are_resolved(app, db, live_server, page_nojs, make_user):
    from c2c_safety.core.db import new_session
    from c2c_safety.notifications import triggers

    lead = make_user("safeguarding_lead")
    items = [make_item(app) for _ in range(3)]
    refs = []
    for item_id in items:
        ref = SafeguardingReferral(item_id=item_id, child_pseudonym=f"u-child-{item_id}", reasons=["grooming"])
        db.add(ref)
        db.flush()
        refs.append(ref.id)
    db.commit()
    with app.app_context():
        s = new_session(app)
        for rid in refs:
            triggers.safeguarding_referral(s, referral_id=rid, target_at=utcnow() + timedelta(hours=24),
                                           event="opened")
        s.commit()
        s.close()
    browser_login(page_nojs, live_server, lead)
    page_nojs.goto(f"{live_server}/notices")
    assert "3 new urgent safeguarding referrals" in page_nojs.content()
    done = db.get(SafeguardingReferral, refs[0])
    assert done is not None
    done.status, done.closed_at = ReferralStatus.CLOSED, utcnow()
    db.commit()
    page_nojs.goto(f"{live_server}/notices")
    assert "2 new urgent safeguarding referrals" in page_nojs.content()
    page_nojs.get_by_role("link", name="Done").click()
    assert page_nojs.locator("table.notices tbody tr").count() == 1
    assert db.query(Notice).filter(Notice.resolved_at.is_not(None)).count() == 1
    db.commit()
