"""Issue 22.9, the review side: speaker letters past 26 participants, no "level 6 of 5" or
empty "()" in "why is this here", "minor" said only where it is true, demo lead-ins that fit
the item, and the demo's printed examples on the port it runs on."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from c2c_safety.review.conversations import speaker_letters
from tests.support.review import make_item


def test_speaker_letters_never_repeat() -> None:
    labels = [speaker_letters(i) for i in range(800)]
    assert labels[:3] == ["A", "B", "C"] and labels[25] == "Z" and labels[26] == "AA" and labels[27] == "AB"
    assert labels[701] == "ZZ" and labels[702] == "AAA"
    assert len(set(labels)) == len(labels)


def test_a_lifted_level_5_item_reads_level_5_of_5_with_its_label(app: Flask, client: FlaskClient,
                                                                  signed_in: Any) -> None:
    iid = make_item(app, age_band="under13", flags=[("u-a", "student", "grooming")], waited=timedelta(hours=30))
    signed_in("moderator")
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "level 6" not in html and "()" not in html
    assert "level 5 of 5</strong> (high severity, a minor involved), lifted because it has waited" in html
    queue = client.get("/queue").get_data(as_text=True)
    assert re.search(r'data-label="Level · points">5<span class="visually-hidden"> \(lifted', queue)


def test_minor_in_the_queue_says_whether_it_is_the_author_or_the_audience(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    make_item(app, age_band="adult", author_role="teacher", audience="under13", chat_kind="group")
    signed_in("moderator")
    html = client.get("/queue").get_data(as_text=True)
    assert "teacher, adult</td>" in html and "children in the audience" in html
    assert '<span class="badge minor">minor</span>' not in html


def test_demo_lead_ins_give_the_flattery_to_the_author() -> None:
    from c2c_safety.demo.review import LEAD_IN

    assert ("author", "You seem really mature for your age.") in LEAD_IN["grooming"]


def test_demo_seed_prints_examples_on_its_port(app: Flask) -> None:
    from c2c_safety.demo.api import demo_curl_example

    assert "127.0.0.1:8123" in demo_curl_example("http://127.0.0.1:8123")
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "demo seed --port $(PORT)" in makefile


def test_every_fixed_duration_text_fits_its_column() -> None:
    from c2c_safety.review import statements
    from models.review import StatementOfReasons

    width = StatementOfReasons.__table__.c.duration.type.length  # type: ignore[attr-defined]
    for text in [*statements.DURATIONS.values(), statements.NOT_APPLICABLE, statements.HIDDEN_DURATION]:
        assert len(text) <= width, text
