"""The local image score (issue 25.4): the real NudeNet model runs in its own process and
stays quiet on an ordinary picture; a tiny model whose answer we know (red means "exposed")
proves what a high score does to an item sent to a child, and what it never does."""

from __future__ import annotations

import io
from pathlib import Path

import onnx
import pytest
from flask import Flask
from onnx import TensorProto, helper
from PIL import Image
from sqlalchemy.orm import Session

from c2c_safety.review import priority
from models import ReviewItem
from models.media import MediaStatus
from tests.conftest import login
from tests.support.intake import flag_body, make_key, post_flag
from tests.support.media import media_of, picture
from workers import image_model
from workers import media as media_jobs

LABELS = 18  # NudeNet 320n's label count; label 3 is FEMALE_BREAST_EXPOSED


def tiny_model(path: Path) -> Path:
    """NudeNet's layout (input 1×3×320×320, output 1×(4+18)×boxes); label 3's score is the
    image's mean red (after NudeNet's own colour conversions red arrives as channel 2; a
    non-square picture is padded with black, so the tests use square ones)."""
    base = [[0.0, 0.0] for _ in range(4 + LABELS)]
    base[0], base[1], base[2], base[3] = [160.0, 160.0], [160.0, 160.0], [100.0, 100.0], [100.0, 100.0]
    mask = [[0.0, 0.0] for _ in range(4 + LABELS)]
    mask[4 + 3] = [1.0, 1.0]
    flat = [v for row in base for v in row]
    flat_mask = [v for row in mask for v in row]
    nodes = [
        helper.make_node("Slice", ["images", "s0", "s1", "ax"], ["red"]),
        helper.make_node("ReduceMean", ["red"], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("Reshape", ["mean", "shape111"], ["m"]),
        helper.make_node("Mul", ["mask", "m"], ["scaled"]),
        helper.make_node("Add", ["base", "scaled"], ["output0"]),
    ]
    inits = [
        helper.make_tensor("s0", TensorProto.INT64, [1], [2]),
        helper.make_tensor("s1", TensorProto.INT64, [1], [3]),
        helper.make_tensor("ax", TensorProto.INT64, [1], [1]),
        helper.make_tensor("shape111", TensorProto.INT64, [3], [1, 1, 1]),
        helper.make_tensor("base", TensorProto.FLOAT, [1, 4 + LABELS, 2], flat),
        helper.make_tensor("mask", TensorProto.FLOAT, [1, 4 + LABELS, 2], flat_mask),
    ]
    graph = helper.make_graph(
        nodes, "tiny-nudity",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + LABELS, 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def flat(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tiny_model(tmp_path / "tiny.onnx")
    monkeypatch.setenv("C2C_IMAGE_MODEL", str(path))
    yield path
    image_model.close()


def test_the_real_model_runs_apart_and_stays_quiet_on_an_ordinary_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2C_IMAGE_MODEL", "nudenet")
    try:
        got = image_model.score(picture(seed=3))
        assert got is not None and got.model == image_model.MODEL_ID
        assert 0.0 <= got.score < image_model.THRESHOLD
        assert image_model._child is not None and image_model._child.proc.pid  # a process of its own
    finally:
        image_model.close()
    monkeypatch.setenv("C2C_IMAGE_MODEL", "off")
    assert image_model.score(picture(seed=3)) is None


def test_the_tiny_model_answers_what_we_built(tiny: Path) -> None:
    red, blue = image_model.score(flat("red")), image_model.score(flat("blue"))
    assert red is not None and red.score > 0.95 and red.labels["FEMALE_BREAST_EXPOSED"] > 0.95
    assert blue is not None and blue.score == 0.0


def test_a_crashing_model_costs_the_score_never_the_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setenv("C2C_IMAGE_MODEL", str(broken))
    assert image_model.score(flat("red")) is None


def _flag_with_image(client, key: str, data: bytes, *, content_id: str, audience: str,  # type: ignore[no-untyped-def]
                     author: str) -> int:
    body = flag_body(**{"content.id": content_id, "content.media_urls": [], "content.text": "look at this",
                        "flag.reason": "other", "context.audience_min_age_band": audience,
                        "author.age_band": author})
    item_id = int(post_flag(client, key, body).get_json()["item_id"])
    resp = client.post(f"/api/v1/items/{item_id}/media", data=data, content_type="image/png",
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 202
    return item_id


def test_a_high_image_score_sent_to_a_child_puts_sexual_in_play(app: Flask, db: Session, tiny: Path,
                                                                 make_user, host) -> None:  # type: ignore[no-untyped-def]
    moderator = make_user("moderator")
    api, key = app.test_client(), make_key(app)
    to_child = _flag_with_image(api, key, flat("red"), content_id="img-child", audience="under13", author="13to15")
    adults = _flag_with_image(api, key, flat("red"), content_id="img-adults", audience="adult", author="adult")
    calm = _flag_with_image(api, key, flat("blue"), content_id="img-calm", audience="under13", author="13to15")
    db.rollback()
    media_jobs.fetch_due()
    db.expire_all()
    for item_id in (to_child, adults, calm):
        (m,) = media_of(db, item_id)
        assert m.status == MediaStatus.STORED and m.image_model and m.image_model.startswith("onnx:")
    child_item, adult_item, calm_item = (db.get(ReviewItem, i) for i in (to_child, adults, calm))
    assert child_item and adult_item and calm_item
    assert child_item.image_score and child_item.image_score > 0.95
    assert "sexual" in priority.categories_in_play(child_item, None)
    assert child_item.queue_level == 5  # high severity, a minor involved
    # the same picture among adults, and a harmless one to a child: nothing changes
    assert "sexual" not in priority.categories_in_play(adult_item, None)
    assert "sexual" not in priority.categories_in_play(calm_item, None) and calm_item.queue_level < 5
    # assistive only: no decision, no referral made by the score alone
    assert child_item.status not in ("decided", "removed") and child_item.decided_at is None
    # the evidence on the item page, with the image still blurred until revealed
    db.rollback()
    client = app.test_client()
    login(client, moderator)
    page = client.get(f"/queue/{to_child}").get_data(as_text=True)
    assert "Local image model" in page and "for nudity" in page and "High:" in page and "media-preview" in page
