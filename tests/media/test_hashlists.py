"""Hash lists: imported all or nothing, audited, and matched from the worker's index."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.media import hashlists
from models import AuditEvent
from models.media import HashList, ListedHash
from workers import media_match
from workers.media_hash import hash_image


def _picture(size: tuple[int, int] = (640, 480), fmt: str = "PNG") -> bytes:
    img = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(img)
    for x in range(0, 640, 40):
        draw.rectangle((x, 0, x + 20, 480), fill=(x % 255, 90, 200))
    draw.ellipse((100, 100, 300, 300), fill="red")
    out = io.BytesIO()
    img.resize(size).save(out, fmt)
    return out.getvalue()


def _import(app: Flask, tmp_path: Path, text: str, *extra: str) -> tuple[int, str]:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    res = app.test_cli_runner().invoke(args=["media", "import-list", str(path), "--name", "hotline",
                                             "--source", "National hotline", "--action", "child_abuse", *extra])
    return res.exit_code, res.output


def test_formats_are_read_and_reimport_adds_nothing(app: Flask, db: Session, tmp_path: Path) -> None:
    a, b, c = "ab" * 32, "CD" * 32, "0f" * 32
    code, out = _import(app, tmp_path, f"# from the hotline\n{a},hl-1\n\n{b}\n")
    assert code == 0, out
    assert "2 added" in out
    # A ThreatExchange-style export: a header, other signal types skipped.
    code, out = _import(app, tmp_path, f"signal_type,signal,signal_id\npdq,{a},hl-1\nmd5,{'1' * 32},x\npdq,{c},hl-3\n")
    assert code == 0, out
    assert "1 added, 1 already listed, 1 rows of another signal type skipped" in out
    assert db.scalar(select(func.count()).select_from(ListedHash)) == 3
    ids = set(db.scalars(select(ListedHash.external_id)))
    assert ids == {"hl-1", "", "hl-3"}
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("media.%"))))
    assert actions.count("media.hash_list_imported") == 2 and "media.hash_list_created" in actions


def test_one_bad_row_refuses_the_whole_file(app: Flask, db: Session, tmp_path: Path) -> None:
    code, out = _import(app, tmp_path, f"{'ab' * 32}\nnot-a-hash\n")
    assert code == 1
    assert "row 2" in out and "64 hexadecimal" in out
    assert db.scalar(select(func.count()).select_from(ListedHash)) == 0
    assert db.scalar(select(func.count()).select_from(HashList)) == 0
    code, out = _import(app, tmp_path, "name,other\nx,y\n")
    assert code == 1 and "no PDQ column" in out
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage")
    res = app.test_cli_runner().invoke(args=["media", "import-list", str(tmp_path / "bin.csv"), "--name", "x",
                                             "--source", "y", "--action", "review"])
    assert res.exit_code == 1 and "not UTF-8" in res.output


def test_a_resized_copy_matches_and_a_switched_off_list_does_not(app: Flask, db: Session, tmp_path: Path) -> None:
    listed = hash_image(_picture())
    assert listed.matchable
    other = "%064x" % (int.from_bytes(listed.pdq, "big") ^ ((1 << 256) - 1))  # every bit flipped
    code, out = _import(app, tmp_path, f"{listed.pdq.hex()},ref-7\n{other},ref-8\n")
    assert code == 0, out
    copy = hash_image(_picture((320, 240), "JPEG"))
    assert copy.sha256 != listed.sha256
    found = media_match.match(db, copy.pdq)
    assert [(m.external_id, m.action, m.source) for m in found] == [("ref-7", "child_abuse", "National hotline")]
    assert found[0].distance <= 31
    list_id = db.scalar(select(HashList.id))
    db.rollback()  # SQLite: an open read transaction would block the command's write
    res = app.test_cli_runner().invoke(args=["media", "set-active", str(list_id), "no"])
    assert res.exit_code == 0, res.output
    db.expire_all()
    assert media_match.match(db, copy.pdq) == []
    with app.app_context():
        assert [s.hashes for s in hashlists.summaries(db)] == [2]
