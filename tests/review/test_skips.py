"""Issue 22.2: a per-session skip list with a reason (language, conflict of interest, a break
from a category) that the queue list and "next" respect; a conflict-of-interest skip is
audited; "Release and open the next item" never bounces between the two top items."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent
from tests.support.review import claim, csrf, make_item

LOW = {"harassment": 0.05, "hate": 0.02, "threat": 0.01, "sexual": 0.0, "grooming": 0.0,
       "self_harm": 0.0, "profanity": 0.03}


def listed(client: FlaskClient) -> list[int]:
    return [int(x) for x in re.findall(r'<a href="/queue/(\d+)">#', client.get("/queue").get_data(as_text=True))]


def items(app: Flask, n: int, **kw: Any) -> list[int]:
    # Older first: equal severity, so the longer wait ranks higher (the list order is known).
    return [make_item(app, age_band="adult", scores=LOW, waited=timedelta(minutes=60 - i), **kw) for i in range(n)]


def test_three_releases_give_three_different_items(app: Flask, client: FlaskClient, signed_in: Any) -> None:
    ids = items(app, 4)
    signed_in("moderator")
    claim(client, ids[0])
    seen = [ids[0]]
    for _ in range(3):
        resp = client.post("/queue/next", data={"csrf_token": csrf(client, "/queue"), "release": str(seen[-1])})
        seen.append(int(re.search(r"/queue/(\d+)#work", resp.headers["Location"]).group(1)))  # type: ignore[union-attr]
    assert len(set(seen)) == 4, seen  # before: ids[0], ids[1], ids[0], ids[1]
    assert not set(seen[:3]) & set(listed(client))  # the passed items are off my list
    # ... until I show them again
    client.post("/queue/skips/clear?what=items", data={"csrf_token": csrf(client, "/queue")})
    assert set(seen[:3]) <= set(listed(client))


def test_skipping_a_language_leaves_all_its_items_out_of_the_list_and_next(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    german = items(app, 2, language="de")
    danish = items(app, 1, language="da")
    signed_in("moderator")
    claim(client, german[0])
    resp = client.post(f"/queue/{german[0]}/skip", data={"csrf_token": csrf(client, f"/queue/{german[0]}"),
                                                         "reason": "language"})
    assert resp.headers["Location"].endswith(f"/queue/{danish[0]}#work")  # the other German item is skipped too
    page = client.get("/queue").get_data(as_text=True)
    assert "items in language de" in page
    assert not set(german) & set(listed(client))


def test_a_break_from_a_category_and_a_conflict_of_interest(app: Flask, client: FlaskClient, signed_in: Any,
                                                            db: Session) -> None:
    sad = [make_item(app, age_band="adult", flags=[("u-1", "student", "self_harm")]) for _ in range(2)]
    other = items(app, 2)
    mod = signed_in("moderator")
    resp = client.post(f"/queue/{sad[0]}/skip", data={"csrf_token": csrf(client, f"/queue/{sad[0]}"),
                                                      "reason": "break"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/queue/{sad[0]}#skip")  # needs a category
    resp = client.post(f"/queue/{sad[0]}/skip", data={"csrf_token": csrf(client, f"/queue/{sad[0]}"),
                                                      "reason": "break", "category": "self_harm"})
    assert int(re.search(r"/queue/(\d+)#work", resp.headers["Location"]).group(1)) in other  # type: ignore[union-attr]
    assert not set(sad) & set(listed(client))
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "queue.skipped_conflict")).first() is None
    db.commit()
    resp = client.post(f"/queue/{other[0]}/skip", data={"csrf_token": csrf(client, f"/queue/{other[0]}"),
                                                        "reason": "conflict"})
    assert resp.status_code == 302
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "queue.skipped_conflict")).one()
    assert ev.actor_id == mod.id and ev.target_id == str(other[0])
    db.commit()
    assert other[0] not in listed(client)
