"""API clients managed from the admin pages (issue 13, part 6): created with the key shown
once, listed without keys, revoked after a confirmation; audited with the admin as actor;
the key works until it is revoked."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import ApiClient, AuditEvent
from tests.conftest import post_form
from tests.support.intake import flag_body, post_flag

KEY_RE = re.compile(r"<code>(c2c_[0-9a-f]{8}_[A-Za-z0-9_-]{43})</code>")


def test_create_list_and_revoke(app, client, signed_in, db):
    admin = signed_in("admin")
    page = client.get("/admin/api-clients")
    assert page.status_code == 200 and "No clients yet" in page.get_data(as_text=True)
    assert "checked" not in page.get_data(as_text=True)  # no scope ticked for the admin
    created = post_form(client, "/admin/api-clients", {"name": "platform-prod", "scopes": ["flags:write"]},
                        token_from="/admin/api-clients")
    html = created.get_data(as_text=True)
    assert created.status_code == 201 and "shown only this once" in html
    key = KEY_RE.search(html).group(1)
    assert created.headers["Cache-Control"] == "no-store"
    listing = client.get("/admin/api-clients").get_data(as_text=True)
    assert key not in listing and key[:12] in listing and "platform-prod" in listing
    client_row = db.scalars(select(ApiClient)).one()
    assert client_row.key_hash != key and client_row.scopes == "flags:write"
    cid = client_row.id
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_client.created")).one()
    assert ev.actor_id == admin.id and key not in str(ev.details)
    db.rollback()
    # The key works, with only its scope.
    api = app.test_client()
    assert post_flag(api, key, flag_body()).status_code == 202
    assert api.get("/api/v1/items/1", headers={"Authorization": f"Bearer {key}"}).status_code == 403
    # Revoking needs a confirmation page, then the POST.
    confirm = client.get(f"/admin/api-clients/{cid}/revoke")
    assert confirm.status_code == 200 and "stops working at once" in confirm.get_data(as_text=True)
    assert post_form(client, f"/admin/api-clients/{cid}/revoke", {},
                     token_from=f"/admin/api-clients/{cid}/revoke").status_code == 302
    assert post_flag(api, key, flag_body(**{"content.id": "post-2"})).status_code == 401
    assert "revoked" in client.get("/admin/api-clients").get_data(as_text=True)
    db.rollback()
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_client.revoked")).one()
    assert ev.actor_id == admin.id


def test_bad_input_is_a_form_error(app, client, signed_in):
    signed_in("admin")
    for data, words in (({"name": "", "scopes": ["flags:write"]}, "Name the client"),
                        ({"name": "x"}, "Choose at least one scope"),
                        ({"name": "x", "scopes": ["root"]}, "is not a valid choice"),
                        ({"name": "y" * 81, "scopes": ["flags:write"]}, "80"),
                        ({"name": "bad\x00name", "scopes": ["flags:write"]}, "control characters")):
        resp = post_form(client, "/admin/api-clients", data, token_from="/admin/api-clients")
        assert resp.status_code == 400 and words in resp.get_data(as_text=True), data
    assert post_form(client, "/admin/api-clients", {"name": "dup", "scopes": ["items:read"]},
                     token_from="/admin/api-clients").status_code == 201
    dup = post_form(client, "/admin/api-clients", {"name": "dup", "scopes": ["items:read"]},
                    token_from="/admin/api-clients")
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    assert client.get("/admin/api-clients/999/revoke").status_code == 404


def test_only_admins(app, client, signed_in):
    signed_in("safeguarding_lead")
    assert client.get("/admin/api-clients").status_code == 403
    assert client.get("/admin/api-clients/1/revoke").status_code == 403
