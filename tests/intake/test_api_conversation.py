"""The flags API's optional conversation: every limit and rule answered with a clear 422
naming the field, valid conversations stored sealed, merged on later flags, shown as a
thread and handed to the classifier. Real HTTP, real database."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.review import conversations
from c2c_safety.scoring.context import load_contexts
from models import ConversationMessage, ItemConversation, ReviewItem
from tests.support.intake import flag_body, make_key, post_flag

POSTED = "2025-03-01T08:00:00+01:00"
FLAGGED = "2025-03-01T09:00:00+01:00"


def msg(i: int, author: str = "u-adult", band: str = "adult", role: str = "teacher", *,
        at: str | None = None, text: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"author": {"id": author, "role": role, "age_band": band},
            "sent_at": at or f"2025-03-01T07:{i:02d}:00+01:00",
            "text": f"CONVO-SECRET message {i}" if text is None else text, **extra}


def chat(**conv: Any) -> dict[str, Any]:
    """A one-to-one chat flag between an adult and the under-13 author, with a conversation."""
    base: dict[str, Any] = {"kind": "one_to_one", "participant_age_bands": ["under13", "adult"],
                            "before": [msg(1), msg(2, "u-kid", "under13", "student")]}
    base.update(conv)
    return flag_body(**{"content.type": "chat_message", "content.id": "chat-1", "content.posted_at": POSTED,
                        "content.text": "don't tell anyone, ok?", "author.age_band": "under13",
                        "author.id": "u-kid", "context.chat_kind": "one_to_one",
                        "context.audience_min_age_band": None, "flag.flagged_at": FLAGGED,
                        "conversation": base})


@pytest.fixture
def key(app: Flask, redis_conn: Any) -> str:
    return make_key(app)


def errors_of(resp: Any) -> dict[str, str]:
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:400])
    body = resp.get_json()
    assert body["error"] == "validation_failed"
    return {e["field"]: e["message"] for e in body["errors"]}


def test_a_valid_conversation_is_stored_sealed_and_fills_the_youngest_audience(
        app: Flask, client: FlaskClient, db: Session, key: str) -> None:
    body = chat(participant_count=2, after=[msg(30, at="2025-03-01T08:30:00+01:00", text="???")])
    resp = post_flag(client, key, body)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    item_id = resp.get_json()["item_id"]
    head = db.get(ItemConversation, item_id)
    assert head is not None and head.kind == "one_to_one" and head.participant_age_bands == ["under13", "adult"]
    rows = db.scalars(select(ConversationMessage).where(ConversationMessage.item_id == item_id)
                      .order_by(ConversationMessage.position)).all()
    assert [r.position for r in rows] == [-2, -1, 1]
    assert [r.author_pseudonym for r in rows] == ["u-adult", "u-kid", "u-adult"]
    # sealed at rest: the raw column holds no plain text
    raw = db.execute(text("SELECT text_sealed FROM conversation_messages")).scalars().all()
    assert raw and all(b"CONVO-SECRET" not in bytes(r) for r in raw)
    db.commit()  # SQLite: end the read before another session writes
    with app.app_context():
        s = new_session(app)
        item = s.get(ReviewItem, item_id)
        assert item is not None
        assert conversations.conversation_for(s, item) == ["CONVO-SECRET message 1", "CONVO-SECRET message 2"]
        assert load_contexts(s, "item", [item_id]) == {item_id: ["CONVO-SECRET message 1",
                                                                "CONVO-SECRET message 2"]}
        assert load_contexts(s, "case", [item_id]) == {}
        # the author is under 13 and the audience now known: a minor is involved
        assert item.audience_min_age_band == "under13" and item.minor_involved
        s.close()


def test_a_comment_thread_is_accepted(client: FlaskClient, key: str) -> None:
    body = flag_body(**{"content.type": "comment", "conversation": {
        "kind": "comment_thread", "participant_age_bands": ["13to15", "adult"], "before": [msg(1)]}})
    assert post_flag(client, key, body).status_code == 202


def test_later_flags_merge_the_conversation_without_duplicates(
        client: FlaskClient, db: Session, key: str) -> None:
    first = chat()
    assert post_flag(client, key, first).status_code == 202
    again = chat(before=[msg(1), msg(2, "u-kid", "under13", "student"), msg(3, text="meet me?")],
                 after=[msg(40, at="2025-03-01T08:40:00+01:00", text="answer me")])
    again["flag"]["flagger"]["id"] = "u-flagger-2"
    assert post_flag(client, key, again).status_code == 202
    rows = db.scalars(select(ConversationMessage).order_by(ConversationMessage.position)).all()
    assert [r.position for r in rows] == [-3, -2, -1, 1]
    assert db.scalar(select(ItemConversation.kind)) == "one_to_one"


def test_keeps_the_nearest_twenty_before_when_merged(client: FlaskClient, db: Session, key: str) -> None:
    early = chat(before=[msg(i, text=f"early {i}") for i in range(20)])
    assert post_flag(client, key, early).status_code == 202
    late = chat(before=[msg(i + 30, text=f"late {i}") for i in range(5)])
    late["flag"]["flagger"]["id"] = "u-flagger-2"
    assert post_flag(client, key, late).status_code == 202
    positions = db.scalars(select(ConversationMessage.position)).all()
    assert sorted(positions) == list(range(-20, 0))


LIMITS: list[tuple[str, dict[str, Any], str]] = [
    ("too many before", {"before": [msg(i % 60, text=str(i)) for i in range(21)]}, "conversation.before"),
    ("too many after", {"after": [msg(i % 50, at=f"2025-03-01T08:{i % 50 + 1:02d}:00+01:00", text=str(i))
                                  for i in range(21)]}, "conversation.after"),
    ("text too long", {"before": [msg(1, text="x" * 4001)]}, "conversation.before[0].text"),
    ("NUL in text", {"before": [msg(1, text="a\x00b")]}, "conversation.before[0].text"),
    ("unknown kind", {"kind": "broadcast"}, "conversation.kind"),
    ("no age bands", {"participant_age_bands": []}, "conversation.participant_age_bands"),
    ("age band twice", {"participant_age_bands": ["adult", "adult", "under13"]},
     "conversation.participant_age_bands"),
    ("unknown age band", {"participant_age_bands": ["toddler"]}, "conversation.participant_age_bands[0]"),
    ("count below two", {"participant_count": 1}, "conversation.participant_count"),
    ("count absurd", {"participant_count": 100_001}, "conversation.participant_count"),
    ("count as string", {"participant_count": "2"}, "conversation.participant_count"),
    ("naive time", {"before": [msg(1, at="2025-03-01T07:00:00")]}, "conversation.before[0].sent_at"),
    ("time before 2000", {"before": [msg(1, at="1999-12-31T23:00:00Z")]}, "conversation.before[0].sent_at"),
    ("missing author", {"before": [{"sent_at": "2025-03-01T07:00:00Z", "text": "x"}]},
     "conversation.before[0].author"),
    ("author role parent", {"before": [msg(1, role="parent")]}, "conversation.before[0].author.role"),
    ("bad author id", {"before": [msg(1, author="has space")]}, "conversation.before[0].author.id"),
    ("unknown field", {"mood": "tense"}, "conversation.mood"),
    ("unknown message field", {"before": [msg(1, likes=3)]}, "conversation.before[0].likes"),
    ("before not a list", {"before": {"0": msg(1)}}, "conversation.before"),
]


@pytest.mark.parametrize("conv,field", [(c, f) for _, c, f in LIMITS], ids=[n for n, _, _ in LIMITS])
def test_schema_limits_are_422_naming_the_field(client: FlaskClient, key: str, db: Session,
                                                conv: dict[str, Any], field: str) -> None:
    errs = errors_of(post_flag(client, key, chat(**conv)))
    assert field in errs, errs
    assert db.scalar(select(ReviewItem.id)) is None  # nothing stored


RULES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("wrong kind for the chat", {"kind": "group"}, {}, "conversation.kind"),
    ("thread kind on a chat", {"kind": "comment_thread"}, {}, "conversation.kind"),
    ("out of order", {"before": [msg(5), msg(2, "u-kid", "under13", "student")]}, {},
     "conversation.before[1].sent_at"),
    ("before after the flagged message", {"before": [msg(1, at="2025-03-01T08:05:00+01:00")]}, {},
     "conversation.before[0].sent_at"),
    ("after before the flagged message", {"after": [msg(1, at="2025-03-01T07:55:00+01:00")]}, {},
     "conversation.after[0].sent_at"),
    ("message after the flag", {"after": [msg(1, at="2025-03-01T09:30:00+01:00")]}, {},
     "conversation.after[0].sent_at"),
    ("age band missing", {"participant_age_bands": ["under13"]}, {}, "conversation.participant_age_bands"),
    ("flagged author's band missing", {"participant_age_bands": ["adult"], "before": [msg(1)]}, {},
     "conversation.participant_age_bands"),
    ("three people one to one", {"before": [msg(1), msg(2, "u-third", "adult")]}, {}, "conversation"),
    ("one to one counted 3", {"participant_count": 3}, {}, "conversation"),
    ("message id repeated", {"before": [msg(1, id="m-1"), msg(2, "u-kid", "under13", "student", id="m-1")]}, {},
     "conversation"),
    ("flagged message in the list", {"before": [msg(1, id="chat-1")]}, {}, "conversation.before[0].id"),
]


@pytest.mark.parametrize("conv,other,field", [(c, o, f) for _, c, o, f in RULES], ids=[n for n, *_ in RULES])
def test_rules_between_fields_are_422_naming_the_field(client: FlaskClient, key: str, db: Session,
                                                      conv: dict[str, Any], other: dict[str, Any],
                                                      field: str) -> None:
    errs = errors_of(post_flag(client, key, chat(**conv)))
    assert field in errs, errs
    assert db.scalar(select(ReviewItem.id)) is None


def test_group_count_below_authors_and_after_before_overlap(client: FlaskClient, key: str) -> None:
    group = chat(kind="group", participant_count=2,
                 before=[msg(1), msg(2, "u-kid", "under13", "student"), msg(3, "u-third", "adult")])
    group["context"]["chat_kind"] = "group"
    assert "conversation.participant_count" in errors_of(post_flag(client, key, group))
    no_posted = chat(before=[msg(40)], after=[msg(10)])
    del no_posted["content"]["posted_at"]
    assert "conversation.after[0].sent_at" in errors_of(post_flag(client, key, no_posted))


@pytest.mark.parametrize("content_type", ["post", "profile", "project"])
def test_a_conversation_only_comes_with_a_chat_message_or_comment(client: FlaskClient, key: str,
                                                                   content_type: str) -> None:
    body = chat()
    body["content"]["type"] = content_type
    body["context"]["chat_kind"] = None
    assert "conversation" in errors_of(post_flag(client, key, body))


def test_limits_are_exactly_the_documented_ones(client: FlaskClient, key: str) -> None:
    """20 before, 20 after, 4,000 characters: at the limit accepted, one over refused."""
    full = chat(before=[msg(i, text="y" * 4000) for i in range(20)],
                after=[msg(i, at=f"2025-03-01T08:{i + 1:02d}:00+01:00") for i in range(20)])
    assert post_flag(client, key, full).status_code == 202
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["ConversationIn"]["properties"]
    assert schema["before"]["maxItems"] == 20 and schema["after"]["maxItems"] == 20
    assert doc["components"]["schemas"]["ConversationMessageIn"]["properties"]["text"]["maxLength"] == 4000
    assert "/api/v1/appeals" in doc["paths"]


def test_the_item_page_shows_the_thread_with_the_flagged_message_marked(
        app: Flask, client: FlaskClient, key: str, signed_in: Any) -> None:
    resp = post_flag(client, key, chat(before=[msg(1, text="you are so mature for your age <b>x</b>"),
                                               msg(2, "u-kid", "under13", "student", text="thanks")]))
    item_id = resp.get_json()["item_id"]
    signed_in("moderator")
    html = client.get(f"/queue/{item_id}").get_data(as_text=True)
    # one-to-one chat with an under-13: sensitive? no (flag reason bullying) -> shown at once
    assert "Conversation: one to one" in html
    assert "you are so mature for your age &lt;b&gt;x&lt;/b&gt;" in html
    assert html.index("you are so mature") < html.index("Flagged message") < html.index("don&#39;t tell anyone")
    assert "u-adult" not in html and "u-kid" not in html  # speakers by letter, never the pseudonym
    assert "participant A" in html and "the author" in html


def test_sensitive_conversations_stay_hidden_until_revealed(
        app: Flask, client: FlaskClient, key: str, signed_in: Any) -> None:
    body = chat()
    body["flag"]["reason"] = "grooming"
    item_id = post_flag(client, key, body).get_json()["item_id"]
    signed_in("moderator")
    html = client.get(f"/queue/{item_id}").get_data(as_text=True)
    assert "CONVO-SECRET" not in html and "don&#39;t tell anyone" not in html
    assert "with its conversation of 2 other messages" in html
