"""The independent reviewer reads everything and changes nothing but their own notes and
sample verdicts. Every POST route is tried (read from the app, so new routes are covered)."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import Attachment, AuditEvent, CaseFile, CaseStatus, ReviewNote
from tests.conftest import csrf_token, post_form
from tests.support.cases import get, make_case, scalars

# Routes the reviewer may POST to: their own notes and verdicts, their own account, the
# public anonymous channel (not a staff action), the token API (no session auth), and the
# decision on requests for the independent reviewer role, which only they may confirm
# (issue 10 item 3; accounts/grants.py refuses them every other role); and their own notices
# (marking them read, e-mail preferences: issue 12), which change nothing about any case.
# Exclusions are the reviewer's on purpose (issue 10, item 4): the reviewer may exclude someone
# from a case and is the only one who may lift an exclusion; tests/cases/test_exclusion_safeguards.py
# covers both, audited both ways.
ALLOWED_PREFIXES = ("reviewer.notes", "reviewer.note_edit", "reviewer.verdict", "reviewer.referral_verdict",
                    "auth.", "report.", "admin.confirm_grant", "admin.reject_grant", "notices.", "cases.exclusions",
                    "cases.lift_exclusion", "cases.confirm_exclusion_request", "cases.reject_exclusion_request",
                    "reviewer.access_review", "media.reveal")
# Revealing an image is reading, recorded as a view (docs/media.md): the reviewer may look.
# Issue 20 item 2: a reviewer is the second person who confirms excluding the other reviewer
# (tests/cases/test_reviewer_oversight.py); item 6: the quarterly access review is the
# reviewer's own work and changes no role (tests/accounts/test_small_org.py).


def test_every_post_route_refuses_the_reviewer(app, client, db, make_user, signed_in):
    reviewer = signed_in("independent_reviewer")
    cid = make_case(app, db, category="ethical", with_attachment=True)
    case = get(db, CaseFile, cid)
    token = csrf_token(client, "/review/notes")
    att_id = scalars(db, select(Attachment.id).where(Attachment.case_id == cid))[0]
    ids = {"case_id": cid, "attachment_id": att_id}
    tried, wrong = 0, []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()) or rule.endpoint.startswith(ALLOWED_PREFIXES):
            continue
        if rule.rule.startswith("/api/"):
            continue  # token auth only: a signed-in session is never accepted there
        if rule.endpoint in ("cases.alert_read", "language.choose"):
            continue  # one's own alert read, one's own page language: not a change to a case
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{arg}>", str(ids.get(arg, 1)), url)
        resp = client.post(url, data={"csrf_token": token, "reason": "a long enough reason",
                                      "text": "some text", "outcome": "substantiated"})
        tried += 1
        if resp.status_code != 403:
            wrong.append(f"POST {url} ({rule.endpoint}) -> {resp.status_code}")
    assert tried >= 15
    assert not wrong, "\n".join(wrong)
    after = get(db, CaseFile, cid)
    assert after.status == CaseStatus.ACKNOWLEDGED and after.version == case.version
    assert reviewer.id


def test_reviewer_reads_every_case_including_about_the_ceo(app, client, db, signed_in):
    signed_in("independent_reviewer")
    ids = [make_case(app, db, category=c) for c in ("safeguarding_minor", "ethical", "team_member", "ceo", "other")]
    html = client.get("/cases/?show=all").get_data(as_text=True)
    for cid in ids:
        assert f"/cases/{cid}" in html
        page = client.get(f"/cases/{cid}")
        assert page.status_code == 200
    non_ceo = client.get(f"/cases/{ids[1]}").get_data(as_text=True)
    assert "You can read this case but not change it." in non_ceo
    assert "Acknowledge receipt" not in non_ceo and 'action="/cases/' not in non_ceo


def test_reviewer_handles_cases_about_the_ceo(app, client, db, signed_in):
    signed_in("independent_reviewer")
    cid = make_case(app, db, category="ceo", status=CaseStatus.RECEIVED, reporter=False)
    resp = post_form(client, f"/cases/{cid}/acknowledge", token_from=f"/cases/{cid}")
    assert resp.status_code == 302
    assert get(db, CaseFile, cid).status == CaseStatus.ACKNOWLEDGED


def test_reviewer_writes_and_edits_own_notes_only(app, client, db, signed_in, make_user):
    me = signed_in("independent_reviewer")
    cid = make_case(app, db)
    resp = post_form(client, f"/review/notes?case_id={cid}", {"text": "Deadline handling looks right.",
                                                              "case_id": str(cid)},
                     token_from=f"/review/notes?case_id={cid}")
    assert resp.status_code == 302
    (note,) = scalars(db, select(ReviewNote))
    assert note.case_id == cid and note.author_id == me.id and b"Deadline" not in note.body_sealed
    assert "Deadline handling looks right." in client.get(f"/cases/{cid}").get_data(as_text=True)
    ok = post_form(client, f"/review/notes/{note.id}", {"text": "Edited."}, token_from="/review/notes")
    assert ok.status_code == 302
    other = make_user("independent_reviewer", totp=True)
    with app.app_context():
        from c2c_safety.core.crypto import seal_text

        db.add(ReviewNote(author_id=other.id, body_sealed=seal_text("theirs")))
        db.commit()
    theirs = scalars(db, select(ReviewNote).where(ReviewNote.author_id == other.id))[0]
    assert post_form(client, f"/review/notes/{theirs.id}", {"text": "hijack"},
                     token_from="/review/notes").status_code == 404
    actions = set(scalars(db, select(AuditEvent.action)))
    assert {"review.note_added", "review.note_edited"} <= actions


def test_reviewer_pages_need_the_reviewer_role(app, client, signed_in):
    signed_in("admin")
    for url in ("/review/", "/review/audit", "/review/reports", "/review/sample", "/review/notes"):
        assert client.get(url).status_code == 403


def test_alert_read_only_for_own_alerts(app, client, db, signed_in, make_user):
    from models import CaseAlert, utcnow

    signed_in("case_handler")
    other = make_user("case_handler")
    cid = make_case(app, db)
    db.add(CaseAlert(user_id=other.id, case_id=cid, kind="ack_overdue", day="2030-01-01", due_at=utcnow()))
    db.commit()
    alert_id = scalars(db, select(CaseAlert.id))[0]
    assert post_form(client, f"/cases/alerts/{alert_id}/read", token_from="/cases/alerts").status_code == 404
