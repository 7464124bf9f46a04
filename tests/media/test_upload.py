"""Images sent with a flag (`POST /api/v1/items/<id>/media`): clear 4xx for bad input, kept sealed
until the worker checks them in the sandbox like fetched ones; a bomb never costs the flag."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from models.media import MediaStatus
from tests.support.intake import flag_body, make_key, post_flag
from tests.support.media import PLAIN, bomb, media_of, picture
from workers import media as media_jobs


def _upload(client, key: str, item_id: int, data: bytes, media_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/items/{item_id}/media", data=data, content_type=media_type,
                       headers={"Authorization": f"Bearer {key}"})


def test_upload_checks_and_stores(app: Flask, db: Session, host) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    key = make_key(app)
    resp = post_flag(client, key, flag_body(**{"content.media_urls": []}))
    item_id = resp.get_json()["item_id"]
    first = _upload(client, key, item_id, PLAIN)
    assert first.status_code == 202 and first.get_json()["duplicate"] is False
    assert _upload(client, key, item_id, PLAIN).get_json()["duplicate"] is True
    assert _upload(client, key, item_id, b"GIF89a but not really", "image/png").status_code == 400
    assert _upload(client, key, item_id, PLAIN, "application/pdf").status_code == 415
    assert _upload(client, key, item_id, b"", "image/png").status_code == 400
    assert _upload(client, key, 999_999, PLAIN).status_code == 404
    other = make_key(app, "another-platform")
    assert _upload(client, other, item_id, PLAIN).status_code == 404  # not this client's item
    assert _upload(client, "nope", item_id, PLAIN).status_code == 401
    app.config["C2C"].max_upload_bytes = 1000
    assert _upload(client, key, item_id, picture(seed=5, fmt="PNG"), "image/png").status_code == 413
    app.config["C2C"].max_upload_bytes = 10 * 1024 * 1024
    assert _upload(client, key, item_id, bomb(), "image/png").status_code == 202
    db.rollback()
    media_jobs.fetch_due()
    rows = media_of(db, item_id)
    assert [(m.origin, m.status, m.error) for m in rows] == [
        ("uploaded", MediaStatus.STORED, None), ("uploaded", MediaStatus.REFUSED, "bomb")]
    assert rows[1].blob_sealed is None  # a refused upload is not kept
    assert rows[0].pdq is not None and rows[0].preview_sealed is not None
