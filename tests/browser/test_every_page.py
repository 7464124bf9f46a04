"""Every page of the desk, read from the app's routes (so a page added later is covered):
no horizontal overflow on a 390 px phone, and no serious or critical axe violation at
390 px and at 1366 px (issue 13, part 6).

Staff pages are visited by one account holding every role, with a little of everything in
the database so the pages show real rows; pages with ids in the URL get them from that
data (ARGS). A new URL argument with no entry in ARGS fails the test with its name, so the
next page is not silently skipped. Public pages (the reporter's) are visited signed out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.access import ACCESS
from c2c_safety.core.db import new_session
from models import ApiClient, Attachment, CaseFile, PolicyReason, ReviewItem, User, utcnow
from models.review import SafeguardingAction, SafeguardingPerson, SafeguardingReferral
from tests.browser.conftest import browser_login, dump
from tests.support.cases import make_case

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
Filler = Callable[[Session], Any]

# How to fill each URL argument from the data `_populate` made.
ARGS: dict[str, Filler] = {
    "case_id": lambda s: s.scalar(select(CaseFile.id).where(CaseFile.category == "ethical").order_by(CaseFile.id)),
    "attachment_id": lambda s: s.scalar(select(Attachment.id)),
    "client_id": lambda s: s.scalar(select(ApiClient.id)),
    "user_id": lambda s: s.scalar(select(User.id).order_by(User.id)),
    "reason_id": lambda s: s.scalar(select(PolicyReason.id)),
    "item_id": lambda s: s.scalar(select(ReviewItem.id).order_by(ReviewItem.id)),
    "referral_id": lambda s: s.scalar(select(SafeguardingReferral.id).order_by(SafeguardingReferral.id)),
    "person_id": lambda s: s.scalar(select(SafeguardingPerson.id).where(
        SafeguardingPerson.part == "person_of_concern")),
    "action_id": lambda s: s.scalar(select(SafeguardingAction.id).where(
        SafeguardingAction.withdrawable_until.is_not(None))),
    "pseudonym": lambda s: s.scalar(select(SafeguardingReferral.child_pseudonym)),
    "fmt": lambda s: "csv",
    # The invitation page signed out; a used or unknown link shows "This link does not work".
    "token": lambda s: "an-unknown-invitation-token",
}
# Query strings a page needs to show its content (not just a redirect).
QUERY: dict[str, str] = {"safeguarding.confirm_request": "?kind=request_restriction"}
# Sign-in pages would end the all-roles session; they are covered signed out.
SIGNED_OUT_ONLY = ("/login",)


def _populate(app: Flask, make_user: Callable[..., User]) -> User:
    from c2c_safety.intake import api_keys
    from c2c_safety.review import policy
    from c2c_safety.safeguarding import confirmation
    from c2c_safety.safeguarding import people as people_service
    from c2c_safety.safeguarding import requests as requests_service
    from tests.support.review import make_item

    everyone = make_user("moderator", "safeguarding_lead", "case_handler", "ceo", "independent_reviewer", "admin",
                         totp=True, email="all-roles.with-a-long-address@c2c-safety.test")
    make_user("case_handler", email="second.handler.with.a.rather.long.name@c2c-safety.test")
    iid = make_item(app, author="u-teacher-with-a-long-platform-pseudonym-000000000001", age_band="adult",
                    author_role="teacher", chat_kind="one_to_one", audience="under13",
                    content_type="chat_message", text="Synthetic: " + "a-very-long-unbroken-word-" * 8,
                    flags=[("u-child-with-a-long-platform-pseudonym-0000000000002", "student", "grooming")],
                    scores={"grooming": 0.97, "harassment": 0.1, "hate": 0.0, "threat": 0.0, "sexual": 0.0,
                            "self_harm": 0.0, "profanity": 0.0})
    make_item(app, scores={"harassment": 0.9}, waited=timedelta(hours=30))
    with app.app_context():
        s = new_session(app)
        policy.seed_reasons(s)
        api_keys.create_client(s, "platform-integration-with-a-long-name")
        ref = s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == iid)).one()
        lead = s.get(User, everyone.id)
        ppl = {p.part: p for p in people_service.sync(s, ref)}
        poc, why = ppl["person_of_concern"], "Synthetic: the police are informed and investigating."
        token = confirmation.issue(lead, requests_service.subject(ref, poc, "request_restriction"), why)
        requests_service.send(s, ref, poc, "request_restriction", actor=lead, detail=why, token=token)
        s.commit()
        s.close()
    db = new_session(app)
    make_case(app, db, category="ethical", with_attachment=True, body="Synthetic: " + "x" * 400)
    make_case(app, db, category="safeguarding_minor", status="received",
              received_at=utcnow() - timedelta(days=9))
    make_case(app, db, category="other", status="closed")
    db.close()
    return everyone


def _pages(app: Flask) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(endpoint, url) of staff pages, public urls, and URL arguments nobody knows how to fill."""
    staff: list[tuple[str, str]] = []
    public: list[str] = []
    unknown: list[str] = []
    with app.app_context():
        s = new_session(app)
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.rule.startswith("/api/"):
                continue
            last = rule.rule.rsplit("/", 1)[-1]
            if "." in last or "attachments" in rule.rule or rule.rule.startswith("/media/") \
                    or rule.rule in ("/healthz", "/readyz", "/report/leave"):  # leave: a redirect off the desk
                continue  # files and probes, not pages
            view = app.view_functions[rule.endpoint]
            guarded = f"{view.__module__}.{view.__name__}" in ACCESS
            missing = [a for a in rule.arguments if a not in ARGS]
            if missing:
                unknown.append(f"{rule.rule}: {', '.join(missing)}")
                continue
            url = rule.rule
            for arg in rule.arguments:
                value = ARGS[arg](s)
                assert value is not None, f"no data for {arg} ({rule.rule})"
                url = url.replace(f"<int:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)) \
                    .replace(f"<{arg}>", str(value))
            url += QUERY.get(rule.endpoint, "")
            if guarded and not url.startswith(SIGNED_OUT_ONLY):
                staff.append((rule.endpoint, url))
            elif not guarded:
                public.append(url)
        s.close()
    return sorted(staff), sorted(public), unknown


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_every_page_fits_a_phone_and_passes_axe(app, live_server, browser, axe_check, make_user, redis_conn):
    everyone = _populate(app, make_user)
    staff, public, unknown = _pages(app)
    assert not unknown, "add these URL arguments to ARGS:\n" + "\n".join(unknown)
    assert len(staff) > 25 and "/safeguarding" in dict(staff).values()
    problems: list[str] = []
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            browser_login(page, live_server, everyone)
            for endpoint, url in staff:
                resp = page.goto(live_server + url)
                if resp is None or resp.status != 200:
                    problems.append(f"{url} ({endpoint}): HTTP {resp.status if resp else '?'}")
                    continue
                if viewport is PHONE and (wide := _overflow(page)) > 0:
                    problems.append(f"{url}: {wide}px wider than a 390px phone")
                violations = axe_check(page)
                if violations:
                    problems.append(f"{url} at {viewport['width']}px: {dump(violations)}")
        finally:
            context.close()
    anon = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = anon.new_page()
    try:
        for url in public:
            page.goto(live_server + url)
            if (wide := _overflow(page)) > 0:
                problems.append(f"{url} (signed out): {wide}px wider than a 390px phone")
            violations = axe_check(page)
            if violations:
                problems.append(f"{url} (signed out): {dump(violations)}")
    finally:
        anon.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/admin/users", "/policy"])
def test_the_pages_the_issue_named_fit_a_phone(app, live_server, browser, make_user, path):
    admin = make_user("admin", totp=True, email="an-admin-with-a-long-address.for-testing@c2c-safety.test")
    for n in range(4):
        make_user("case_handler", "ceo", email=f"person-{n}.with.a.long.address.for.tables@c2c-safety.test")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, live_server, admin)
        page.goto(live_server + path)
        assert _overflow(page) == 0
    finally:
        context.close()
