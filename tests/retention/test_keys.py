"""Encryption at rest: AES-GCM round trip, key ids in blobs, and resumable key rotation."""

from __future__ import annotations

import base64
import os

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety import create_app
from c2c_safety.core.crypto import CryptoError, KeyRing, key_id, keyring, open_text
from c2c_safety.retention import keys
from models import Attachment, AuditEvent, CaseFile, CaseMessage, User
from tests.conftest import make_config
from tests.support.cases import SECRET_BODY, make_case, scalars


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


OLD = f"old:{_key()}"
NEW = f"new:{_key()}"


def test_round_trip_and_key_id():
    ring = KeyRing.parse(OLD)
    blob = ring.seal(b"Hej, det er fortroligt")
    assert key_id(blob) == "old" and b"fortroligt" not in blob
    assert ring.open(blob).decode() == "Hej, det er fortroligt"
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(CryptoError):
        ring.open(tampered)
    with pytest.raises(CryptoError):
        KeyRing.parse(NEW).open(blob)  # a ring without the key cannot open it


def test_case_fields_are_sealed_at_rest(app, db):
    cid = make_case(app, db)
    row = db.execute(select(CaseFile.body_sealed, CaseFile.contact_sealed).where(CaseFile.id == cid)).one()
    db.commit()
    assert SECRET_BODY.encode() not in row[0] and b"example.invalid" not in row[1]
    with app.app_context():
        assert open_text(row[0]) == SECRET_BODY


def _app_with(tmp_path, database_url, redis_url, spec: str, name: str) -> Flask:
    return create_app(make_config(tmp_path / name, database_url, redis_url, data_keys=spec))


def _kids(db) -> set[str]:
    out = set()
    for _table, _pk, cols in keys.sealed_columns():
        for row in db.execute(select(*cols)):
            out |= {key_id(bytes(v)) for v in row if v is not None}
    db.commit()
    return out


def test_rotation_reseals_everything_and_is_idempotent(tmp_path, database_url, redis_url, app, db, make_user):
    old_app = _app_with(tmp_path, database_url, redis_url, OLD, "old")
    with old_app.app_context():
        cid = make_case(old_app, db, with_attachment=True)
        user = make_user("admin", totp=False)
        db.get(User, user.id).totp_secret = keyring().seal(b"JBSWY3DPEHPK3PXP")
        db.commit()
    assert _kids(db) == {"old"}
    new_app = _app_with(tmp_path, database_url, redis_url, f"{NEW},{OLD}", "new")
    runner = new_app.test_cli_runner()
    out = runner.invoke(args=["keys", "rotate", "--batch-size", "1"])
    assert out.exit_code == 0, out.output
    assert _kids(db) == {"new"}
    with new_app.app_context():
        case = db.get(CaseFile, cid)
        assert open_text(case.body_sealed) == SECRET_BODY
        msg = db.scalars(select(CaseMessage).where(CaseMessage.case_id == cid)).first()
        assert open_text(msg.body_sealed) == "More detail from me."
        db.commit()
        again = keys.rotate(db)
        assert again.total == 0  # idempotent
    # Once rotated, the old key can go: a ring with only the new key opens everything.
    only_new = _app_with(tmp_path, database_url, redis_url, NEW, "only-new")
    with only_new.app_context():
        att = db.scalars(select(Attachment)).first()
        assert open_text(att.filename_sealed) == "evidence.txt"
        db.commit()
    assert scalars(db, select(AuditEvent).where(AuditEvent.action == "keys.rotated"))
    for a in (old_app, new_app, only_new):
        a.extensions["c2c_engine"].dispose()


class KilledError(Exception):
    pass


def test_rotation_killed_halfway_resumes(tmp_path, database_url, redis_url, app, db):
    old_app = _app_with(tmp_path, database_url, redis_url, OLD, "old")
    ids = [make_case(old_app, db) for _ in range(4)]
    new_app = _app_with(tmp_path, database_url, redis_url, f"{NEW},{OLD}", "new")

    def kill(batch: int) -> None:
        if batch == 2:
            raise KilledError

    with new_app.app_context():
        with pytest.raises(KilledError):
            keys.rotate(db, batch_size=1, after_batch=kill)
        db.rollback()
        assert _kids(db) == {"old", "new"}
        pending = keys.pending(db)
        db.commit()
        assert pending  # some left
        result = keys.rotate(db, batch_size=1)
        assert result.total > 0 and not result.failed
    assert _kids(db) == {"new"}
    assert len(ids) == 4
    for a in (old_app, new_app):
        a.extensions["c2c_engine"].dispose()


def test_values_no_key_opens_are_reported_not_fatal(tmp_path, database_url, redis_url, app, db):
    lost = _app_with(tmp_path, database_url, redis_url, f"lost:{_key()}", "lost")
    make_case(lost, db)
    new_app = _app_with(tmp_path, database_url, redis_url, NEW, "new")
    out = new_app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert out.exit_code == 1 and "could not be opened" in out.output
    for a in (lost, new_app):
        a.extensions["c2c_engine"].dispose()
