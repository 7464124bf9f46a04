"""Seeing images with care: a blurred preview until one image is revealed on purpose (recorded,
counted as exposure), the image never sent before; a matched image hidden from everyone but
the safeguarding lead, who must confirm and say why; and all of it gone with the item."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.retention import anonymise
from models import AuditEvent, utcnow
from models.media import MediaObject, MediaView
from models.review import ReviewerExposure
from tests.conftest import csrf_token, login
from tests.support.media import LISTED, MediaHost, flag_with_images, list_hash, media_of
from workers import media as media_jobs


def _stored_item(app: Flask, db: Session, host: MediaHost) -> tuple[int, list[int]]:
    list_hash(app, LISTED)
    item_id = flag_with_images(app, [f"{host.url}/img/plain.jpg", f"{host.url}/img/listed.jpg"])
    db.rollback()
    media_jobs.fetch_due()
    ids = [m.id for m in media_of(db, item_id)]
    db.rollback()
    return item_id, ids


def _reveal(client: FlaskClient, item_id: int, media_id: int, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/queue/{item_id}")
    return client.post(f"/media/{media_id}/reveal", data={"csrf_token": token, **extra})


def test_a_preview_until_revealed_then_one_image_on_purpose(app: Flask, db: Session, host: MediaHost,
                                                              client: FlaskClient, signed_in) -> None:
    item_id, (plain, listed) = _stored_item(app, db, host)
    mod = signed_in("moderator")
    page = client.get(f"/queue/{item_id}").get_data(as_text=True)
    assert f"/media/{plain}/preview.jpg" in page
    assert f"/media/{plain}/image" not in page and f"/media/{listed}/image" not in page  # never loaded
    assert f"/media/{listed}/preview.jpg" not in page and "Hidden from everyone" in page
    assert client.get(f"/media/{plain}/image").status_code == 404  # not revealed: not sent
    prev = client.get(f"/media/{plain}/preview.jpg")
    assert prev.status_code == 200 and prev.mimetype == "image/jpeg" and "no-store" in prev.headers["Cache-Control"]
    assert client.get(f"/media/{listed}/preview.jpg").status_code == 404

    assert client.post(f"/media/{plain}/reveal").status_code == 400  # CSRF
    resp = _reveal(client, item_id, plain)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#media-{plain}")
    page = client.get(f"/queue/{item_id}").get_data(as_text=True)
    assert f"/media/{plain}/image" in page
    img = client.get(f"/media/{plain}/image")
    assert img.status_code == 200 and img.mimetype in {"image/jpeg", "image/png"}
    # A moderator may not see the matched image, even by posting the reveal directly.
    assert _reveal(client, item_id, listed, confirm="y", reason="I want to look at it").status_code == 404
    assert client.get(f"/media/{listed}/image").status_code == 404
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(MediaView).where(MediaView.user_id == mod.id)) == 1
    assert db.scalar(select(ReviewerExposure.id).where(ReviewerExposure.user_id == mod.id,
                                                       ReviewerExposure.item_id == item_id)) is not None
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view.media_revealed", AuditEvent.target_id == str(plain))) == 1


def test_the_lead_views_a_matched_image_only_after_confirming_why(app: Flask, db: Session, host: MediaHost,
                                                                  client: FlaskClient, signed_in) -> None:
    item_id, (_, listed) = _stored_item(app, db, host)
    signed_in("safeguarding_lead")
    page = client.get(f"/queue/{item_id}").get_data(as_text=True)
    assert f'action="/media/{listed}/reveal"' in page and f"/media/{listed}/image" not in page
    _reveal(client, item_id, listed)  # no confirmation, no reason
    _reveal(client, item_id, listed, confirm="y", reason="short")
    assert client.get(f"/media/{listed}/image").status_code == 404
    resp = _reveal(client, item_id, listed, confirm="y", reason="Preparing the hotline report reference")
    assert resp.status_code == 302
    assert client.get(f"/media/{listed}/image").status_code == 200
    db.expire_all()
    view = db.scalar(select(MediaView).where(MediaView.media_id == listed))
    assert view is not None and view.restricted
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view.media_restricted_revealed")) == 1


def test_a_reveal_lapses_and_other_roles_get_nothing(app: Flask, db: Session, host: MediaHost,
                                                     client: FlaskClient, make_user) -> None:
    item_id, (plain, _) = _stored_item(app, db, host)
    mod = make_user("moderator")
    login(client, mod)
    _reveal(client, item_id, plain)
    with app.app_context():
        s = new_session(app)
        for view in s.scalars(select(MediaView)):
            view.at -= timedelta(minutes=16)
        s.commit()
        s.close()
    assert client.get(f"/media/{plain}/image").status_code == 404  # a new look is a new reveal
    other = app.test_client()
    login(other, make_user("case_handler"))
    assert other.get(f"/media/{plain}/preview.jpg").status_code == 403
    assert other.get(f"/media/{plain}/image").status_code == 403


def test_anonymising_the_item_deletes_its_images(app: Flask, db: Session, host: MediaHost) -> None:
    item_id, ids = _stored_item(app, db, host)
    with app.app_context():
        s = new_session(app)
        anonymise.review_items(s, [item_id], utcnow(), policy={"category": "moderation"})
        s.commit()
        s.close()
    for m in media_of(db, item_id):
        assert m.blob_sealed is None and m.preview_sealed is None and m.url_sealed is None
        assert m.pdq is None and m.sha256 is None and m.anonymised_at is not None
    assert re.fullmatch(r"anonymised-\d+", media_of(db, item_id)[0].url_key)
    assert sorted(m.id for m in db.scalars(select(MediaObject))) == sorted(ids)
