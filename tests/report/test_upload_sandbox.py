"""An anonymous upload cannot take the desk down (issue 10, item 8).

The finding: one 150 KB PNG of 6,300 x 6,300 pixels took 14 s and 1.3 GB in the web
process; two concurrent posts of three got both gunicorn workers killed and the reports
lost. Here the same files go through the real form: the work happens in sandboxed children
(bounded memory and time), the web process does not grow, and the report is always saved.
"""

from __future__ import annotations

import io
import os
import resource
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from bench.servers import free_port, stop_process, wait_for
from c2c_safety.core import sandbox
from models import Attachment, CaseFile
from tests.support.intake import TOKEN_RE, follow_up, receipt_of, submit_report

ROOT = Path(__file__).resolve().parents[2]


def big_png(side: int = 6300) -> bytes:
    """The finding's file: ~130 KB on the wire, 40 megapixels decoded."""
    buf = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 40)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_bomb(side: int = 40_000) -> bytes:
    """A one-bit 40,000 x 40,000 PNG (1.6 gigapixels) in ~200 KB, built by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    comp = zlib.compressobj(9)
    row = b"\x00" * (1 + side // 8)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _case_files(db) -> tuple[CaseFile, list[Attachment]]:
    db.expire_all()
    case = db.scalars(select(CaseFile)).one()
    atts = list(db.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    db.commit()
    return case, atts


def test_big_png_and_bomb_cost_the_sandbox_not_the_web_process_and_the_report_is_saved(app, client, db):
    picture, bomb = big_png(), png_bomb()  # (making the picture costs this process 160 MB once)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    resp = submit_report(client, {"what": "Photos of the chat attached.", "attachments": [
        (io.BytesIO(picture), "screenshot.png"), (io.BytesIO(bomb), "bomb.png")]})
    elapsed = time.monotonic() - start
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and receipt_of(resp)
    assert "These files were not attached" in html and "bomb.png: the picture is too large" in html
    _case, atts = _case_files(db)
    assert [a.media_type for a in atts] == ["image/png"]  # the 40 MP picture fits the budget
    assert elapsed < sandbox.REQUEST_SECONDS + 15  # bounded by the request's budget, whatever the load
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 150, f"the web process grew by {grown_mb:.0f} MB"  # decoding it needs ~400 MB
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 200 * 1024  # ...which a child used


def test_a_file_that_overruns_the_sandbox_is_refused_and_the_report_kept(app, client, db):
    app.config["C2C_UPLOAD_SANDBOX_MEMORY"] = 150 * 1024 * 1024  # less than the picture needs
    resp = submit_report(client, {"what": "See the picture.",
                                  "attachments": [(io.BytesIO(big_png()), "huge.png")]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and receipt_of(resp)
    assert "huge.png: this file needs too much work to check" in html
    case, atts = _case_files(db)
    assert atts == [] and case.body_sealed is not None


def test_when_every_slot_is_busy_the_file_waits_then_is_refused_and_the_report_kept(app, client, db):
    app.config.update(C2C_UPLOAD_SANDBOXES=1, C2C_UPLOAD_SLOT_WAIT=1)
    with app.app_context(), sandbox.slot(0) as held:
        assert held  # the machine's only slot is taken (as by a long check elsewhere)
        resp = submit_report(client, {"what": "Picture attached.",
                                      "attachments": [(io.BytesIO(big_png(64)), "small.png")]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and receipt_of(resp)
    assert "small.png: many files are being checked right now" in html
    receipt = receipt_of(resp)
    # The slot is free again: the reporter adds the file later with the receipt.
    resp = follow_up(client, receipt, action="reply", message="",
                     attachments=[(io.BytesIO(big_png(64)), "small.png")])
    assert resp.status_code == 200 and "Your message has been sent." in resp.get_data(as_text=True)
    assert [a.media_type for a in _case_files(db)[1]] == ["image/png"]


def test_slots_are_freed_when_their_holder_dies(app, tmp_path):
    app.config["C2C_UPLOAD_SANDBOXES"] = 1
    folder = Path(app.instance_path) / "sandbox-slots"
    folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(folder / 'slot-0')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with app.app_context(), sandbox.slot(0.2) as got:
            assert not got
        holder.kill()  # SIGKILL, as the kernel's OOM killer would
        holder.wait()
        with app.app_context(), sandbox.slot(1) as got:
            assert got
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


@pytest.mark.slow
def test_two_concurrent_posts_of_three_big_pictures_on_a_real_gunicorn(tmp_path, database_url, redis_url,
                                                                        schema_engine, db):
    """The finding, replayed against gunicorn with the shipped config: both reports saved,
    no worker killed, staff sign-in page still answers quickly."""
    port = free_port()
    env = {**os.environ, "C2C_ENV": "test", "C2C_INSTANCE_PATH": str(tmp_path / "instance"),
           "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url, "C2C_BCRYPT_ROUNDS": "4"}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                 "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200, 60, "gunicorn")
        picture = big_png()
        results: list[int] = []

        def post() -> None:
            with urllib.request.urlopen(base + "/report", timeout=30) as page:
                token = TOKEN_RE.search(page.read().decode()).group(1)  # type: ignore[union-attr]
            boundary = "c2cboundary"
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in {"form_token": token, "category": "other", "what": "three pictures"}.items()]
            for i in range(3):
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                             f'filename="p{i}.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + picture + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            req = urllib.request.Request(base + "/report", data=body, method="POST", headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}"})
            with urllib.request.urlopen(req, timeout=90) as resp:
                results.append(resp.status)

        posts = [threading.Thread(target=post) for _ in range(2)]
        for t in posts:
            t.start()
        time.sleep(1.0)
        start = time.monotonic()
        with urllib.request.urlopen(base + "/login", timeout=30) as resp:
            assert resp.status == 200
        assert time.monotonic() - start < 5  # it took 44 s
        for t in posts:
            t.join(120)
        assert results == [200, 200]
        assert "WORKER TIMEOUT" not in log.read_text() and "SIGKILL" not in log.read_text()
        db.expire_all()
        assert len(db.scalars(select(CaseFile)).all()) == 2
        db.commit()
    finally:
        stop_process(proc)
        proc.wait(timeout=30)
