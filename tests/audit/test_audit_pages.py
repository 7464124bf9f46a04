"""The independent reviewer's side of the audit log: pending entries shown and counted, the
latest checkpoint downloaded, and the log verified against a checkpoint kept earlier."""

from __future__ import annotations

import json
import re

from sqlalchemy import update

from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer
from models import AuditEvent


def _write(app, db, n, action="test.event"):
    with app.app_context():
        for i in range(n):
            audit.record(db, action, target_type="thing", target_id=i)
        db.commit()


def test_browser_lists_sequenced_entries_and_counts_pending_ones(app, client, db, signed_in):
    signed_in("independent_reviewer")
    _write(app, db, 3, "test.sequenced")
    with app.app_context():
        sequencer.sequence_pending(db)
    _write(app, db, 2, "test.waiting")
    html = client.get("/review/audit").get_data(as_text=True)
    assert "test.sequenced" in html and "test.waiting" in html
    assert "entries are waiting to be sequenced" in html and "<td>pending</td>" in html
    older = client.get("/review/audit?before=3").get_data(as_text=True)
    assert "test.waiting" not in older and "<td>1</td>" in older  # pending rows only on the first page


def test_reviewer_downloads_the_checkpoint_and_verifies_against_it_later(app, client, db, signed_in):
    signed_in("independent_reviewer")
    nothing_yet = client.get("/review/audit/checkpoint.json", follow_redirects=True)  # nothing signed yet
    assert nothing_yet.status_code == 200 and "No checkpoint has been signed yet" in nothing_yet.get_data(as_text=True)
    _write(app, db, 4)
    with app.app_context():
        sequencer.sequence_pending(db)
    resp = client.get("/review/audit/checkpoint.json")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    kept = resp.get_data(as_text=True).strip()
    page = client.get("/review/audit/verify", query_string={"checkpoint": kept})
    size = json.loads(kept)["size"]  # the sign-in wrote entries too
    assert page.status_code == 200 and "The chain is intact" in page.get_data(as_text=True)
    assert f"kept checkpoint {size}" in page.get_data(as_text=True)
    db.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(target_id="changed"))
    db.commit()
    broken = client.get("/review/audit/verify", query_string={"checkpoint": kept}).get_data(as_text=True)
    assert "BROKEN" in broken and "does not match its MAC" in broken


def test_a_forged_or_garbled_checkpoint_is_a_clear_400(app, client, db, signed_in):
    signed_in("independent_reviewer")
    _write(app, db, 2)
    with app.app_context():
        sequencer.sequence_pending(db)
    kept = client.get("/review/audit/checkpoint.json").get_data(as_text=True).strip()
    forged = re.sub(r'"size":\d+', '"size":999', kept)
    assert forged != kept
    for bad in (forged, "not a checkpoint", "x" * 5000):
        resp = client.get("/review/audit/verify", query_string={"checkpoint": bad})
        assert resp.status_code == 400 and "not a checkpoint this desk signed" in resp.get_data(as_text=True)


def test_only_the_reviewer_sees_the_checkpoint(app, client, signed_in):
    signed_in("moderator")
    assert client.get("/review/audit/checkpoint.json").status_code == 403
