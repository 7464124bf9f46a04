"""The moderator's loop over real HTTP: decide and land on the next item, presets from the
policy list, deciding on hidden sensitive content only after a confirmation, spam waves
decided together (each with its own statement and audit row), the author's history, and the
AI's evidence highlighted in escaped text."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.review import bulk, presets, wellbeing
from models import AuditEvent, ItemScore, ReviewItem, StatementOfReasons, WebhookDelivery, utcnow
from models.review import ContentReveal, Decision, PolicyReason
from tests.conftest import CSRF_RE, login
from tests.support.review import claim, csrf, decide, make_item, version_on_page

LOW = {"harassment": 0.05, "hate": 0.02, "threat": 0.01, "sexual": 0.0, "grooming": 0.0,
       "self_harm": 0.0, "profanity": 0.03}
SPAM = "WIN a FREE phone!!! Click www.free-phone.example now"


def page_of(client: FlaskClient, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def count(db: Session, model: Any, *where: Any) -> int:
    n = db.scalar(select(func.count()).select_from(model).where(*where)) or 0
    db.commit()
    return n


# --- decide and next -----------------------------------------------------------------------

def test_decide_lands_on_the_next_item_and_can_return_to_the_queue(app: Flask, client: FlaskClient,
                                                                    signed_in: Any) -> None:
    first = make_item(app, age_band="under13", flags=[("u-a", "student", "threat")])
    second = make_item(app, age_band="adult", scores=LOW)
    third = make_item(app, age_band="adult", scores=LOW, waited=timedelta(minutes=1))
    signed_in("moderator")
    claim(client, first)
    resp = decide(client, first)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/queue/{second}#work")
    html = page_of(client, f"/queue/{second}")
    assert "Decision recorded for item" in html and "You hold this item until" in html  # claimed for me
    back = decide(client, second, then="queue")
    assert back.status_code == 302 and back.headers["Location"].endswith("/queue")
    assert third in [int(x) for x in re.findall(r'href="/queue/(\d+)"', page_of(client, "/queue"))]


def test_items_i_already_hold_come_next_and_an_empty_queue_returns_to_the_list(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    top = make_item(app, age_band="under13", flags=[("u-a", "student", "threat")])
    held = make_item(app, age_band="adult", scores=LOW)
    signed_in("moderator")
    claim(client, held)
    claim(client, top)
    resp = decide(client, top)
    assert resp.headers["Location"].endswith(f"/queue/{held}#work")
    last = decide(client, held)
    assert last.headers["Location"].endswith("/queue")
    assert "Nothing else is waiting" in page_of(client, "/queue")


def test_release_and_open_the_next_item_gives_the_item_back(app: Flask, client: FlaskClient,
                                                           signed_in: Any, db: Session) -> None:
    a = make_item(app, age_band="under13", flags=[("u-a", "student", "threat")])
    b = make_item(app, age_band="adult", scores=LOW)
    signed_in("moderator")
    claim(client, a)
    resp = client.post("/queue/next", data={"csrf_token": csrf(client, f"/queue/{a}"), "release": str(a)})
    assert resp.headers["Location"].endswith(f"/queue/{b}#work")
    db.expire_all()
    assert db.get(ReviewItem, a).claimed_by_id is None  # type: ignore[union-attr]
    assert db.get(ReviewItem, b).claimed_by_id is not None  # type: ignore[union-attr]
    db.commit()


# --- presets ------------------------------------------------------------------------------

def test_presets_fill_the_form_without_javascript_and_decide_with_a_child_friendly_statement(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    iid = make_item(app, scores=LOW, content_type="chat_message", chat_kind="group")
    signed_in("moderator")
    claim(client, iid)
    html = page_of(client, f"/queue/{iid}")
    links = re.findall(rf'href="(/queue/{iid}\?preset=[^"]+)"', html)
    assert any("bullying_harassment:remove" in x for x in links)
    assert any("bullying_harassment:no_violation" in x for x in links)
    filled = page_of(client, f"/queue/{iid}?preset=bullying_harassment:remove")
    assert "Preset applied: Remove: Bullying or harassment" in filled
    assert re.search(r'value="remove"[^>]*checked|checked[^>]*value="remove"', filled)
    assert "Your chat message was unkind to another person" in filled  # {content} filled in
    data = {"csrf_token": CSRF_RE.search(filled).group(1), "version": str(version_on_page(filled)),  # type: ignore[union-attr]
            "action": "remove", "reason_code": "bullying_harassment", "duration": "permanent",
            "facts": re.search(r'<textarea[^>]*name="facts"[^>]*>\s*(.*?)</textarea>', filled, re.S).group(1)}  # type: ignore[union-attr]
    data["facts"] = data["facts"].replace("&#39;", "'")
    assert client.post(f"/queue/{iid}/decide", data=data).status_code == 302
    st = db.scalars(select(StatementOfReasons)).one()
    assert st.facts.startswith("Your chat message was unkind") and st.duration == "Permanently"
    db.commit()


def test_admin_edits_templates_and_placeholders_are_never_a_format_string(
        app: Flask, client: FlaskClient, make_user: Any, db: Session) -> None:
    login(client, make_user("admin", totp=True))
    with app.app_context():
        s = new_session(app)
        from c2c_safety.review import policy

        policy.seed_reasons(s)
        s.commit()
        rid = s.scalars(select(PolicyReason.id).where(PolicyReason.code == "spam_scam")).one()
        s.close()
    form = page_of(client, f"/policy/reasons/{rid}")
    assert "looked like advertising" in form  # the seed text, editable
    token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
    base = {"csrf_token": token, "code": "spam_scam", "label": "Spam or scams",
            "ground": "Class2Class coexistence policy, 'Meaningful collaboration': no advertising.",
            "position": "80", "active": "y", "preset_action": "restrict", "preset_duration": "7_days"}
    bad = client.post(f"/policy/reasons/{rid}", data={**base, "template_action": "too short"})
    assert bad.status_code == 400
    nodur = client.post(f"/policy/reasons/{rid}", data={**base, "preset_duration": "",
                                                       "template_action": "Your {content} is spam, {0.__class__}."})
    assert nodur.status_code == 400 and "needs a duration" in nodur.get_data(as_text=True)
    ok = client.post(f"/policy/reasons/{rid}", data={
        **base, "template_action": "Your {content} is spam {0.__class__} {rule}.", "template_no_violation": ""})
    assert ok.status_code == 302
    row = db.get(PolicyReason, rid)
    assert row is not None
    item = ReviewItem(content_type="comment", text="x", author_pseudonym="p", author_age_band="adult",
                      author_role="teacher", platform_content_id="c")
    got = {p.key: p for p in presets.for_item(item, None, [row])}
    assert set(got) == {"spam_scam:restrict"}  # the no-violation preset was switched off
    assert got["spam_scam:restrict"].facts == "Your comment is spam {0.__class__} spam or scams."
    assert got["spam_scam:restrict"].duration == "7_days"
    db.commit()


# --- sensitive content: reveal before deciding, or confirm ----------------------------------

def test_deciding_hidden_sensitive_content_asks_for_confirmation(app: Flask, client: FlaskClient,
                                                                 signed_in: Any, db: Session) -> None:
    iid = make_item(app, text="HIDDEN-TEXT", flags=[("u-s", "student", "grooming")])
    mod = signed_in("moderator")
    claim(client, iid)
    resp = decide(client, iid, action="no_violation", reason="grooming_child_safety", duration="")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "You have not looked at this content" in html and "I confirm I decide without looking" in html
    assert "HIDDEN-TEXT" not in html  # still hidden: confirming is not revealing
    assert count(db, Decision) == 0
    # A child (13-15) is involved: "no violation" on grooming also confirms the support notice.
    ok = decide(client, iid, action="no_violation", reason="grooming_child_safety", duration="",
                confirm_unrevealed="y", confirm_support="y")
    assert ok.status_code == 302
    d = db.scalars(select(Decision)).one()
    assert d.content_revealed is False
    db.commit()
    with app.app_context():
        s = new_session(app)
        row = {r.moderator_id: r for r in wellbeing.automation_bias_summary(s, utcnow() - timedelta(days=1))}
        assert row[mod.id].unrevealed == 1
        s.close()


def test_revealing_first_is_recorded_and_needs_no_confirmation(app: Flask, client: FlaskClient,
                                                               signed_in: Any, db: Session) -> None:
    iid = make_item(app, text="SELF-HARM-TEXT", flags=[("u-s", "student", "self_harm")])
    plain = make_item(app, scores=LOW)
    signed_in("moderator")
    claim(client, iid)
    client.post(f"/queue/{iid}/reveal", data={"csrf_token": csrf(client, f"/queue/{iid}")})
    assert "SELF-HARM-TEXT" in page_of(client, f"/queue/{iid}")
    assert decide(client, iid, then="queue").status_code == 302
    claim(client, plain)
    assert decide(client, plain, then="queue").status_code == 302
    by_item = {d.item_id: d.content_revealed for d in db.scalars(select(Decision))}
    assert by_item == {iid: True, plain: None}
    assert count(db, AuditEvent, AuditEvent.action == "view.content_revealed") == 1
    assert count(db, ContentReveal) == 1


def test_reveal_is_a_post_for_readers_only(app: Flask, client: FlaskClient, signed_in: Any) -> None:
    iid = make_item(app, flags=[("u-s", "student", "sexual")])
    signed_in("case_handler")
    assert client.post(f"/queue/{iid}/reveal", data={"csrf_token": csrf(client, "/account")}).status_code == 403
    assert client.get(f"/queue/{iid}/reveal").status_code == 405


# --- spam waves -----------------------------------------------------------------------------

def test_normalised_text_groups_spam_variants_but_not_short_texts() -> None:
    a = bulk.text_key(SPAM)
    assert a is not None
    assert bulk.text_key("win a free PHONE — click www.free-phone.example NOW!") == a
    assert bulk.text_key("WIN a FREE\u200b phone click www free phone example now") == a
    assert bulk.text_key("ok!!") is None and bulk.text_key("lol 😂😂") is None
    assert bulk.text_key(SPAM + " please") != a


def test_bulk_decision_gives_each_item_its_own_statement_audit_and_webhook(
        app: Flask, client: FlaskClient, signed_in: Any, make_user: Any, db: Session) -> None:
    main = make_item(app, text=SPAM, scores=LOW, flags=[("u-1", "student", "spam")])
    twins = [make_item(app, text=SPAM.lower() + "!", scores=LOW, flags=[("u-2", "student", "spam")])
             for _ in range(3)]
    other_mod = make_user("moderator")
    held_by_other = make_item(app, text=SPAM, scores=LOW, flags=[("u-3", "student", "spam")])
    unrelated = make_item(app, text="a completely different message about homework", scores=LOW)
    with app.app_context():
        s = new_session(app)
        from c2c_safety.review import claims

        claims.claim(s, held_by_other, s.get(type(other_mod), other_mod.id))  # type: ignore[arg-type]
        s.commit()
        s.close()
    signed_in("moderator")
    claim(client, main)
    html = page_of(client, f"/queue/{main}")
    assert "4 other waiting items with the same text" in html and "held by another moderator" in html
    resp = decide(client, main, reason="spam_scam", bulk="y", then="queue",
                  facts="This message is advertising sent to many classes at once.")
    assert resp.status_code == 302
    assert "and 3 items with the same text" in page_of(client, "/queue")
    decided = {d.item_id: d for d in db.scalars(select(Decision))}
    assert set(decided) == {main, *twins}
    assert all(decided[t].bulk_of_id == decided[main].id for t in twins)
    assert count(db, StatementOfReasons) == 4
    assert count(db, AuditEvent, AuditEvent.action == "decision.made") == 4
    assert count(db, WebhookDelivery) == 4
    assert db.get(ReviewItem, held_by_other).status == "open"  # type: ignore[union-attr]
    assert db.get(ReviewItem, unrelated).status == "open"  # type: ignore[union-attr]
    db.commit()


def test_escalations_and_appeals_are_never_applied_in_bulk(app: Flask, client: FlaskClient,
                                                           signed_in: Any, db: Session) -> None:
    main = make_item(app, text=SPAM, scores=LOW)
    make_item(app, text=SPAM, scores=LOW)
    signed_in("moderator")
    claim(client, main)
    resp = decide(client, main, action="escalate_case", reason="spam_scam", duration="", bulk="y")
    assert resp.status_code == 400 and "one item at a time" in resp.get_data(as_text=True)
    assert count(db, Decision) == 0


# --- context: the author's history and the AI's evidence --------------------------------------

def test_author_history_lists_earlier_items_decisions_and_appeals_with_links(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    old = make_item(app, author="u-repeat", scores=LOW)
    signed_in("moderator")
    claim(client, old)
    decide(client, old, then="queue")
    current = make_item(app, author="u-repeat", scores=LOW)
    stranger = make_item(app, author="u-other", scores=LOW)
    html = page_of(client, f"/queue/{current}")
    section = html[html.index("The author's history"):]
    assert f'href="/queue/{old}"' in section and "Decision: Remove the content" in section
    assert "1 other item by the same author" in section and "1 of those shown ended with a restriction" in section
    assert f'href="/queue/{stranger}"' not in section
    assert "u-repeat" not in html


def test_evidence_is_highlighted_in_escaped_text_and_bad_offsets_are_ignored(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    txt = "Hi <b>you</b>! don't tell your parents, ok? add me on snapchat"
    iid = make_item(app, text=txt, scores={**LOW, "harassment": 0.9})
    start = txt.index("don't tell your parents")
    snap = txt.index("add me on snapchat")
    with app.app_context():
        s = new_session(app)
        score = s.scalars(select(ItemScore).where(ItemScore.subject_id == iid)).one()
        score.extra = {"evidence": {"harassment": [
            {"start": start, "end": start + 23, "label": "rule:secrecy"},
            {"start": start + 4, "end": start + 10, "label": "sentence"},  # overlaps: merged
            {"start": snap, "end": snap + 18, "label": "rule:private_channel"},
            {"start": 5, "end": 500, "label": "sentence"},  # past the end: dropped
            {"start": 9, "end": 3, "label": "sentence"}, "junk"]}, "context_used": True}
        s.commit()
        s.close()
    signed_in("moderator")
    html = page_of(client, f"/queue/{iid}")
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", html)
    assert marks == ["don&#39;t tell your parents", "add me on snapchat"]
    assert "Hi &lt;b&gt;you&lt;/b&gt;!" in html and "<b>you</b>" not in html
    assert "rule: secrecy" in html and "The earlier messages were taken into account" in html
    from classifiers import reliable_languages

    assert "The model scores these languages reliably: " + ", ".join(sorted(reliable_languages())) in html
