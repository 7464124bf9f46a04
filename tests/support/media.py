"""Images for the media tests: pictures far apart in PDQ terms, a bomb, a REAL local media host."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

import workers.context
from c2c_safety.core.db import new_session
from c2c_safety.media import hashlists
from models.media import MediaObject
from tests.support.intake import flag_body, make_key, post_flag
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


def media_host(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaHost]:
    server = MediaHost({"/img/listed.jpg": LISTED, "/img/plain.jpg": PLAIN, "/img/bomb.png": bomb(),
                        "/img/text.png": b"just some text, not an image"})
    cfg = app.config["C2C"]
    cfg.media_host, cfg.media_fetch_timeout = server.url, 1.0
    monkeypatch.setattr(workers.context, "_app", app)
    yield server
    server.close()


_KEYS: dict[int, str] = {}


def flag_with_images(app: Flask, urls: list[str], content_id: str = "post-m1") -> int:
    client = app.test_client()
    key = _KEYS.get(id(app)) or _KEYS.setdefault(id(app), make_key(app))
    resp = post_flag(client, key, flag_body(**{"content.media_urls": urls, "content.id": content_id}))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return int(resp.get_json()["item_id"])


def media_of(db: Session, item_id: int) -> list[MediaObject]:
    db.expire_all()
    return list(db.scalars(select(MediaObject).where(MediaObject.item_id == item_id).order_by(MediaObject.position)))


def list_hash(app: Flask, data: bytes, action: str = "child_abuse") -> None:
    with app.app_context():
        s = new_session(app)
        hashlists.import_text(s, f"{hash_image(data).pdq.hex()},hotline-42\n", name="hotline", source="Hotline",
                              action=action, actor_label="test")
        s.commit()
        s.close()
