"""A flag's images, fetched from a REAL local media host: stored sealed without metadata, hashed,
matched against a hash list (hidden, referral, hide request to a REAL local receiver), and every
bad case (a bomb, another host, a redirect off the host, a timeout) failing cleanly without
losing the flag."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import workers.context
from c2c_safety.core.crypto import open_bytes
from c2c_safety.media import hashlists
from c2c_safety.webhooks import deliveries as webhooks
from models import Flag, ReviewItem, SafeguardingReferral, utcnow
from models.media import MediaObject, MediaStatus
from models.review import WebhookDelivery
from tests.support.intake import flag_body, make_key, post_flag
from tests.webhooks.test_webhooks import SECRET, Receiver
from workers import media as media_jobs
from workers.media_hash import hash_image


def picture(seed: int = 0, fmt: str = "JPEG", exif: bool = False) -> bytes:
    """A picture of random blocks: pictures of different seeds are far apart in PDQ terms."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rnd.randrange(600), rnd.randrange(440)
        draw.rectangle((x, y, x + rnd.randrange(40, 200), y + rnd.randrange(40, 200)),
                       fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    if exif:
        meta = Image.Exif()
        meta[0x010F] = "PhoneMaker"  # camera make
        meta[0x8825] = {2: (55.0, 40.0, 0.0)}  # GPS latitude
        img.save(out, fmt, exif=meta)
    else:
        img.save(out, fmt)
    return out.getvalue()


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)  # ~12 kB, 100 megapixels
    return out.getvalue()


class MediaHost:
    """Serves fixed bytes per path; `/slow/…` answers after `delay` seconds; `/away` redirects off the host."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.delay = 0.0
        self.hits: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits.append(self.path)
                if self.path.startswith("/slow/"):
                    time.sleep(host.delay)
                if self.path == "/away":
                    self.send_response(302)
                    self.send_header("Location", "http://localhost.invalid/x.png")
                    self.end_headers()
                    return
                body = host.files.get(self.path.replace("/slow/", "/"))
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


LISTED = picture(seed=1)
PLAIN = picture(seed=2, exif=True)


@pytest.fixture
def host(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaHost]:
    server = MediaHost({"/img/listed.jpg": LISTED, "/img/plain.jpg": PLAIN, "/img/bomb.png": bomb(),
                        "/img/text.png": b"just some text, not an image"})
    cfg = app.config["C2C"]
    cfg.media_host, cfg.media_fetch_timeout = server.url, 1.0
    monkeypatch.setattr(workers.context, "_app", app)
    yield server
    server.close()


_KEYS: dict[int, str] = {}


def _flag(app: Flask, urls: list[str], content_id: str = "post-m1") -> int:
    client = app.test_client()
    key = _KEYS.get(id(app)) or _KEYS.setdefault(id(app), make_key(app))
    resp = post_flag(client, key, flag_body(**{"content.media_urls": urls, "content.id": content_id}))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return int(resp.get_json()["item_id"])


def _media(db: Session, item_id: int) -> list[MediaObject]:
    db.expire_all()
    return list(db.scalars(select(MediaObject).where(MediaObject.item_id == item_id).order_by(MediaObject.position)))


def _list(app: Flask, data: bytes, action: str = "child_abuse") -> None:
    with app.app_context():
        from c2c_safety.core.db import new_session

        s = new_session(app)
        hashlists.import_text(s, f"{hash_image(data).pdq.hex()},hotline-42\n", name="hotline", source="Hotline",
                              action=action, actor_label="test")
        s.commit()
        s.close()


def test_images_are_stored_sealed_without_metadata_and_a_listed_one_is_hidden(
        app: Flask, db: Session, host: MediaHost, tmp_path: Path) -> None:
    _list(app, LISTED)
    with Receiver([]) as receiver:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = receiver.url, SECRET
        item_id = _flag(app, [f"{host.url}/img/plain.jpg", f"{host.url}/img/listed.jpg",
                              "https://elsewhere.example/img/3.png"])
        rows = _media(db, item_id)
        assert len(rows) == 2  # the address on another host is never fetched
        db.rollback()
        assert media_jobs.fetch_due() == 2
        plain, listed = _media(db, item_id)
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
    item_id = _flag(app, [f"{host.url}/img/bomb.png", f"{host.url}/img/text.png", f"{host.url}/away",
                          f"{host.url}/img/missing.png"])
    db.rollback()
    media_jobs.fetch_due()
    rows = _media(db, item_id)
    assert [(m.status, m.error) for m in rows] == [
        (MediaStatus.REFUSED, "bomb"), (MediaStatus.REFUSED, "not_image"),
        (MediaStatus.REFUSED, "host_not_allowed"), (MediaStatus.REFUSED, "http_4xx")]
    assert all(m.blob_sealed is None for m in rows)
    assert db.get(ReviewItem, item_id) is not None
    assert db.scalar(select(Flag.id).where(Flag.item_id == item_id)) is not None


def test_a_timeout_is_retried_later_and_then_stored(app: Flask, db: Session, host: MediaHost) -> None:
    host.delay = 3.0  # past the 1 s fetch timeout
    item_id = _flag(app, [f"{host.url}/slow/img/plain.jpg"])
    db.rollback()
    media_jobs.fetch_due()
    (row,) = _media(db, item_id)
    assert (row.status, row.error, row.attempts) == (MediaStatus.PENDING, "timeout", 1)
    assert row.next_attempt_at > utcnow()
    db.rollback()
    assert media_jobs.fetch_due() == 0  # not due yet
    host.delay = 0.0
    db.execute(update(MediaObject).values(next_attempt_at=utcnow()))
    db.commit()
    media_jobs.fetch_due()
    (row,) = _media(db, item_id)
    assert (row.status, row.attempts) == (MediaStatus.STORED, 2)


def test_the_same_picture_on_two_items_is_linked(app: Flask, db: Session, host: MediaHost) -> None:
    host.files["/img/copy.png"] = picture(seed=2, fmt="PNG")  # same picture, another encoding
    first = _flag(app, [f"{host.url}/img/plain.jpg"], "post-a")
    second = _flag(app, [f"{host.url}/img/copy.png"], "post-b")
    db.rollback()
    media_jobs.fetch_due()
    (a,) = _media(db, first)
    (b,) = _media(db, second)
    assert b.same_as_id == a.id
