"""The same picture flagged on several pieces of content is one item with several flags: identical
bytes (SHA-256) or a near copy (PDQ within the threshold) of an image on an open item makes the
new flag's item join it. Nothing is lost: every flag is still a row, counted where it sits, and a
later flag on the merged content joins the surviving item. A listed image preserves its evidence
and prepares the hotline record on the one referral."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.retention import anonymise
from models import AuditEvent, Flag, ItemStatus, ReviewItem, utcnow
from models.media import HotlineRecord
from models.review import SafeguardingReferral
from models.safeguarding_records import SafeguardingHold
from tests.support.intake import flag_body, make_key, post_flag
from tests.support.media import LISTED, MediaHost, list_hash, media_of, picture
from workers import media as media_jobs


def _flag(client: FlaskClient, key: str, content_id: str, flagger: str, urls: list[str]) -> int:
    resp = post_flag(client, key, flag_body(**{"content.id": content_id, "content.media_urls": urls,
                                                "flag.flagger.id": flagger}))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return int(resp.get_json()["item_id"])


def test_the_same_picture_on_other_content_joins_one_item_and_loses_no_flag(
        app: Flask, db: Session, client: FlaskClient, host: MediaHost, signed_in) -> None:  # type: ignore[no-untyped-def]
    host.files["/img/copy.png"] = picture(seed=2, fmt="PNG")  # the same picture, another encoding
    host.files["/img/other.jpg"] = picture(seed=9)
    key = make_key(app)
    a = _flag(client, key, "post-a", "u-1", [f"{host.url}/img/plain.jpg"])
    media_jobs.fetch_due()  # the first item's picture is known before the others arrive
    b = _flag(client, key, "post-b", "u-2", [f"{host.url}/img/copy.png"])  # near copy (PDQ)
    c = _flag(client, key, "post-c", "u-1", [f"{host.url}/img/plain.jpg"])  # identical bytes, same flagger as a
    d = _flag(client, key, "post-d", "u-4", [f"{host.url}/img/other.jpg"])  # another picture
    assert len({a, b, c, d}) == 4  # at intake the pictures are not known yet
    db.rollback()
    media_jobs.fetch_due()
    db.expire_all()
    item_a, item_b, item_c, item_d = (db.get(ReviewItem, i) for i in (a, b, c, d))
    assert item_a and item_b and item_c and item_d
    assert (item_b.merged_into_id, item_b.status) == (a, ItemStatus.CLOSED)
    assert (item_c.merged_into_id, item_c.status) == (a, ItemStatus.CLOSED)
    assert item_d.merged_into_id is None and item_d.status == ItemStatus.OPEN
    flaggers = sorted(db.scalars(select(Flag.flagger_pseudonym).where(Flag.item_id == a)))
    assert flaggers == ["u-1", "u-2"] and item_a.flag_count == 2
    # u-1 flagged both a and c: that second flag stays a row on c, counted there.
    assert item_c.flag_count == 1 and db.scalar(select(Flag.flagger_pseudonym).where(Flag.item_id == c)) == "u-1"
    assert db.scalar(select(func.count(Flag.id))) == 4  # every flag still recorded
    (mb,) = media_of(db, b)
    assert mb.same_as_id == media_of(db, a)[0].id
    actors = list(db.scalars(select(AuditEvent.actor_label).where(AuditEvent.action == "review.items_collapsed")))
    assert actors == ["system:same-image", "system:same-image"]
    db.rollback()
    # A later flag on the merged content joins the surviving item; a repeat stays a repeat.
    assert _flag(client, key, "post-b", "u-3", [f"{host.url}/img/copy.png"]) == a
    again = post_flag(client, key, flag_body(**{"content.id": "post-b", "flag.flagger.id": "u-2",
                                                 "content.media_urls": [f"{host.url}/img/copy.png"]}))
    assert again.get_json()["item_id"] == a and again.get_json()["duplicate"] is True
    db.expire_all()
    item_a = db.get(ReviewItem, a)
    assert item_a is not None and item_a.flag_count == 3
    db.rollback()
    signed_in("moderator")
    page = client.get(f"/queue/{a}").get_data(as_text=True)
    assert f'href="/queue/{b}"' in page and f'href="/queue/{c}"' in page and "joined this item" in page


def test_a_decided_item_is_linked_not_joined(app: Flask, db: Session, client: FlaskClient, host: MediaHost) -> None:
    key = make_key(app)
    a = _flag(client, key, "post-a", "u-1", [f"{host.url}/img/plain.jpg"])
    media_jobs.fetch_due()
    db.execute(ReviewItem.__table__.update().where(ReviewItem.id == a).values(status=ItemStatus.DECIDED))
    db.commit()
    b = _flag(client, key, "post-b", "u-2", [f"{host.url}/img/plain.jpg"])
    media_jobs.fetch_due()
    db.expire_all()
    item_b = db.get(ReviewItem, b)
    assert item_b is not None and item_b.merged_into_id is None and item_b.status == ItemStatus.OPEN
    assert media_of(db, b)[0].same_as_id == media_of(db, a)[0].id


def test_a_listed_picture_on_two_contents_is_one_referral_held_with_one_record(
        app: Flask, db: Session, client: FlaskClient, host: MediaHost) -> None:
    list_hash(app, LISTED)
    host.files["/img/listed.png"] = picture(seed=1, fmt="PNG")
    key = make_key(app)
    a = _flag(client, key, "post-a", "u-1", [f"{host.url}/img/listed.jpg"])
    media_jobs.fetch_due()
    b = _flag(client, key, "post-b", "u-2", [f"{host.url}/img/listed.png"])
    media_jobs.fetch_due()
    db.expire_all()
    refs = list(db.scalars(select(SafeguardingReferral)))
    assert [r.item_id for r in refs] == [a]  # one referral, on the item the flags sit on
    item_b = db.get(ReviewItem, b)
    assert item_b is not None and item_b.merged_into_id == a
    hold = db.scalar(select(SafeguardingHold).where(SafeguardingHold.referral_id == refs[0].id))
    assert hold is not None and hold.placed_by_id is None and hold.released_at is None
    assert list(db.scalars(select(AuditEvent.actor_label).where(
        AuditEvent.action == "safeguarding.evidence_preserved"))) == ["system:hash-match"]
    record = db.scalar(select(HotlineRecord).where(HotlineRecord.referral_id == refs[0].id))
    assert record is not None
    images = {e["image"] for e in record.entries}
    assert images == {f"flag image {media_of(db, a)[0].id}", f"flag image {media_of(db, b)[0].id}"}
    assert all(len(str(e["pdq"])) == 64 and len(str(e["sha256"])) == 64 for e in record.entries)


def test_a_merged_item_is_anonymised_with_the_item_it_joined(app: Flask, db: Session, client: FlaskClient,
                                                             host: MediaHost) -> None:
    key = make_key(app)
    a = _flag(client, key, "post-a", "u-1", [f"{host.url}/img/plain.jpg"])
    media_jobs.fetch_due()
    b = _flag(client, key, "post-b", "u-2", [f"{host.url}/img/plain.jpg"])
    media_jobs.fetch_due()
    with app.app_context():
        s = new_session(app)
        anonymise.review_items(s, [a], utcnow(), policy={})
        s.commit()
        s.close()
    db.expire_all()
    item_b = db.get(ReviewItem, b)
    assert item_b is not None and item_b.merged_into_id == a and item_b.text == ""
    assert item_b.platform_content_id == f"anonymised-{b}" and media_of(db, b)[0].blob_sealed is None
