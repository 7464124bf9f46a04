"""A code that cannot be lost (issue 21.2): seven words a child can write down, typed back
in any case and spacing; old 16-digit receipts still work; a reload of the receipt page (or a
restored tab re-sending the form) shows the same code within the stated window, and only
then, without the desk storing anything."""

from __future__ import annotations

import math
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from c2c_safety.core import db as core_db
from c2c_safety.report import codes, reports, tokens
from models import CaseFile
from tests.support.intake import follow_up, form_token, post_multipart, receipt_of, submit_report


def test_every_word_list_is_long_enough_spellable_and_beats_sixteen_digits():
    lists = codes.wordlists()
    assert {"en", "da"} <= set(lists)
    for lang, words in lists.items():
        assert len(set(words)) == codes.LIST_SIZE, lang
        assert any(all(script.fullmatch(w) for w in words) for script in codes.SCRIPTS.values()), lang
        assert all(w.isalpha() and w.islower() and len(w) <= 8 for w in words), lang
    bits = codes.WORDS_PER_CODE * math.log2(codes.LIST_SIZE)
    assert bits >= math.log2(10**16)  # today's 16 digits ≈ 53.2 bits; words: 56


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(codes.wordlists())), st.randoms(use_true_random=False),
       st.lists(st.sampled_from([" ", "  ", "-", " - ", "\t", ", ", "\u2013"]), min_size=7, max_size=7))
def test_a_code_typed_in_any_case_with_any_spacing_is_the_same_code(lang, rnd, seps):
    words = [rnd.choice(codes.wordlist(lang)) for _ in range(codes.WORDS_PER_CODE)]
    canonical = " ".join(words)
    cased = [w.upper() if rnd.random() < 0.5 else w.capitalize() for w in words]
    typed = "".join(sep + w for sep, w in zip(seps, cased, strict=True))
    assert codes.normalise("  " + typed + " \n") == canonical


def test_what_is_not_a_code():
    for raw in ("", "apple boat", "apple boat cat drum egg fox goat hen", "apple boat cat drum egg fox xyzzy",
                "12-34", "apple 1234 5678 9012 3456", "x" * 10_000):
        assert codes.normalise(raw) is None, raw
    assert codes.normalise(" 1234 5678-9012 3456 ") == "1234567890123456"  # old receipts


def test_a_word_code_in_capitals_with_extra_spaces_opens_the_report(client, db, redis_conn):
    code = receipt_of(submit_report(client))
    shouted = "  " + "  -  ".join(w.upper() for w in code.split()) + "  "
    resp = follow_up(client, shouted)
    assert resp.status_code == 200 and "Your report" in resp.get_data(as_text=True)


def test_a_danish_reporter_gets_danish_words(client, db, redis_conn):
    code = receipt_of(submit_report(client, lang="da"))
    assert all(w in codes.wordlist("da") for w in code.split())


def test_an_old_digit_receipt_still_works(app, client, db, redis_conn):
    with app.app_context():
        s = core_db.session()
        reports.submit_report(s, reports.ReportInput(category="other", what="old"), [],
                              receipt="1234-5678-9012-3456")
        s.commit()
    assert follow_up(client, "1234 5678 9012 3456").status_code == 200


def _post_again(client, data):
    return post_multipart(client, "/report", dict(data))


def test_reloading_the_receipt_shows_the_same_code_within_the_window_only(app, client, db, redis_conn):
    data = {"form_token": form_token(client, "/report"), "category": "ethical", "what": "only once"}
    first = _post_again(client, data)
    code = receipt_of(first)
    # A reload, and a phone restoring a discarded tab (a new page, the same POST): same code.
    for _ in range(2):
        again = _post_again(client, data)
        assert again.status_code == 200 and receipt_of(again) == code
    assert len(db.scalars(select(CaseFile)).all()) == 1
    # After the window the page says so and shows no code.
    with app.app_context():
        nonce = tokens.check(data["form_token"], "report").nonce
    redis_conn.set(tokens._key(nonce), str(int(time.time()) - tokens.RECEIPT_AGAIN_SECONDS - 5))
    late = _post_again(client, data)
    html = late.get_data(as_text=True)
    assert late.status_code == 409 and "receipt-code" not in html and code not in html
    assert "60 minutes" in html


def test_a_reload_never_shows_a_code_whose_report_is_gone(app, client, db, redis_conn):
    data = {"form_token": form_token(client, "/report"), "category": "ethical", "what": "x"}
    code = receipt_of(_post_again(client, data))
    case = db.scalars(select(CaseFile)).one()
    case.receipt_lookup, case.receipt_hash = None, None  # e.g. anonymised
    db.commit()
    resp = _post_again(client, data)
    assert resp.status_code == 409 and code not in resp.get_data(as_text=True)


def test_every_public_language_has_its_own_word_list_and_its_capitals_work():
    from c2c_safety.core.locale import PUBLIC_LANGUAGES

    assert set(PUBLIC_LANGUAGES) <= set(codes.wordlists())
    uk = codes.new_code("uk")
    assert all(w in codes.wordlist("uk") for w in uk.split())
    assert codes.normalise(uk.upper()) == uk  # Cyrillic capitals
    tr = [w for w in codes.wordlist("tr") if "i" in w][:7]
    typed = " ".join(w.replace("i", "İ").upper() for w in tr)  # a Turkish keyboard's capital i
    assert codes.normalise(typed) == " ".join(tr)
