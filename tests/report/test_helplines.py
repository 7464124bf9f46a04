"""Help where the child is (issue 21.5): helplines per country from the operator's data
file, 116 111 where none is configured, the language suggests the country, the reporter
chooses another, nothing is stored; no page names the Danish line for everyone."""

from __future__ import annotations

import json

from tests.support.intake import submit_report


def test_the_language_suggests_the_country_and_english_gets_the_eu_line(client):
    de = client.get("/report?lang=da").get_data(as_text=True)
    assert "BørneTelefonen" in de
    en = client.get("/report?lang=en").get_data(as_text=True)
    assert "BørneTelefonen" not in en and "116 111" in en
    assert "BørneTelefonen" not in client.get("/?lang=en").get_data(as_text=True)


def test_the_reporter_chooses_a_country_and_nothing_is_kept(client):
    resp = client.get("/report/help?lang=en&country=ke")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    yours = html[html.index('id="help-yours"'):html.index("</section>")]
    assert "Childline Kenya" in yours and 'href="tel:116"' in yours
    for name in ("Nummer gegen Kummer", "BRIS", "Telefon Zaufania", "La Strada"):
        assert name in html  # every country listed
    # The next page, without the parameter, is back to the suggestion: nothing remembered.
    assert "Childline Kenya" not in client.get("/report?lang=en").get_data(as_text=True)
    assert client.get("/report/help?country=%00%FF").status_code == 200  # nonsense: the suggestion


def test_the_operators_file_replaces_the_built_in_one_and_a_broken_file_falls_back(app, client, tmp_path):
    own = tmp_path / "helplines.json"
    own.write_text(json.dumps({"default": {"name": "Our line", "number": "116 000"},
                               "languages": {"en": "IE"},
                               "countries": {"IE": {"country": "Ireland", "name": "Childline Ireland",
                                                    "number": "1800 66 66 66", "hours": "24 h"}}}))
    app.config["C2C_HELPLINES_PATH"] = str(own)
    html = client.get("/report?lang=en").get_data(as_text=True)
    assert "Childline Ireland" in html and "1800 66 66 66" in html
    assert "Childline Ireland" not in client.get("/report?lang=da").get_data(as_text=True)  # no DK entry
    assert "116 000" in client.get("/report?lang=da").get_data(as_text=True)
    own.write_text("{ not json")
    resp = client.get("/report?lang=en")
    assert resp.status_code == 200 and "116 111" in resp.get_data(as_text=True)


def test_the_receipt_carries_the_helpline_too(client, redis_conn):
    html = submit_report(client, {"category": "child_sexual"}, lang="da").get_data(as_text=True)
    assert "BørneTelefonen" in html
