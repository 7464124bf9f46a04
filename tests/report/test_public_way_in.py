"""The reporter's way in (issue 13, part 5): a public page at `/`, a quick exit on every
reporter page, every reporter page in the reporter's language (skip link included) with a
language switch — also the pages reached by POST (receipt, status) — and no cookie."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.po_catalogs import translated
from tests.support.intake import follow_up, form_token, post_multipart, receipt_of, submit_report

EXIT = re.compile(r'<a class="quick-exit" id="quick-exit" href="(/report/leave)" data-exit="(https?://[^"]+)" '
                  r'rel="noreferrer">([^<]+)</a>')


def reporter_pages(client, lang: str) -> dict[str, str]:
    """Every page a reporter can meet, in `lang`."""
    headers = {"Accept-Language": lang}
    pages = {
        "landing": client.get(f"/?lang={lang}").get_data(as_text=True),
        "form": client.get(f"/report?lang={lang}").get_data(as_text=True),
        "follow-up": client.get(f"/report/follow-up?lang={lang}").get_data(as_text=True),
    }
    receipt_resp = submit_report(client, lang=lang, headers=headers)
    pages["receipt"] = receipt_resp.get_data(as_text=True)
    receipt = receipt_of(receipt_resp)
    pages["status"] = follow_up(client, receipt, lang=lang).get_data(as_text=True)
    pages["form-errors"] = post_multipart(client, f"/report?lang={lang}", {
        "form_token": form_token(client, f"/report?lang={lang}"), "category": "", "what": ""}).get_data(as_text=True)
    pages["wrong-receipt"] = follow_up(client, "1234-5678-9012-3456", lang=lang).get_data(as_text=True)
    pages["notice"] = post_multipart(client, f"/report?lang={lang}", {
        "form_token": form_token(client, f"/report?lang={lang}"), "category": "ethical", "what": "x"},
        headers={"Sec-Fetch-Site": "cross-site"}).get_data(as_text=True)
    return pages


def test_anonymous_root_is_a_short_public_page_without_a_cookie(app, client):
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    assert 'href="/report?lang=en"' in html and 'href="/report/follow-up?lang=en"' in html
    assert 'href="/login"' in html and translated("en", "Staff sign-in") in html  # staff sign-in: a small link
    assert "<form" not in html  # nothing to type here: two ways in
    da = client.get("/?lang=da")
    da_html = da.get_data(as_text=True)
    assert translated("da", "Worried about something on Class2Class?") in da_html and 'lang="da"' in da_html
    assert client.get("/", headers={"Accept-Language": "da-DK,da;q=0.9"}).get_data(as_text=True).count(
        translated("da", "Report a concern")) == 1


def test_signed_in_staff_still_get_their_overview(app, client, signed_in):
    signed_in("case_handler")
    html = client.get("/").get_data(as_text=True)
    assert "Hello," in html and "Case handler" in html and "quick-exit" not in html


def test_the_brand_link_sends_an_anonymous_visitor_to_the_public_page(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'<p class="brand"><a href="/"', html)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_reporter_page_has_a_quick_exit_a_language_switch_and_speaks_the_language(app, client, lang,
                                                                                         redis_conn):
    other = "da" if lang == "en" else "en"
    for name, html in reporter_pages(client, lang).items():
        m = EXIT.search(html)
        assert m, f"{name}: no quick exit"
        assert m.group(3) == translated(lang, "Leave this page"), name
        assert f'<html lang="{lang}">' in html, name
        assert f'>{translated(lang, "Skip to main content")}</a>' in html, f"{name}: skip link not in {lang}"
        nav = re.search(r'<nav class="lang-switch"[^>]*>(.*?)</nav>', html, re.S)
        assert nav, f"{name}: no language switch"
        assert f'lang="{other}"' in nav.group(1), name
        assert 'src="/static/js/quick-exit.js"' in html, name
        assert "<script>" not in html and " style=" not in html, name  # CSP: no inline script/style
        assert not re.search(r'(src|href)="https?://(?!www\.google\.com/)', html), f"{name}: another host"


def test_the_status_pages_language_switch_reposts_the_receipt_not_in_a_url(app, client, redis_conn):
    receipt = receipt_of(submit_report(client, lang="en"))
    html = follow_up(client, receipt, lang="en").get_data(as_text=True)
    nav = re.search(r'<nav class="lang-switch"[^>]*>(.*?)</nav>', html, re.S).group(1)
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', nav, re.S)
    assert form.group(1) == "/report/follow-up?lang=da"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    assert fields["receipt"] == receipt.replace("-", "") and fields["action"] == "view"
    assert receipt.replace("-", "") not in form.group(1)
    da = post_multipart(client, form.group(1), fields)
    assert da.status_code == 200 and translated("da", "Your report") in da.get_data(as_text=True)
    assert '<html lang="da">' in da.get_data(as_text=True)


def test_the_receipt_pages_language_switch_shows_the_receipt_again(app, client, redis_conn):
    resp = submit_report(client, lang="en")
    receipt = receipt_of(resp)
    nav = re.search(r'<nav class="lang-switch"[^>]*>(.*?)</nav>', resp.get_data(as_text=True), re.S).group(1)
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', nav, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    assert fields["action"] == "receipt"
    da = post_multipart(client, form.group(1), fields).get_data(as_text=True)
    assert translated("da", "Thank you. We have received your report.") in da and receipt in da
    # A made-up receipt gets the normal "not found", never someone's receipt page.
    fake = post_multipart(client, form.group(1), {**fields, "receipt": "1111-1111-1111-1112"})
    assert fake.status_code == 401 and "receipt-code" not in fake.get_data(as_text=True)


def test_the_form_starts_with_the_question_and_keeps_the_details_one_click_away(app, client):
    html = client.get("/report?lang=da").get_data(as_text=True)
    main = html[html.index('<main'):]
    # Before the first question: the title, one short line, and a closed <details> with the rest.
    before = main[:main.index('<fieldset id="f-category"')]
    assert "<details class=\"privacy\">" in before and " open" not in before.split("<details")[1][:30]
    visible = re.sub(r"<details.*?</details>", "", before, flags=re.S)
    words = len(re.sub(r"<[^>]+>", " ", visible).split())
    assert words < 70, words
    no_ip = "We do not keep your IP address, details about your browser, or any cookie from these pages."
    assert translated("da", no_ip) in before  # still there, behind the <details>


def test_quick_exit_address_is_configurable(app, client):
    app.config["QUICK_EXIT_URL"] = "https://www.dr.dk/"
    assert 'data-exit="https://www.dr.dk/"' in client.get("/report").get_data(as_text=True)
    resp = client.get("/report/leave")
    assert resp.status_code == 303 and resp.headers["Location"] == "https://www.dr.dk/"


def test_the_no_js_quick_exit_is_a_redirect_nothing_keeps(app, client):
    """Without JavaScript the button is a link to the desk: a redirect (so the neutral site,
    not the desk, is what the history holds at that place), never cached, no cookie."""
    resp = client.get("/report/leave?lang=da")
    assert resp.status_code == 303 and resp.headers["Location"] == "https://www.google.com/"
    assert resp.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in resp.headers
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    for path in ("/", "/report", "/report/follow-up"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_quick_exit_script_is_served_and_replaces_history(app, client):
    resp = client.get("/static/js/quick-exit.js")
    js = resp.get_data(as_text=True)
    resp.close()
    assert resp.status_code == 200 and "javascript" in resp.headers["Content-Type"]
    assert "location.replace" in js and "preventDefault" in js
    assert '"Shift"' not in js and '"Escape"' in js  # Esc only, and only outside the fields


def test_anonymous_pages_after_a_staff_session_still_work(app, client, make_user):
    login(client, make_user("moderator"))
    assert client.get("/report?lang=da").status_code == 200


def test_error_pages_speak_the_visitors_language_and_json_errors_keep_their_codes(client):
    resp = client.get("/no-such-page?lang=uk")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and '<html lang="uk">' in html
    assert translated("uk", "Not found") in html and translated("uk", "Error %(status)s.", status=404) in html
    by_browser = client.get("/no-such-page", headers={"Accept-Language": "sw, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="sw">' in by_browser and translated("sw", "There is nothing at this address.") in by_browser
    api = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "da"})
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
