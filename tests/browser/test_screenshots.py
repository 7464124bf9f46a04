"""Screenshots of the main pages for the README, taken in the real browser from synthetic data.

Writes PNGs to docs/screenshots/ and checks each file was written and is a real PNG.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety.core.db import new_session
from models import CaseFile
from models.review import SafeguardingReferral
from tests.browser.conftest import browser_login
from tests.support.review import make_item

# The README's pictures are refreshed only on request (C2C_UPDATE_SCREENSHOTS=1), so that a
# test run never rewrites tracked files; otherwise the shots go to a temporary folder.
DOCS_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OUT = DOCS_OUT if os.environ.get("C2C_UPDATE_SCREENSHOTS") else Path(tempfile.mkdtemp(prefix="c2c-shots-"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCORES = {"harassment": 0.91, "hate": 0.04, "threat": 0.02, "sexual": 0.0, "grooming": 0.01,
          "self_harm": 0.0, "profanity": 0.12}


@pytest.fixture(autouse=True)
def _fast(app: Flask, redis_conn: Any) -> None:
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _shot(page: Any, name: str, written: list[Path]) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    written.append(path)


def test_screenshots_of_the_main_pages(app: Flask, live_server: str, browser: Any, make_user: Any,
                                       dialogs: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    iid = make_item(app, scores=SCORES, text="Nobody wants you in our group. Go away, loser.")
    grooming = make_item(app, text="You're so mature for your age. Let's chat somewhere private, "
                         "don't tell your teacher.", age_band="under13", chat_kind="one_to_one",
                         flags=[("u-kid-7", "student", "grooming")],
                         scores={**SCORES, "harassment": 0.05, "grooming": 0.96})
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        _shot(page, "sign-in", written)

        page.goto(f"{live_server}/report?lang=en")
        _shot(page, "report-form", written)
        page.get_by_label("Something unethical or wrong", exact=False).check()
        page.get_by_label("Tell us what happened").fill(
            "A helper in project Ocean keeps asking pupils for their phone numbers.")
        page.get_by_label("When did it happen?").fill("Last week")
        page.get_by_role("button", name="Send report").click()
        page.locator(".receipt-code").wait_for()
        _shot(page, "receipt", written)

        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        _shot(page, "queue", written)
        page.goto(f"{live_server}/queue/{iid}")
        page.get_by_role("button", name="Claim this item to decide").click()
        page.get_by_role("button", name="Record decision").wait_for()
        _shot(page, "item-decision", written)
        context.clear_cookies()

        browser_login(page, live_server, make_user("safeguarding_lead"))
        page.goto(f"{live_server}/safeguarding")
        _shot(page, "safeguarding-desk", written)
        with app.app_context():
            s = new_session(app)
            ref = s.scalars(select(SafeguardingReferral.id)
                            .where(SafeguardingReferral.item_id == grooming)).one()
            s.close()
        page.goto(f"{live_server}/safeguarding/referrals/{ref}")
        _shot(page, "safeguarding-referral", written)
        context.clear_cookies()

        browser_login(page, live_server, make_user("case_handler"))
        with app.app_context():
            s = new_session(app)
            cid = s.scalars(select(CaseFile.id)).one()
            s.close()
        page.goto(f"{live_server}/cases/{cid}")
        _shot(page, "case", written)
        context.clear_cookies()

        browser_login(page, live_server, make_user("independent_reviewer", totp=True))
        page.goto(f"{live_server}/review/reports")
        _shot(page, "reviewer-reports", written)
    finally:
        context.close()

    assert dialogs == []
    names = sorted(p.stem for p in written)
    assert names == sorted(["sign-in", "report-form", "receipt", "queue", "item-decision",
                            "safeguarding-desk", "safeguarding-referral", "case", "reviewer-reports"])
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, path
