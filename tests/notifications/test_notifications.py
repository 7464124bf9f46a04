"""Staff notices with a real SMTP server: who hears about what, nobody excluded hears about
their case, nothing in a notice is content or a name, and an SMTP outage only delays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session

import workers.context
from c2c_safety.cases import access as case_access
from c2c_safety.core.db import new_session
from c2c_safety.notifications import kinds, mailer, preferences, triggers
from models import CaseFile, Notice, NoticeEmail, User, utcnow
from models.notifications import EmailStatus
from models.review import WebhookDelivery
from tests.notifications.conftest import SmtpServer
from tests.support.cases import SECRET_BODY, make_case
from tests.support.intake import flag_body, make_key, post_flag, submit_report
from tests.support.review import claim, decide, make_item
from workers import notifications as jobs

SECRETS = ("CHILD-TEXT-0451", "u-kid-secret", "u-flagger-secret", "FLAG-COMMENT-77", "REPORT-BODY-9931",
           "contact.parent@example.invalid", SECRET_BODY, "Kim from class 7B", "Alex Adult")


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "lead1": make_user("safeguarding_lead", email="lead1@desk.test"),
        "lead2": make_user("safeguarding_lead", email="lead2@desk.test"),
        "mod1": make_user("moderator", email="mod1@desk.test"),
        "mod2": make_user("moderator", email="mod2@desk.test"),
        "handler1": make_user("case_handler", email="handler1@desk.test"),
        "handler2": make_user("case_handler", email="handler2@desk.test"),
        "ceo": make_user("ceo", email="ceo@desk.test"),
        "reviewer": make_user("independent_reviewer", totp=True, email="reviewer@desk.test"),
        "admin": make_user("admin", totp=True, email="admin@desk.test"),
    }


@pytest.fixture
def wapp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setattr(workers.context, "_app", app)
    return app


def notices(db: Session) -> list[Notice]:
    db.expire_all()
    out = list(db.scalars(select(Notice).order_by(Notice.id)))
    db.commit()
    return out


def recipients(db: Session, people: dict[str, User], kind: str | None = None) -> set[str]:
    by_id = {u.id: name for name, u in people.items()}
    return {by_id[n.user_id] for n in notices(db) if kind is None or n.kind == kind}


def send_all(app: Flask, now: Any = None) -> dict[str, int]:
    s = new_session(app)
    ids = mailer.due(s, now)
    s.commit()
    s.close()
    counts: dict[str, int] = {}
    for i in ids:
        st = mailer.send(app, i, now).status
        counts[st] = counts.get(st, 0) + 1
    return counts


def assert_no_content(server: SmtpServer, db: Session) -> None:
    for raw in server.inbox.raw:
        for secret in SECRETS:
            assert secret.encode() not in raw, secret
    for n in notices(db):
        for secret in SECRETS:
            assert secret not in f"{n.kind} {n.link} {n.dedupe_key}", secret


def test_an_urgent_referral_emails_every_lead_at_once_through_the_job(
        wapp: Flask, client: FlaskClient, redis_conn: Redis, smtp: SmtpServer, db: Session,
        people: dict[str, User]) -> None:
    with wapp.app_context():
        s = new_session(wapp)
        # Urgent safeguarding cannot be switched to in-app only
        assert preferences.save(s, s.get(User, people["lead2"].id), {kinds.SAFEGUARDING_URGENT: False}) == []
        s.commit()
        s.close()
    body = flag_body(**{"content.text": "CHILD-TEXT-0451 don't tell your parents", "author.id": "u-kid-secret",
                        "author.age_band": "under13", "flag.reason": "grooming",
                        "flag.comment": "FLAG-COMMENT-77", "flag.flagger.id": "u-flagger-secret"})
    assert post_flag(client, make_key(wapp), body).status_code == 202
    assert recipients(db, people) == {"lead1", "lead2"}
    # committed, then handed to the worker: the send job is on the high queue
    queued = Queue("high", connection=redis_conn)
    assert any(j.func_name == "workers.notifications.send_emails" for j in queued.jobs)
    SimpleWorker([queued], connection=redis_conn).work(burst=True)
    assert {m["To"] for m in smtp.inbox.messages} == {"lead1@desk.test", "lead2@desk.test"}
    mail = smtp.inbox.to("lead1@desk.test")[0]
    assert mail["Subject"] == "[Class2Class safety desk] New urgent safeguarding referral"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Target time: " in text and "https://desk.example/safeguarding/referrals/" in text
    assert_no_content(smtp, db)
    # the same event again (a re-run, a retried job) makes nothing new
    assert send_all(wapp) == {}


@pytest.mark.parametrize("category,expected,kind", [
    ("ethical", {"handler1", "handler2"}, kinds.NEW_CASE),
    ("ceo", {"reviewer"}, kinds.NEW_CASE),  # never the CEO, never the case handlers
    ("team_member", {"ceo"}, kinds.NEW_CASE),
    ("safeguarding_minor", {"lead1", "lead2"}, kinds.SAFEGUARDING_URGENT),
])
def test_a_new_report_reaches_whoever_it_is_routed_to(
        wapp: Flask, client: FlaskClient, redis_conn: Redis, smtp: SmtpServer, db: Session,
        people: dict[str, User], category: str, expected: set[str], kind: str) -> None:
    resp = submit_report(client, {"category": category, "what": "REPORT-BODY-9931 about Alex Adult",
                                  "contact": "contact.parent@example.invalid"})
    assert resp.status_code == 200
    assignee = db.scalars(select(CaseFile)).one().assigned_to_id
    db.commit()
    got = recipients(db, people, kind)
    # a round-robin assignee, if the desk assigned one, is the one person told (not for urgent ones)
    if assignee is not None and kind == kinds.NEW_CASE:
        assert got == {n for n, u in people.items() if u.id == assignee} <= expected
    else:
        assert got == expected
    assert "ceo" not in got or category != "ceo"
    assert send_all(wapp)["sent"] == len(got)
    assert_no_content(smtp, db)


def test_an_appeal_reaches_every_moderator_but_the_one_who_decided(
        wapp: Flask, client: FlaskClient, redis_conn: Redis, smtp: SmtpServer, db: Session,
        people: dict[str, User]) -> None:
    from tests.conftest import login

    iid = make_item(wapp, text="CHILD-TEXT-0451", author="u-kid-secret")
    login(client, people["mod1"])
    claim(client, iid)
    assert decide(client, iid, then="queue").status_code == 302
    decision_id = db.scalar(select(WebhookDelivery.decision_id))
    db.commit()
    resp = client.post("/api/v1/appeals", json={"decision_id": decision_id, "appellant": "author",
                                               "text": "REPORT-BODY-9931"},
                       headers={"Authorization": f"Bearer {make_key(wapp)}"})
    assert resp.status_code == 201
    assert recipients(db, people, kinds.APPEAL) == {"mod2"}
    send_all(wapp)
    assert [m["To"] for m in smtp.inbox.messages] == ["mod2@desk.test"]
    assert_no_content(smtp, db)


def test_deadlines_due_within_a_day_or_missed_and_excluded_people_hear_nothing(
        wapp: Flask, smtp: SmtpServer, db: Session, people: dict[str, User]) -> None:
    now = utcnow()
    # received ~6 days 14 hours ago and never acknowledged: acknowledgment due within 24 h
    soon = make_case(wapp, db, status="received", received_at=now - timedelta(days=6, hours=14))
    late = make_case(wapp, db, status="received", received_at=now - timedelta(days=8))
    calm = make_case(wapp, db, status="received", received_at=now - timedelta(days=1))
    with wapp.app_context():
        s = new_session(wapp)
        excluded = s.get(User, people["handler2"].id)
        actor = s.get(User, people["handler1"].id)
        assert excluded is not None and actor is not None
        for cid in (soon, late):
            case_access.exclude(s, s.get(CaseFile, cid), excluded, actor=actor, reason="named in the case")  # type: ignore[arg-type]
        s.commit()
        assert triggers.case_deadlines(s, now) == 2
        assert triggers.case_deadlines(s, now) == 0  # once per deadline
        s.commit()
        s.close()
    got = {(n.case_id, n.kind, n.user_id) for n in notices(db)}
    assert got == {(soon, kinds.DEADLINE_SOON, people["handler1"].id),
                   (late, kinds.DEADLINE_MISSED, people["handler1"].id)}
    assert all(n.case_id != calm for n in notices(db))
    assert send_all(wapp) == {"sent": 2}
    assert {m["To"] for m in smtp.inbox.messages} == {"handler1@desk.test"}
    assert {m["Subject"] for m in smtp.inbox.messages} == {
        "[Class2Class safety desk] Deadline due within 24 hours", "[Class2Class safety desk] Deadline missed"}


def test_an_exclusion_after_the_notice_hides_it_and_stops_its_email(
        wapp: Flask, client: FlaskClient, smtp: SmtpServer, db: Session, people: dict[str, User]) -> None:
    from tests.conftest import login

    cid = make_case(wapp, db, status="received", received_at=utcnow() - timedelta(days=8))
    with wapp.app_context():
        s = new_session(wapp)
        triggers.case_deadlines(s)
        s.commit()
        mine = s.scalars(select(Notice.id).where(Notice.user_id == people["handler2"].id)).one()
        case_access.exclude(s, s.get(CaseFile, cid), s.get(User, people["handler2"].id),  # type: ignore[arg-type]
                            actor=s.get(User, people["handler1"].id), reason="they are the subject")  # type: ignore[arg-type]
        s.commit()
        s.close()
    assert send_all(wapp) == {"sent": 1, "cancelled": 1}
    assert [m["To"] for m in smtp.inbox.messages] == ["handler1@desk.test"]
    login(client, people["handler2"])
    html = client.get("/notices").get_data(as_text=True)
    assert "Deadline missed" not in html and "Nothing is waiting for you" in html
    assert client.post(f"/notices/{mine}/open", data={"csrf_token": _token(client)}).status_code == 404


def test_failing_webhooks_reach_the_admins_once_a_day(wapp: Flask, smtp: SmtpServer, db: Session,
                                                       people: dict[str, User]) -> None:
    db.add(WebhookDelivery(event_id="e-1", event="decision.made", payload={}, status="pending", attempts=6))
    db.commit()
    with wapp.app_context():
        s = new_session(wapp)
        assert triggers.webhooks(s) == 1
        assert triggers.webhooks(s) == 0
        s.commit()
        s.close()
    assert recipients(db, people) == {"admin"}
    send_all(wapp)
    mail = smtp.inbox.messages[0]
    assert mail["Subject"] == "[Class2Class safety desk] Webhook deliveries keep failing"
    assert "https://desk.example/admin/webhooks" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_an_smtp_outage_delays_but_loses_nothing(wapp: Flask, client: FlaskClient, redis_conn: Redis,
                                                 smtp: SmtpServer, db: Session, people: dict[str, User]) -> None:
    smtp.stop()  # the server is down when the notices are made and first sent
    assert submit_report(client, {"category": "ethical", "what": "REPORT-BODY-9931"}).status_code == 200
    made = len(notices(db))
    assert made >= 1
    SimpleWorker([Queue("high", connection=redis_conn)], connection=redis_conn).work(burst=True)
    rows = list(db.scalars(select(NoticeEmail)))
    db.commit()
    assert len(rows) == made and all(r.status == EmailStatus.PENDING and r.attempts == 1 for r in rows)
    assert all(r.last_error in ("ConnectionRefusedError", "SMTPServerDisconnected") for r in rows)
    assert send_all(wapp) == {}  # not due yet: the backoff holds
    smtp.start()  # back up; the periodic sender retries when due
    later = utcnow() + timedelta(minutes=2)
    assert send_all(wapp, later) == {"sent": made}
    assert len(smtp.inbox.messages) == made
    db.expire_all()
    rows = list(db.scalars(select(NoticeEmail)))
    db.commit()
    assert all(r.status == EmailStatus.SENT and r.attempts == 2 for r in rows)
    # one Message-ID per notice, kept across the retry
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == made
    assert jobs.send_due() == {}  # the periodic job runs cleanly with nothing left to send


def test_in_app_only_preference_and_the_inbox(wapp: Flask, client: FlaskClient, smtp: SmtpServer, db: Session,
                                              people: dict[str, User]) -> None:
    from tests.conftest import login

    login(client, people["handler1"])
    page = client.get("/notices/preferences").get_data(as_text=True)
    assert "New case for your desk" in page and "Webhook" not in page
    resp = client.post("/notices/preferences", data={"csrf_token": _token(client, "/notices/preferences"),
                                                      "email": [kinds.DEADLINE_MISSED]})
    assert resp.status_code == 302
    assert client.post("/notices/preferences", data={"csrf_token": _token(client, "/notices/preferences"),
                                                     "email": ["bogus"]}).status_code == 400
    make_case(wapp, db, status="received", received_at=utcnow() - timedelta(days=6, hours=20))
    with wapp.app_context():
        s = new_session(wapp)
        triggers.case_deadlines(s)
        s.commit()
        s.close()
    mine = [n for n in notices(db) if n.user_id == people["handler1"].id]
    assert len(mine) == 1 and mine[0].kind == kinds.DEADLINE_SOON
    assert db.scalar(select(NoticeEmail.id).where(NoticeEmail.notice_id == mine[0].id)) is None
    db.commit()
    html = client.get("/notices").get_data(as_text=True)
    assert "Deadline due within 24 hours" in html and "in-app only" in html and "1 unread" in html
    opened = client.post(f"/notices/{mine[0].id}/open", data={"csrf_token": _token(client)})
    assert opened.status_code == 302 and opened.headers["Location"] == mine[0].link
    assert "Nothing unread" in client.get("/notices").get_data(as_text=True)
    other = next(n for n in notices(db) if n.user_id != people["handler1"].id)
    assert client.post(f"/notices/{other.id}/open", data={"csrf_token": _token(client)}).status_code == 404
    assert smtp.inbox.messages == [] or all(m["To"] != "handler1@desk.test" for m in smtp.inbox.messages)


def _token(client: FlaskClient, url: str = "/notices") -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, url)


def test_notice_pages_need_a_sign_in_and_posts_need_csrf(client: FlaskClient, people: dict[str, User]) -> None:
    from tests.conftest import login

    assert client.get("/notices").status_code == 302
    login(client, people["mod1"])
    assert client.post("/notices/read-all").status_code == 400
    assert client.get("/notices/preferences").status_code == 200
