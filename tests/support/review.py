"""Helpers for the review desk tests: real items, flags and scores through the real services."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from c2c_safety.core.db import new_session
from c2c_safety.review import triage
from models import Flag, ItemScore, ReviewItem, ScoreStatus, utcnow

_ids = itertools.count(1)
VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


def make_item(app: Flask, *, text: str = "You are so annoying, nobody wants you in our group.",
              author: str | None = None, age_band: str = "13to15", author_role: str = "student",
              flags: list[tuple[str, str, str]] | None = None, scores: dict[str, float] | None = None,
              score_status: str | None = None, chat_kind: str | None = None,
              audience: str | None = None, language: str | None = "en", reliable: bool | None = True,
              waited: timedelta = timedelta(minutes=5), content_type: str = "post",
              media: list[str] | None = None, model_version: str = "test-1") -> int:
    """Create an item the way intake + scoring would, then triage it. Returns the item id.

    flags: (flagger pseudonym, flagger role, reason)."""
    n = next(_ids)
    first = utcnow() - waited
    with app.app_context():
        s = new_session(app)
        item = ReviewItem(content_type=content_type, platform_content_id=f"c-{n}", text=text,
                          media_urls=media or [], author_pseudonym=author or f"u-author-{n}",
                          author_age_band=age_band, author_role=author_role, chat_kind=chat_kind,
                          audience_min_age_band=audience, language_hint=language,
                          first_flagged_at=first, last_flagged_at=first)
        s.add(item)
        s.flush()
        for i, (who, role, reason) in enumerate(flags or [(f"u-flagger-{n}", "student", "bullying")]):
            s.add(Flag(item_id=item.id, flagger_pseudonym=who, flagger_role=role,
                       reason_category=reason, flagged_at=first + timedelta(seconds=i)))
        item.flag_count = len(flags or [1])
        if scores is not None:
            top = max(scores, key=lambda c: scores[c])
            s.add(ItemScore(subject_type="item", subject_id=item.id, model_name="test-model",
                            model_version=model_version, scores=scores, language=language or "und",
                            language_reliable=bool(reliable)))
            item.score_status, item.top_category, item.top_score = ScoreStatus.SCORED, top, scores[top]
            item.language, item.language_reliable = language, reliable
        if score_status is not None:
            item.score_status = score_status
        s.flush()
        s.expire(item, ["flags"])
        triage.refresh(s, item)
        s.commit()
        item_id = item.id
        s.close()
    return item_id


def get(app: Flask, item_id: int) -> ReviewItem:
    with app.app_context():
        s = new_session(app)
        item = s.get(ReviewItem, item_id)
        assert item is not None
        _ = item.flags
        s.expunge_all()
        s.close()
        return item


def version_on_page(html: str) -> int:
    m = VERSION_RE.search(html)
    assert m, "no version field on the page"
    return int(m.group(1) or m.group(2))


def csrf(client: FlaskClient, url: str) -> str:
    from tests.conftest import CSRF_RE

    m = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert m
    return m.group(1)


def claim(client: FlaskClient, item_id: int) -> Any:
    return client.post(f"/queue/{item_id}/claim", data={"csrf_token": csrf(client, "/queue")})


def decide(client: FlaskClient, item_id: int, *, action: str = "remove",
           reason: str = "bullying_harassment", facts: str = "The post insults a classmate by name.",
           duration: str = "permanent", version: int | None = None, **extra: str) -> Any:
    page = client.get(f"/queue/{item_id}").get_data(as_text=True)
    data = {"action": action, "reason_code": reason, "facts": facts, "duration": duration,
            "version": str(version if version is not None else version_on_page(page)), **extra}
    from tests.conftest import CSRF_RE

    m = CSRF_RE.search(page)
    assert m
    data["csrf_token"] = m.group(1)
    return client.post(f"/queue/{item_id}/decide", data=data)


def at(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")
