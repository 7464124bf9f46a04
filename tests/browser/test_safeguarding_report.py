"""Issue 19 in a real browser without JavaScript: a child's anonymous sextortion report is a
safeguarding referral from the start. It lands at the top of the lead's desk with the 24-hour
clock (no whistleblower deadline), the lead takes it up (named lead, urgent risk with a
reason, the child and the person of concern, a police report, a hotline report, a confirmed
restriction of the adult with its reason, an answer to the child), exports the child's
chronology as a PDF and closes it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from c2c_safety.core.db import new_session
from models import AuditEvent, CaseCategory, CaseFile
from models.review import SafeguardingReferral
from tests.browser.conftest import browser_login, dump
from tests.support.review import make_item
from tests.support.safeguarding import QUIET

SEXTORTION = "He says he will send my pictures to my class unless I send more. I am 12."


def child_reports(page, base: str) -> str:
    """The child's own report through the public form; returns the receipt shown once."""
    page.goto(f"{base}/report")
    # rep's child-first categories name sextortion; until then it is "a child may be at risk".
    category = next((c.value for c in CaseCategory if "sextortion" in c.value or "sexual" in c.value),
                    CaseCategory.SAFEGUARDING_MINOR.value)
    page.locator(f"#f-category-{category}").check()
    page.locator("textarea[name=what]").fill(SEXTORTION)
    page.locator("main form button[type=submit]").last.click()
    return page.locator("p.receipt-code code").inner_text()


