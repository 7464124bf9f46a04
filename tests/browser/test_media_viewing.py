"""Images on the item page in real Chromium, with JavaScript off (it must not be needed): the
browser requests only the blurred previews until one image is revealed on purpose, and the
matched image is never requested by a moderator's browser at all. axe on the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.browser.conftest import browser_login
from tests.support.media import LISTED, MediaHost, flag_with_images, list_hash, media_host, media_of
from workers import media as media_jobs


@pytest.fixture
def host(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaHost]:
    yield from media_host(app, monkeypatch)


def test_images_are_requested_only_once_revealed(app: Flask, db: Session, host: MediaHost, live_server: str,
                                                page_nojs: Any, make_user, axe_check) -> None:  # type: ignore[no-untyped-def]
    list_hash(app, LISTED)
    item_id = flag_with_images(app, [f"{host.url}/img/plain.jpg", f"{host.url}/img/listed.jpg"])
    db.rollback()
    media_jobs.fetch_due()
    plain, listed = (m.id for m in media_of(db, item_id))
    db.rollback()
    requested: list[str] = []
    page = page_nojs
    page.on("request", lambda r: requested.append(r.url))
    browser_login(page, live_server, make_user("moderator"))
    page.goto(f"{live_server}/queue/{item_id}")
    assert page.get_by_text("Hidden from everyone").is_visible()
    assert any(u.endswith(f"/media/{plain}/preview.jpg") for u in requested)
    assert not any(f"/media/{plain}/image" in u or f"/media/{listed}/" in u for u in requested)
    assert axe_check(page) == []
    page.get_by_role("button", name="Show image 1 (recorded)").click()
    page.wait_for_load_state()
    assert any(u.endswith(f"/media/{plain}/image") for u in requested)
    assert page.locator(f"#media-{plain} img.media-full").evaluate("img => img.naturalWidth") > 0
    assert not any(f"/media/{listed}/" in u for u in requested)
