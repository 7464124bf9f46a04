"""Conflict-of-interest exclusion, proved on every page and API.

A person excluded from a case (whatever their roles, admin and independent reviewer
included) cannot find, open, search, count or be notified about it. The routes are read
from the app itself, so a page added later is covered without editing this file:

- every GET page without arguments must not mention the case (reference, link, its rows);
- every GET/POST route taking a case (or an object of one: attachment, alert, note) must
  answer 403 or 404 for it;
- counts (case list, reports) must not include it; no alert is made for them.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety.cases import access as case_access
from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases import reviewer_oversight
from c2c_safety.core.crypto import seal_text
from models import CaseAlert, CaseExclusion, CaseFile, CaseStatus, ReviewNote, User, utcnow
from tests.conftest import csrf_token, login
from tests.support.cases import get, make_case, scalars

UNIQUE_WORD = "Zanzibarquokka"
# role(s) of the excluded person -> a case category they would otherwise see
SUBJECTS = {
    "case_handler": ("ethical", ("case_handler",)),
    "safeguarding_lead": ("safeguarding_minor", ("safeguarding_lead",)),
    "ceo": ("team_member", ("ceo",)),
    "independent_reviewer": ("ethical", ("independent_reviewer",)),
    "admin": ("ethical", ("admin",)),
    "admin+case_handler": ("ethical", ("admin", "case_handler")),
}
MY_BLUEPRINTS = ("cases.", "reviewer.", "retention.")


def _setup(app: Flask, db, make_user, category: str, roles: tuple[str, ...]) -> dict[str, object]:
    from datetime import timedelta

    from models import Role

    needs_totp = bool({"admin", "independent_reviewer"} & set(roles))
    victim = make_user(*roles, totp=needs_totp)
    routed = {"ethical": Role.CASE_HANDLER, "safeguarding_minor": Role.SAFEGUARDING_LEAD,
              "team_member": Role.CEO}[category]
    peer = make_user(routed)
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category=category, status=CaseStatus.RECEIVED,
                    received_at=utcnow() - timedelta(days=10), body=f"About {UNIQUE_WORD} and more.",
                    with_attachment=True,
                    assigned_to_id=victim.id if routed in roles else None)
    with app.app_context():
        # An alert for the victim from before the exclusion, and a review note on the case.
        case_alerts.generate(db, utcnow())
        db.add(ReviewNote(author_id=reviewer.id, case_id=cid, body_sealed=seal_text("reviewer note"),
                          created_at=utcnow()))
        db.commit()
        case = db.get(CaseFile, cid)
        person = db.get(User, victim.id)
        actor = db.get(User, peer.id)
        done = case_access.exclude(db, case, person, actor=actor, reason="The case is about this person.")
        if not isinstance(done, CaseExclusion):  # a reviewer: the other reviewer confirms (issue 20)
            db.flush()
            reviewer_oversight.confirm(db, done.id, actor=db.get(User, reviewer.id))
        db.commit()
        # A stale alert made after the exclusion must not show either.
        db.add(CaseAlert(user_id=victim.id, case_id=cid, kind="ack_overdue", day="1999-01-01",
                         due_at=utcnow(), created_at=utcnow()))
        db.commit()
        case_alerts.generate(db, utcnow())
        db.commit()
    ref = get(db, CaseFile, cid).reference
    att_id = get(db, CaseFile, cid).attachments[0].id
    alert_id = scalars(db, select(CaseAlert.id).where(CaseAlert.case_id == cid))[0]
    note_id = scalars(db, select(ReviewNote.id).where(ReviewNote.case_id == cid))[0]
    return {"victim": victim, "peer": peer, "case_id": cid, "ref": ref, "attachment_id": att_id,
            "alert_id": alert_id, "note_id": note_id}


def _leaks(body: str, ctx: dict[str, object]) -> list[str]:
    cid, ref = ctx["case_id"], str(ctx["ref"])
    found = []
    if ref in body:
        found.append("reference")
    if re.search(rf"/cases/{cid}(?!\d)", body):
        found.append("link")
    if re.search(rf">case {cid}<", body):
        found.append("audit row link")
    if UNIQUE_WORD in body:
        found.append("report text")
    return found


def _args_for(rule, ctx: dict[str, object]) -> list[dict[str, object]] | None:
    endpoint = rule.endpoint
    mine = endpoint.startswith(MY_BLUEPRINTS)
    values: dict[str, object] = {"case_id": ctx["case_id"]}
    if mine:
        values.update(attachment_id=ctx["attachment_id"], alert_id=ctx["alert_id"], note_id=ctx["note_id"])
    if not set(rule.arguments) & set(values) or not set(rule.arguments) <= set(values) | {"fmt"}:
        return None
    base = {a: values[a] for a in rule.arguments if a in values}
    if "fmt" in rule.arguments:
        return [{**base, "fmt": "csv"}, {**base, "fmt": "json"}]
    return [base]


@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_excluded_person_cannot_find_open_count_or_be_alerted(app, client, db, make_user, subject):
    category, roles = SUBJECTS[subject]
    ctx = _setup(app, db, make_user, category, roles)
    victim = ctx["victim"]
    login(client, victim)  # type: ignore[arg-type]
    problems: list[str] = []
    token = csrf_token(client, "/account")
    checked_pages = checked_routes = 0
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        if rule.endpoint == "static" or rule.rule.startswith("/api/") or "logout" in rule.endpoint:
            continue
        if not rule.arguments and "GET" in methods:
            resp = client.get(rule.rule)
            checked_pages += 1
            if resp.status_code == 200:
                leak = _leaks(resp.get_data(as_text=True), ctx)
                if leak:
                    problems.append(f"GET {rule.rule} shows the case: {leak}")
            continue
        for args in _args_for(rule, ctx) or []:
            url = rule.rule
            for k, v in args.items():
                url = re.sub(rf"<(?:\w+:)?{k}>", str(v), url)
            checked_routes += 1
            if "GET" in methods:
                resp = client.get(url)
                if resp.status_code not in (403, 404) or _leaks(resp.get_data(as_text=True), ctx):
                    problems.append(f"GET {url} -> {resp.status_code}")
            if "POST" in methods:
                resp = client.post(url, data={"csrf_token": token})
                if resp.status_code not in (403, 404):
                    problems.append(f"POST {url} -> {resp.status_code}")
    # Search and filters by reference or text.
    for q in (UNIQUE_WORD, ctx["ref"]):
        resp = client.get(f"/cases/?show=all&q={q}")
        # (the page echoes the search words in its search box; the result table must be empty)
        if resp.status_code == 200 and ("No cases match." not in resp.get_data(as_text=True)
                                        or f"/cases/{ctx['case_id']}" in resp.get_data(as_text=True)):
            problems.append(f"search {q!r} finds it")
    audit_by_case = client.get(f"/review/audit?case={ctx['ref']}")
    if audit_by_case.status_code == 200 and "No entries match" not in audit_by_case.get_data(as_text=True):
        problems.append("audit browser filtered by the case shows rows")
    # Counts: the only case in the desk is the excluded one.
    cases_page = client.get("/cases/?show=all")
    if cases_page.status_code == 200:
        html = cases_page.get_data(as_text=True)
        if "<strong>0</strong> open" not in html or "<strong>0</strong> overdue" not in html:
            problems.append("case counts include it")
    reports = client.get("/review/reports.json")
    if reports.status_code == 200:
        rows = {r["metric"]: r["value"] for r in reports.get_json()["rows"] if r["section"] == "directive"}
        if rows["Cases received"] != 0:
            problems.append("reports count it")
    # Exclusion by reference (admins, handlers) answers as for an unknown case.
    if client.get("/cases/exclusions").status_code == 200:
        resp = client.post("/cases/exclusions", data={"csrf_token": csrf_token(client, "/cases/exclusions"),
                                                      "reference": ctx["ref"], "email": "x@test.c2c",
                                                      "reason": "testing it"})
        if "No case with that reference" not in resp.get_data(as_text=True):
            problems.append("exclusions page admits the case exists")
    # Notifications: nothing listed, nothing counted, no new alert made.
    with app.app_context():
        person = db.get(User, victim.id)  # type: ignore[attr-defined]
        assert case_alerts.for_user(db, person) == []
        assert case_alerts.unread_count(db, person) == 0
        assert not case_access.can_view(db, person, int(ctx["case_id"]))  # type: ignore[arg-type]
        db.commit()
    new_alerts = scalars(db, select(CaseAlert).where(CaseAlert.user_id == victim.id,  # type: ignore[attr-defined]
                                                      CaseAlert.day != "1999-01-01"))
    if new_alerts:
        problems.append("an alert was made for them")
    assert checked_pages > 10 and checked_routes > 10
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("subject", ["case_handler", "independent_reviewer", "safeguarding_lead", "ceo"])
def test_the_same_person_not_excluded_does_see_it(app, client, db, make_user, subject):
    """The control: without the exclusion the same checks find the case."""
    category, roles = SUBJECTS[subject]
    person = make_user(*roles, totp=subject == "independent_reviewer")
    cid = make_case(app, db, category=category, body=f"About {UNIQUE_WORD}.")
    login(client, person)
    assert client.get(f"/cases/{cid}").status_code == 200
    assert UNIQUE_WORD in client.get(f"/cases/?q={UNIQUE_WORD}").get_data(as_text=True)
    if subject == "safeguarding_lead":
        assert f"/cases/{cid}" in client.get("/safeguarding").get_data(as_text=True)


def test_ceo_never_sees_a_case_about_the_ceo(app, client, db, make_user):
    ceo = make_user("ceo")
    cid = make_case(app, db, category="ceo", body=f"About {UNIQUE_WORD}.")
    assigned = make_case(app, db, category="ceo", assigned_to_id=ceo.id)  # even if wrongly assigned
    login(client, ceo)
    for c in (cid, assigned):
        assert client.get(f"/cases/{c}").status_code == 404
    html = client.get("/cases/?show=all").get_data(as_text=True)
    assert "<strong>0</strong> open" in html and UNIQUE_WORD not in html
    reviewer = make_user("independent_reviewer", totp=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, reviewer)
    assert client.get(f"/cases/{cid}").status_code == 200  # routed to the reviewer only
