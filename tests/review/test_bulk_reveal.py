"""Issue 22.1: a bulk decision on same-text items respects "Show the content". A sensitive
sibling is decided only when this moderator revealed it or confirmed, by its number, deciding
without looking; otherwise nothing is saved. The same-text list names each sibling's
categories and sensitivity; bulk children are counted apart in the automation-bias report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.review import wellbeing
from models import utcnow
from models.review import Decision
from tests.conftest import CSRF_RE
from tests.support.review import claim, decide, make_item

LOW = {"harassment": 0.05, "hate": 0.02, "threat": 0.01, "sexual": 0.0, "grooming": 0.0,
       "self_harm": 0.0, "profanity": 0.03}
SPAM = "Add me on the other app, I have free game codes for you, only today"


def group(app: Flask) -> tuple[int, int, int]:
    main = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-1", "student", "spam")])
    sensitive = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-2", "student", "grooming")])
    plain = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-3", "student", "spam")])
    return main, sensitive, plain


def test_bulk_refuses_an_unrevealed_sensitive_sibling_until_confirmed_by_number(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    main, sensitive, plain = group(app)
    mod = signed_in("moderator")
    claim(client, main)
    html = client.get(f"/queue/{main}").get_data(as_text=True)
    assert f"#{sensitive} post</a>, author adult, 1 flag; grooming; <strong>sensitive</strong>" in html
    assert f'name="bulk_unseen" value="{sensitive}"' in html
    assert f'name="bulk_unseen" value="{plain}"' not in html
    refused = decide(client, main, reason="spam_scam", bulk="y", then="queue")
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert f"(#{sensitive})" in body and "Nothing was saved" in body
    assert db.scalars(select(Decision)).first() is None
    db.commit()
    ok = decide(client, main, reason="spam_scam", bulk="y", then="queue", bulk_unseen=str(sensitive))
    assert ok.status_code == 302
    decided = {d.item_id: d for d in db.scalars(select(Decision))}
    assert set(decided) == {main, sensitive, plain}
    assert decided[sensitive].content_revealed is False and decided[sensitive].bulk_of_id == decided[main].id
    assert decided[plain].content_revealed is None
    db.commit()
    with app.app_context():
        s = new_session(app)
        row = {r.moderator_id: r for r in wellbeing.automation_bias_summary(s, utcnow() - timedelta(days=1))}
        assert row[mod.id].decisions == 1 and row[mod.id].bulk == 2  # bulk children counted apart
        assert row[mod.id].unrevealed == 1
        s.close()


def test_a_revealed_sensitive_sibling_is_decided_in_bulk_as_seen(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    main, sensitive, _plain = group(app)
    signed_in("moderator")
    page = client.get(f"/queue/{sensitive}").get_data(as_text=True)
    m = CSRF_RE.search(page)
    assert m
    client.post(f"/queue/{sensitive}/reveal", data={"csrf_token": m.group(1)})
    claim(client, main)
    html = client.get(f"/queue/{main}").get_data(as_text=True)
    assert "(you have looked at it)" in html and 'name="bulk_unseen"' not in html
    assert decide(client, main, reason="spam_scam", bulk="y", then="queue").status_code == 302
    d = db.scalars(select(Decision).where(Decision.item_id == sensitive)).one()
    assert d.content_revealed is True
    db.commit()
