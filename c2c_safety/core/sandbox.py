"""Checking uploads outside the web process: a short-lived child with hard limits.

One PNG of 6,300 x 6,300 pixels (150 KB on the wire) once took 14 s and 1.3 GB inside a
gunicorn worker; two such posts got both workers killed and lost the reports. So every image
decode/re-encode and every PDF parse runs in `sandbox_child.py`, a separate Python process
that limits itself (address space, CPU seconds, no file writes) before it reads the file,
and that the web process kills if it overruns its wall-clock time. The worst a hostile file
can do is end that child: the caller gets a refusal code and the reporter's text is saved.

How many run at once: at most `slots` per machine, counted with `flock` on lock files under
the instance folder. Chosen over a per-process semaphore because gunicorn runs several
processes (each with threads) and memory, the thing protected, is per machine; over a Redis
semaphore because the kernel frees a lock the moment its holder dies (a SIGKILLed worker
leaks no slot, where Redis would wait for a TTL) and because Redis being down must not stop
files being checked. A request waits a few seconds for a slot, then the file is refused as
"busy" (the report itself is still saved). Worst-case memory for uploads on one machine is
`slots x memory limit`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context

from c2c_safety.core import sandbox_child

log = logging.getLogger(__name__)

CHILD = Path(sandbox_child.__file__).resolve()
MAX_PIXELS = 50_000_000  # a phone's full-resolution photo (48-50 MP) fits
MEMORY_LIMIT = 1024 * 1024 * 1024  # address space of one child: a 50 MP photo peaks at ~600 MB
CPU_SECONDS = 10  # per file; a 50 MP phone photo takes about 3 s on the project's machine
WALL_SECONDS = 15  # per file, including the wait for the child to start and page in
SLOT_WAIT_SECONDS = 10  # how long a request waits for a free slot before "busy"
REQUEST_SECONDS = 40.0  # all files of one request (gunicorn.conf.py's timeout is 60)
DEFAULT_SLOTS = 2
MAX_OUTPUT = 25 * 1024 * 1024  # a re-encoded image larger than this is refused


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str = ""  # the refusal (a translation key suffix) when not ok
    media_type: str = ""
    data: bytes = b""


class Deadline:
    """The time one request may spend checking its files, shared by all of them."""

    def __init__(self, seconds: float = REQUEST_SECONDS) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def _setting(name: str, default: int) -> int:
    """app.config (tests), else the environment (deployments), else the default."""
    value = current_app.config.get(name) if has_app_context() else None
    if value is None:
        value = os.environ.get(name) or default
    return int(value)


def _slots() -> tuple[int, Path]:
    if has_app_context():
        folder = Path(current_app.instance_path) / "sandbox-slots"
    else:  # scripts and unit tests outside an app: one folder per user on this machine
        folder = Path(tempfile.gettempdir()) / f"c2c-sandbox-slots-{os.getuid()}"
    return max(1, _setting("C2C_UPLOAD_SANDBOXES", DEFAULT_SLOTS)), folder


@contextlib.contextmanager
def slot(wait: float) -> Iterator[bool]:
    """Hold one of the machine's sandbox slots (True), or None free within `wait` (False)."""
    count, folder = _slots()
    folder.mkdir(parents=True, exist_ok=True)
    end = time.monotonic() + max(0.0, wait)
    held: int | None = None
    while held is None:
        for i in range(count):
            fd = os.open(folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held = fd
            break
        if held is None:
            if time.monotonic() >= end:
                yield False
                return
            time.sleep(0.05)
    try:
        yield True
    finally:
        os.close(held)  # closing the descriptor releases the lock


def _child_env() -> dict[str, str]:
    return {
        "C2C_SANDBOX_MEMORY": str(_setting("C2C_UPLOAD_SANDBOX_MEMORY", MEMORY_LIMIT)),
        "C2C_SANDBOX_CPU": str(_setting("C2C_UPLOAD_SANDBOX_CPU", CPU_SECONDS)),
        "C2C_SANDBOX_MAX_PIXELS": str(_setting("C2C_UPLOAD_MAX_PIXELS", MAX_PIXELS)),
        "C2C_SANDBOX_MAX_OUTPUT": str(MAX_OUTPUT), "LANG": "C.UTF-8",
        # glibc reserves 64 MB of address space per malloc arena; the limit is on address space.
        "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1",
    }


def check(kind: str, data: bytes, deadline: Deadline) -> Outcome:
    """Run the child for one file: kind is "pdf" or an image media type."""
    with slot(min(_setting("C2C_UPLOAD_SLOT_WAIT", SLOT_WAIT_SECONDS), deadline.left() - 1.0)) as got:
        if not got:
            log.warning("upload check refused: no sandbox slot free")
            return Outcome(False, "busy")
        wall = min(WALL_SECONDS, deadline.left())
        if wall < 1.0:
            return Outcome(False, "busy")
        started = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-I", str(CHILD), kind], input=data, capture_output=True,
                                  timeout=wall, env=_child_env(), close_fds=True, check=False)
        except subprocess.TimeoutExpired:
            log.warning("upload check killed after %.1f s (%s)", time.monotonic() - started, kind)
            return Outcome(False, "too_complex")
        except OSError as exc:
            log.error("upload sandbox could not start: %s", type(exc).__name__)
            return Outcome(False, "busy")
    return _parse(proc.returncode, proc.stdout, kind)


def _parse(returncode: int, out: bytes, kind: str) -> Outcome:
    head, _, body = out.partition(b"\n")
    words = head.decode("ascii", "replace").split()
    if returncode == 0 and words[:1] == ["OK"]:
        return Outcome(True, media_type=words[1] if len(words) > 1 else "", data=body)
    if returncode == 0 and words[:1] == ["NO"] and len(words) == 2:
        return Outcome(False, words[1])
    # Killed by the kernel (CPU limit: SIGXCPU; memory: an allocation failed hard) or crashed.
    log.warning("upload check ended abnormally (%s, exit %s)", kind, returncode)
    return Outcome(False, "too_complex")
