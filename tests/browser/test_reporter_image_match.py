"""Issue 25 in a real browser without JavaScript: a reporter attaches an image that is on a
child-abuse hash list. The worker makes the report an urgent referral; the lead's referral page
shows the attachment restricted (no link), the hotline record (hashes, never the image) and the
legal hold the desk placed by itself; the lead marks the record sent. Checked with axe, on a
phone-sized screen as well."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import workers.context
from c2c_safety.core.db import new_session
from models import CaseFile
from models.media import HotlineRecord
from models.review import SafeguardingReferral
from tests.browser.conftest import browser_login, dump
from tests.support.media import LISTED, list_hash
from workers import media_reports

pytestmark = pytest.mark.browser


def test_a_listed_image_in_a_report_reaches_the_lead_restricted_with_its_hotline_record(
        app: Flask, live_server: str, page_nojs: Any, browser: Any, axe_check: Any, make_user: Any,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setattr(workers.context, "_app", app)
    list_hash(app, LISTED)
    lead = make_user("safeguarding_lead")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(LISTED)
    page = page_nojs
    page.goto(f"{live_server}/report")
    page.locator("#f-category-ethical").check()
    page.locator("textarea[name=what]").fill("Someone posted this photo in a class project.")
    page.locator("#f-attachments").set_input_files(str(photo))
    page.locator("main form button[type=submit]").last.click()
    assert page.locator("p.receipt-code code").inner_text()

    with app.app_context():
        s = new_session(app)
        # An ethics report: no referral until the worker has matched the image.
        assert s.scalars(select(SafeguardingReferral.id)).first() is None
        case_id = s.scalars(select(CaseFile.id)).one()
        s.close()
    assert media_reports.hash_case_images(case_id) == 1
    with app.app_context():
        s = new_session(app)
        ref_id = s.scalars(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case_id)).one()
        record = s.scalars(select(HotlineRecord)).one()
        reference, pdq = record.reference, str(record.entries[0]["pdq"])
        s.close()

    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        lead_page = browser.new_page(java_script_enabled=False, viewport=viewport)
        browser_login(lead_page, live_server, lead)
        lead_page.goto(f"{live_server}/safeguarding/referrals/{ref_id}")
        main = lead_page.locator("main").inner_text()
        assert "Restricted:" in main and "Hotline report record" in main and reference in main and pdq in main
        assert "Legal hold" in main
        assert lead_page.locator(f'a[href^="/cases/{case_id}/attachments/"]').count() == 0
        violations = axe_check(lead_page)
        assert violations == [], dump(violations)
        lead_page.close()

    lead_page = browser.new_page(java_script_enabled=False)
    browser_login(lead_page, live_server, lead)
    lead_page.goto(f"{live_server}/safeguarding/referrals/{ref_id}")
    lead_page.get_by_label("Hotline you sent it to").select_option(index=1)
    lead_page.get_by_label("The hotline's reference for your report").fill("RB-2026-0042")
    lead_page.get_by_role("button", name="Mark as sent to the hotline").click()
    main = lead_page.locator("main").inner_text()
    assert "Hotline report record marked as sent." in lead_page.content() and "RB-2026-0042" in main
