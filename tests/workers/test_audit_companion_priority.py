"""The audit companion yields the CPU to web requests (issue 24): it runs niced, and so do
the work horses it forks, while the lag budget is the bench's to show (bench_ingest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workers.test_worker import worker_env
from workers.__main__ import AUDIT_NICE_DEFAULT, audit_niceness

ROOT = Path(__file__).resolve().parents[2]


def _nice_of(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return int(raw[raw.rindex(")") + 2:].split()[16])  # field 19: nice


@pytest.mark.parametrize(("raw", "expected"), [("", AUDIT_NICE_DEFAULT), ("0", 0), ("12", 12), ("99", 19),
                                               ("-4", 0), ("high", AUDIT_NICE_DEFAULT)])
def test_niceness_setting_is_bounded(monkeypatch, raw, expected):
    monkeypatch.setenv("C2C_AUDIT_NICE", raw)
    assert audit_niceness() == expected


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_companion_process_runs_at_a_lower_priority(app, redis_conn, database_url, redis_url):
    env = {**worker_env(app, database_url, redis_url), "C2C_AUDIT_NICE": "7"}
    base = _nice_of(os.getpid())
    proc = subprocess.Popen([sys.executable, "-m", "workers", "--audit"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _nice_of(proc.pid) == base:
            time.sleep(0.1)
        assert _nice_of(proc.pid) == min(19, base + 7)
    finally:
        # Its whole process group, work horse included: a warm shutdown would wait for the
        # sequencer's 10-second slot, and this test only reads priorities.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
