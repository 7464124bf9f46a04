"""A flag's images, fetched from a REAL local media host: stored sealed without metadata, hashed,
matched against a hash list (hidden, referral, hide request to a REAL local receiver), and every
bad case (a bomb, another host, a redirect off the host, a timeout) failing cleanly without
losing the flag."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from c2c_safety.core.crypto import open_bytes
from c2c_safety.webhooks import deliveries as webhooks
from models import Flag, ReviewItem, SafeguardingReferral, utcnow
from models.media import MediaObject, MediaStatus
from models.review import WebhookDelivery
from tests.support.media import LISTED, PLAIN, MediaHost, flag_with_images, list_hash, media_of, picture
from tests.webhooks.test_webhooks import SECRET, Receiver
from workers import media as media_jobs
from workers.media_hash import hash_image


def test_images_are_stored_sealed_without_metadata_and_a_listed_one_is_hidden(
        app: Flask, db: Session, host: MediaHost, tmp_path: Path) -> None:
    list_hash(app, LISTED)
    with Receiver([]) as receiver:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = receiver.url, SECRET
        item_id = flag_with_images(app, [f"{host.url}/img/plain.jpg", f"{host.url}/img/listed.jpg",
                              "https://elsewhere.example/img/3.png"])
        rows = media_of(db, item_id)
        assert len(rows) == 2  # the address on another host is never fetched
        db.rollback()
        assert media_jobs.fetch_due() == 2
        plain, listed = media_of(db, item_id)
        assert plain.status == listed.status == MediaStatus.STORED
        with app.app_context():
            stored = open_bytes(plain.blob_sealed or b"")
        assert stored != PLAIN and PLAIN not in (plain.blob_sealed or b"")
        with Image.open(io.BytesIO(stored)) as img:
            assert not img.getexif()  # camera make and GPS position gone
        assert plain.preview_sealed and not plain.restricted and plain.match_list_id is None
        assert listed.restricted and listed.match_reference == "hotline-42" and (listed.match_distance or 0) <= 31
        ref = db.scalar(select(SafeguardingReferral).where(SafeguardingReferral.item_id == item_id))
        assert ref is not None and "known_abuse_image" in ref.reasons
        delivery = db.scalar(select(WebhookDelivery).where(WebhookDelivery.event == "content.hide_requested"))
        assert delivery is not None
        delivery_id = delivery.id
        db.rollback()  # SQLite: an open read would block the delivery's write
        with app.app_context():
            assert webhooks.run_delivery(delivery_id, app).status == "delivered"
        sent = [r for r in receiver.received if r["event"] == "content.hide_requested"]
        assert len(sent) == 1
        data: Any = sent[0]["json"]
        assert data["data"]["content"]["id"] == "post-m1" and data["data"]["pending_human_review"] is True
        # Nothing of the image or its hash leaves the desk.
        assert hash_image(LISTED).pdq.hex() not in str(data) and "hotline-42" not in str(data)
    # Running the job again changes nothing.
    assert media_jobs.fetch_due() == 0


def test_bad_images_fail_cleanly_and_the_flag_stays(app: Flask, db: Session, host: MediaHost) -> None:
    item_id = flag_with_images(app, [f"{host.url}/img/bomb.png", f"{host.url}/img/text.png", f"{host.url}/away",
                          f"{host.url}/img/missing.png"])
    db.rollback()
    media_jobs.fetch_due()
    rows = media_of(db, item_id)
    assert [(m.status, m.error) for m in rows] == [
        (MediaStatus.REFUSED, "bomb"), (MediaStatus.REFUSED, "not_image"),
        (MediaStatus.REFUSED, "host_not_allowed"), (MediaStatus.REFUSED, "http_4xx")]
    assert all(m.blob_sealed is None for m in rows)
    assert db.get(ReviewItem, item_id) is not None
    assert db.scalar(select(Flag.id).where(Flag.item_id == item_id)) is not None


def test_a_timeout_is_retried_later_and_then_stored(app: Flask, db: Session, host: MediaHost) -> None:
    host.delay = 3.0  # past the 1 s fetch timeout
    item_id = flag_with_images(app, [f"{host.url}/slow/img/plain.jpg"])
    db.rollback()
    media_jobs.fetch_due()
    (row,) = media_of(db, item_id)
    assert (row.status, row.error, row.attempts) == (MediaStatus.PENDING, "timeout", 1)
    assert row.next_attempt_at > utcnow()
    db.rollback()
    assert media_jobs.fetch_due() == 0  # not due yet
    host.delay = 0.0
    db.execute(update(MediaObject).values(next_attempt_at=utcnow()))
    db.commit()
    media_jobs.fetch_due()
    (row,) = media_of(db, item_id)
    assert (row.status, row.attempts) == (MediaStatus.STORED, 2)


def test_the_same_picture_on_two_items_is_linked(app: Flask, db: Session, host: MediaHost) -> None:
    host.files["/img/copy.png"] = picture(seed=2, fmt="PNG")  # same picture, another encoding
    first = flag_with_images(app, [f"{host.url}/img/plain.jpg"], "post-a")
    second = flag_with_images(app, [f"{host.url}/img/copy.png"], "post-b")
    db.rollback()
    media_jobs.fetch_due()
    (a,) = media_of(db, first)
    (b,) = media_of(db, second)
    assert b.same_as_id == a.id