def test_a_childs_sextortion_report_from_the_desk_to_a_pdf_and_closed(app, live_server, page_nojs, axe_check,
                                                                     make_user, browser):
    page = page_nojs
    receipt = child_reports(page, live_server)  # at night: no lead on duty yet, so nobody is named
    lead = make_user("safeguarding_lead")
    # Automatic urgent referrals that arrive after it (an adult in one-to-one chats with under-13s).
    for n in range(3):
        make_item(app, author=f"u-t-{n}", age_band="adult", author_role="teacher", chat_kind="one_to_one",
                  audience="under13", flags=[(f"u-c-{n}", "student", "grooming")], scores=QUIET,
                  waited=timedelta(minutes=5))
    with app.app_context():
        s = new_session(app)
        case = s.scalars(select(CaseFile)).one()
        ref = s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == case.id)).one()
        rid, due, reference = ref.id, ref.opened_at + timedelta(hours=24), case.reference
        assert case.regime == "safeguarding" and ref.assigned_to_id is None
        s.close()

    lead_page = browser.new_page(java_script_enabled=False)
    browser_login(lead_page, live_server, lead)
    lead_page.goto(f"{live_server}/safeguarding")
    first = lead_page.locator("table.desk tbody tr").first
    text = first.inner_text()
    assert f"Referral #{rid}" in text and reference in text, text
    assert f"By {due.strftime('%Y-%m-%d %H:%M')} UTC" in text and "Nobody" in text
    assert "Anonymous report" in text and "pictures" not in text  # a neutral summary, not the words
    assert "within 24 hours" in lead_page.content()
    assert lead_page.locator("table.desk tbody tr").count() == 4
    violations = axe_check(lead_page)
    assert violations == [], dump(violations)

    first.get_by_role("link", name=f"Referral #{rid}").click()
    main = lead_page.locator("main").inner_text()
    assert main.index("The concern") < main.index("People in this referral") and SEXTORTION in main
    assert "Feedback" not in main and "days left" not in main
    assert f"Due by {due.strftime('%Y-%m-%d %H:%M')} UTC" in main and "Child not yet identified" in main
    violations = axe_check(lead_page)
    assert violations == [], dump(violations)
    # Taken up: named lead, risk set with a reason, the child and the person of concern.
    lead_page.get_by_label("Named lead").select_option(str(lead.id))
    lead_page.get_by_role("button", name="Save assignment").click()
    lead_page.get_by_label("Risk level").select_option("3")
    lead_page.get_by_label("Why (kept in the referral's risk history)").fill("Sextortion of a 12-year-old.")
    lead_page.get_by_role("button", name="Set the risk level").click()
    assert "Risk level saved." in lead_page.content()
    for who, part, role, band in (("reporter (girl, 12)", "child_at_risk", "student", "under13"),
                                  ("unknown adult in the chat", "person_of_concern", "unknown", "adult")):
        if not lead_page.locator("#add-pseudonym").is_visible():
            lead_page.get_by_text("Add someone the desk missed").click()
        lead_page.get_by_label("Platform pseudonym, or a short description").fill(who)
        lead_page.locator("#add-part").select_option(part)
        lead_page.locator("#add-platform_role").select_option(role)
        lead_page.locator("#add-age_band").select_option(band)
        lead_page.get_by_role("button", name="Add person").click()
        assert "Person added to the referral." in lead_page.content()
    adult = lead_page.locator("article.person",
                              has=lead_page.get_by_role("heading", name="unknown adult in the chat"))
    assert adult.get_by_role("button", name="Continue to confirmation").count() == 0  # no account to act on
    child = lead_page.locator("article.person", has=lead_page.get_by_role("heading", name="reporter (girl, 12)"))
    child.get_by_label("Reported to the police").check()
    child.get_by_label("Authority (for a notification or referral)").fill("Politi, NC3")
    child.get_by_label("Their reference number for the matter").fill("NC3-2026-0042")
    child.get_by_role("button", name="Record").click()
    assert "Recorded: Reported to the police" in lead_page.content()
    # The hotline report: only that it was made and the hotline's reference, never the image.
    child.get_by_label("Reported sexual images of the child to a hotline").check()
    child.get_by_label("Hotline (for a hotline report)").select_option("Red Barnet – Sletdet (Denmark)")
    child.get_by_label("Their reference number for the matter").fill("SLETDET-2026-0077")
    child.get_by_role("button", name="Record").click()
    assert "Recorded: Reported sexual images of the child to a hotline" in lead_page.content()
    # The adult's platform account is found: a restriction pending investigation, with its reason, confirmed.
    if not lead_page.locator("#add-pseudonym").is_visible():
        lead_page.get_by_text("Add someone the desk missed").click()
    lead_page.get_by_label("Platform pseudonym, or a short description").fill("u-stranger-9")
    lead_page.locator("#add-part").select_option("person_of_concern")
    lead_page.locator("#add-platform_role").select_option("unknown")
    lead_page.locator("#add-age_band").select_option("adult")
    lead_page.get_by_role("button", name="Add person").click()
    stranger = lead_page.locator("article.person", has=lead_page.get_by_role("heading", name="u-stranger-9"))
    stranger.get_by_label("Asked the platform to restrict their messaging pending investigation").check()
    stranger.get_by_label("Why (kept in the referral, never sent to the platform)").fill(
        "He asked a 12-year-old for pictures and threatened her; police informed.")
    stranger.get_by_role("button", name="Continue to confirmation").click()
    lead_page.get_by_role("button", name="Confirm and send", exact=False).click()
    assert "Sent to the platform" in lead_page.content()
    lead_page.get_by_label("Message to the reporter").fill("You did the right thing. Do not send anything more.")
    lead_page.get_by_role("button", name="Send to the reporter").click()
    assert "Message sent to the reporter." in lead_page.content()

    # The child's chronology as a PDF for the case conference.
    child = lead_page.locator("article.person", has=lead_page.get_by_role("heading", name="reporter (girl, 12)"))
    with lead_page.expect_download() as info:
        child.get_by_role("link", name="PDF").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]

    lead_page.get_by_label("Outcome").select_option("referred_externally")
    lead_page.get_by_label("Reason for closing (required, at least 20 characters)").fill(
        "Referred to the police; the hotline has the report.")
    lead_page.get_by_role("button", name="Close the referral").click()
    assert "Referral closed." in lead_page.content()

    # The child reads the answer with the same receipt.
    page.goto(f"{live_server}/report/follow-up")
    page.locator("input[name=receipt]").fill(receipt)
    page.locator("main form button[type=submit]").first.click()
    assert "You did the right thing." in page.content()
    with app.app_context():
        s = new_session(app)
        assert s.get(SafeguardingReferral, rid).status == "closed"
        closed = s.get(CaseFile, case.id)
        assert closed.first_read_at is not None
        assert closed.status == "closed" and closed.retention_clock_from is not None  # the report closes with it
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "safeguarding.chronology_exported"))
        s.close()
    lead_page.close()


