"""Issue 22.6: an internal note on an item (never sent to the author: not in the statement nor
the webhook), and "ask a senior" that puts the item in a colleague's list, audited."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, StatementOfReasons, WebhookDelivery
from tests.conftest import login
from tests.support.review import claim, csrf, decide, make_item


def test_ask_a_senior_then_the_senior_answers_and_decides_and_nothing_reaches_the_author(
        app: Flask, make_user: Any, db: Session) -> None:
    iid = make_item(app)
    junior, senior = make_user("moderator"), make_user("moderator")
    a, b = app.test_client(), app.test_client()
    login(a, junior)
    login(b, senior)
    claim(a, iid)
    token = csrf(a, f"/queue/{iid}")
    assert a.post(f"/queue/{iid}/note", data={"csrf_token": token, "text": "NOTE-SECRET context"}).status_code == 302
    resp = a.post(f"/queue/{iid}/ask", data={"csrf_token": token, "senior": str(senior.id),
                                             "question": "QUESTION-SECRET is this bullying?"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/queue")
    asked = db.scalars(select(AuditEvent).where(AuditEvent.action == "item.senior_asked")).one()
    assert asked.details["asked_id"] == senior.id and "QUESTION" not in str(asked.details)
    db.commit()
    listing = b.get("/queue").get_data(as_text=True)
    assert "Asked of you (1)" in listing and "QUESTION-SECRET" in listing
    assert "Asked of you" not in a.get("/queue").get_data(as_text=True)
    claim(b, iid)  # the junior gave it back
    assert decide(b, iid, then="queue").status_code == 302
    assert "Asked of you" not in b.get("/queue").get_data(as_text=True)  # deciding answered it
    st = db.scalars(select(StatementOfReasons)).one()
    delivery = db.scalars(select(WebhookDelivery)).one()
    for text in (st.facts, st.restriction, str(delivery.payload)):
        assert "SECRET" not in text
    db.commit()


def test_ask_refuses_yourself_and_non_moderators(app: Flask, make_user: Any) -> None:
    iid = make_item(app)
    mod, admin = make_user("moderator"), make_user("admin")
    a = app.test_client()
    login(a, mod)
    token = csrf(a, f"/queue/{iid}")
    for who in (mod.id, admin.id, 999999):
        resp = a.post(f"/queue/{iid}/ask", data={"csrf_token": token, "senior": str(who), "question": "why?"})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("#notes")
    assert "Choose a colleague who moderates." in a.get(f"/queue/{iid}").get_data(as_text=True)


def test_the_senior_asked_gets_a_notice_without_the_question_resolved_when_they_answer(
        app: Flask, make_user: Any, db: Session) -> None:
    from c2c_safety.notifications.mailer import build_message
    from models import Notice

    iid = make_item(app)
    junior, senior, other = make_user("moderator"), make_user("moderator"), make_user("moderator")
    a, b = app.test_client(), app.test_client()
    login(a, junior)
    login(b, senior)
    claim(a, iid)
    token = csrf(a, f"/queue/{iid}")
    a.post(f"/queue/{iid}/ask", data={"csrf_token": token, "senior": str(senior.id),
                                      "question": "QUESTION-SECRET is this bullying?"})
    notice = db.scalars(select(Notice).where(Notice.kind == "second_opinion")).one()
    assert notice.user_id == senior.id and notice.link == f"/queue/{iid}#notes" and notice.resolved_at is None
    assert not db.scalars(select(Notice).where(Notice.user_id.in_([junior.id, other.id]))).all()
    mail = build_message(notice, senior.email, "desk@example.org", "https://desk.example", "<m@x>")
    assert "You were asked for a second opinion" in str(mail) and "SECRET" not in str(mail)
    db.commit()
    inbox = b.get("/notices").get_data(as_text=True)
    assert "You were asked for a second opinion" in inbox and "SECRET" not in inbox
    # The question itself is on the desk, on the item.
    assert "QUESTION-SECRET" in b.get(f"/queue/{iid}").get_data(as_text=True)
    # The senior answers with a note: the notice is resolved in that transaction.
    token_b = csrf(b, f"/queue/{iid}")
    assert b.post(f"/queue/{iid}/note", data={"csrf_token": token_b, "text": "Yes, bullying."}).status_code == 302
    db.expire_all()
    assert db.get(Notice, notice.id).resolved_at is not None  # type: ignore[union-attr]
    db.commit()


def test_a_second_opinion_notice_resolves_when_someone_else_decides_the_item(
        app: Flask, make_user: Any, db: Session) -> None:
    from c2c_safety.notifications import resolution
    from models import Notice

    iid = make_item(app)
    junior, senior, third = make_user("moderator"), make_user("moderator"), make_user("moderator")
    a, c = app.test_client(), app.test_client()
    login(a, junior)
    login(c, third)
    claim(a, iid)
    a.post(f"/queue/{iid}/ask", data={"csrf_token": csrf(a, f"/queue/{iid}"), "senior": str(senior.id),
                                      "question": "What do you think?"})
    claim(c, iid)
    assert decide(c, iid, then="queue").status_code == 302
    db.expire_all()
    assert resolution.resolve_open(db, user_id=senior.id) == 1
    db.commit()
    notice = db.scalars(select(Notice).where(Notice.kind == "second_opinion")).one()
    assert notice.resolved_at is not None
