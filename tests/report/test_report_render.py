"""What reporters and platform users write is shown inert: the `user_text` filter and macro."""

from __future__ import annotations

import pytest
from flask import render_template_string

from c2c_safety.core.crypto import seal_text
from models import CaseMessage
from tests.support.intake import follow_up, receipt_of, submit_report

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href=\"javascript:alert(1)\">click</a>",
    '"><svg onload=alert(1)>',
    "{{ 7*7 }} {% raw %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_filter_and_macro_escape_everything(app, payload):
    with app.test_request_context():
        by_filter = render_template_string("{{ t|user_text }}", t=payload)
        by_macro = render_template_string(
            '{% from "macros/user_text.html" import user_text %}{{ user_text(t, lang="da") }}', t=payload)
    for html in (by_filter, by_macro):
        assert html.startswith('<div class="user-text" dir="auto"')
        inner = html.split(">", 1)[1].rsplit("</div>", 1)[0]
        assert "<" not in inner and ">" not in inner  # no live tag at all
        assert "49" not in inner  # template syntax is not evaluated
    assert 'lang="da"' in by_macro
    assert "&lt;" in by_filter or "{{" in by_filter


def test_newlines_and_none(app):
    with app.test_request_context():
        assert render_template_string("{{ t|user_text }}", t=None) == '<div class="user-text" dir="auto"></div>'
        assert "a\nb" in render_template_string("{{ t|user_text }}", t="a\nb")


def test_handler_message_with_html_is_inert_on_the_reporter_page(app, client, db, redis_conn):
    receipt = receipt_of(submit_report(client))
    from models import CaseFile

    case = db.query(CaseFile).one()
    with app.app_context():
        db.add(CaseMessage(case_id=case.id, from_reporter=False, body_sealed=seal_text(PAYLOADS[0] + PAYLOADS[1])))
        db.commit()
    html = follow_up(client, receipt).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