def test_a_misfiled_case_converted_to_a_referral_keeps_its_receipt_and_messages(app, live_server, page_nojs,
                                                                               make_user, browser):
    """A pupil's report filed under an adult category reaches a case handler who is also a lead; they
    convert it from the case page; the reporter comes back with the same receipt, reads the answer."""
    page = page_nojs
    page.goto(f"{live_server}/report")
    page.locator(f"#f-category-{CaseCategory.ETHICAL.value}").check()
    page.locator("textarea[name=what]").fill("Our coach keeps a girl from my class behind and says it is our secret.")
    page.locator("main form button[type=submit]").last.click()
    receipt = page.locator("p.receipt-code code").inner_text()
    with app.app_context():
        s = new_session(app)
        case = s.scalars(select(CaseFile)).one()
        cid, reference = case.id, case.reference
        assert case.regime == "whistleblowing"
        s.close()
    lead = make_user("safeguarding_lead", "case_handler")
    lead_page = browser.new_page(java_script_enabled=False)
    browser_login(lead_page, live_server, lead)
    lead_page.goto(f"{live_server}/cases/{cid}")
    lead_page.get_by_role("button", name="Convert to a safeguarding referral").click()
    assert f"Case {reference} is now safeguarding referral" in lead_page.content()
    main = lead_page.locator("main").inner_text()
    assert "Our coach keeps a girl from my class behind" in main and "Feedback" not in main
    lead_page.get_by_label("Message to the reporter").fill("Thank you for telling us. Which class is it?")
    lead_page.get_by_role("button", name="Send to the reporter").click()
    assert "Message sent to the reporter." in lead_page.content()
    # The case URL now leads to the referral: one record.
    lead_page.goto(f"{live_server}/cases/{cid}")
    assert "/safeguarding/referrals/" in lead_page.url

    page.goto(f"{live_server}/report/follow-up")
    page.locator("input[name=receipt]").fill(receipt)
    page.locator("main form button[type=submit]").first.click()
    assert "Which class is it?" in page.content()
    with app.app_context():
        s = new_session(app)
        ref = s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == cid)).one()
        assert s.get(CaseFile, cid).regime == "safeguarding" and ref.status == "open"
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "safeguarding.case_converted"))
        s.close()
    lead_page.close()


def test_an_adult_authors_referral_names_the_real_child_and_her_chronology_lists_it(app, live_server, make_user,
                                                                                     browser):
    """An adult's post flagged by a parent: the parent is never "the child"; the lead names the real
    child, and the child's chronology lists the referral."""
    iid = make_item(app, author="u-coach-7", age_band="adult", author_role="teacher", chat_kind="group",
                    audience="13to15", flags=[("u-parent-7", "parent", "sexual")], scores=QUIET)
    with app.app_context():
        s = new_session(app)
        rid = s.scalars(select(SafeguardingReferral.id).where(SafeguardingReferral.item_id == iid)).one()
        s.close()
    lead_page = browser.new_page(java_script_enabled=False)
    browser_login(lead_page, live_server, make_user("safeguarding_lead"))
    lead_page.goto(f"{live_server}/safeguarding")
    row = lead_page.locator("table.desk tbody tr", has=lead_page.get_by_role("link", name=f"Referral #{rid}"))
    assert "Child not yet identified" in row.inner_text() and "u-parent-7" not in row.inner_text()
    lead_page.goto(f"{live_server}/safeguarding/referrals/{rid}")
    if not lead_page.locator("#add-pseudonym").is_visible():
        lead_page.get_by_text("Add someone the desk missed").click()
    lead_page.get_by_label("Platform pseudonym, or a short description").fill("u-real-child-7")
    lead_page.locator("#add-part").select_option("child_at_risk")
    lead_page.locator("#add-platform_role").select_option("student")
    lead_page.locator("#add-age_band").select_option("13to15")
    lead_page.get_by_role("button", name="Add person").click()
    assert "Person added to the referral." in lead_page.content()
    lead_page.goto(f"{live_server}/safeguarding")
    row = lead_page.locator("table.desk tbody tr", has=lead_page.get_by_role("link", name=f"Referral #{rid}"))
    assert "Child: u-real-child-7" in row.inner_text()
    row.get_by_role("link", name="u-real-child-7").click()
    chron = lead_page.locator("main").inner_text()
    assert f"Referral #{rid}" in chron or f"/safeguarding/referrals/{rid}" in lead_page.content()
    assert "as child at risk" in chron
    lead_page.goto(f"{live_server}/safeguarding/child/u-parent-7")
    assert "as child at risk" not in lead_page.locator("main").inner_text()
    lead_page.close()
