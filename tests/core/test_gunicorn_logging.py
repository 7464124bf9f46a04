"""No client address in any log of the server (issue 10, item 9).

A real gunicorn, started with the shipped gunicorn.conf.py, is sent malformed requests
(gunicorn answers those itself and used to log "Invalid request from ip=..."), a PROXY
line, normal pages and the anonymous forms, from a distinctive loopback address; then its
whole output is read. The control run, with gunicorn's defaults, shows the same requests do
put the address in the log, so the check can see a leak when there is one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.servers import free_port, stop_process, wait_for
from c2c_safety.core.serving import scrub

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "127.0.0.77"  # every request below comes from this address

MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET /report HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /report HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"POST /report/follow-up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"PROXY TCP4 127.0.0.77 127.0.0.1 5000 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
]
NORMAL = [
    b"GET /report HTTP/1.1\r\nHost: x\r\nUser-Agent: ReporterPhone/1.0\r\nConnection: close\r\n\r\n",
    b"GET /report/follow-up?lang=da HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.77\r\n"
    b"Connection: close\r\n\r\n",
    b"POST /report/follow-up HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 24\r\nConnection: close\r\n\r\nreceipt=1234567890123456",
    b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
]


def _send(port: int, raw: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((CLIENT, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(raw)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def _serve_and_attack(tmp_path: Path, database_url: str, redis_url: str, config: Path) -> str:
    port = free_port()
    log = tmp_path / f"{config.stem}.log"
    env = {**os.environ, "C2C_ENV": "test", "C2C_INSTANCE_PATH": str(tmp_path / "instance"),
           "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url, "C2C_BCRYPT_ROUNDS": "4"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--log-level", "info", "app:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return bool(resp.status == 200)

        wait_for(up, 60, "gunicorn")
        for raw in MALFORMED + NORMAL:
            _send(port, raw)
        time.sleep(0.5)  # let the workers flush their log lines
    finally:
        stop_process(proc)
        proc.wait(timeout=20)
    return log.read_text(errors="replace")


def test_shipped_gunicorn_config_logs_no_client_address(tmp_path, database_url, redis_url, schema_engine):
    text = _serve_and_attack(tmp_path, database_url, redis_url, ROOT / "gunicorn.conf.py")
    assert "Invalid request from ip=[address]" in text  # the malformed requests were logged...
    assert "GET /report 200" in text and "POST /report/follow-up" in text  # ...and the access log works
    assert CLIENT not in text  # ...but never with the address
    assert "ReporterPhone" not in text and "1234567890123456" not in text
    assert scrub(text) == text  # no IPv4/IPv6 address of any kind, server's own included


@pytest.mark.slow
def test_control_gunicorn_defaults_do_write_the_address(tmp_path, database_url, redis_url, schema_engine):
    empty = tmp_path / "defaults.conf.py"
    empty.write_text("accesslog = '-'\n")
    text = _serve_and_attack(tmp_path, database_url, redis_url, empty)
    assert f"Invalid request from ip={CLIENT}" in text
