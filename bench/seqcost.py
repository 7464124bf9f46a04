"""The audit companion as a background of the ingest ladder, and what it costs.

`Companion` starts `python -m workers --audit` (the sequencer, as deployed) for one ladder
run and measures, over exactly that run, the CPU seconds of its whole process tree (RQ forks
a work horse per 10-second job: the parent's own time, its reaped children's, and the live
horse's, read from /proc so nothing extra is installed), the entries it sequenced and the
batches it signed (the growth of `audit_log_state.size` and of the checkpoint rows). CPU per
entry and per batch are those divided.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import start_worker, stop_process, wait_for

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from 3 (state) on


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid`, its children it has reaped, and its live descendants."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 (index 11-14 counting from field 3).
    total = sum(int(x) for x in fields[11:15]) / _TICK
    for child in _children(pid):
        total += tree_cpu_seconds(child) if _stat(child) is not None else 0.0
    return total


@dataclass
class SequencerCost:
    cpu_s: float = 0.0
    entries: int = 0
    batches: int = 0

    def per_entry_ms(self) -> float:
        return self.cpu_s * 1000 / self.entries if self.entries else float("nan")

    def per_batch_ms(self) -> float:
        return self.cpu_s * 1000 / self.batches if self.batches else float("nan")

    def describe(self) -> str:
        if not self.entries:
            return f"{self.cpu_s:.1f} s CPU, nothing sequenced"
        return (f"{self.per_entry_ms():.2f} ms CPU/entry, {self.per_batch_ms():.1f} ms/batch "
                f"({self.entries} entries in {self.batches} batches, {self.entries / max(self.batches, 1):.0f}"
                f"/batch, {self.cpu_s:.1f} s CPU)")


def _counts(engine: Any) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from models import AuditCheckpoint, AuditEvent, AuditLogState

    with engine.connect() as conn:
        size = conn.execute(select(func.coalesce(func.max(AuditLogState.size), 0))).scalar_one()
        batches = conn.execute(select(func.count()).select_from(AuditCheckpoint)
                               .where(AuditCheckpoint.kind == "checkpoint")).scalar_one()
        pending = conn.execute(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.seq.is_(None))).scalar_one()
    return int(size), int(batches), int(pending)


class Companion:
    """`with Companion(env, url, log) as c:` ... `c.cost` once the block has ended."""

    def __init__(self, env: dict[str, str], url: str, log_path: Path) -> None:
        self.env, self.url, self.log_path = env, url, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.cost = SequencerCost()
        self.engine: Any = None
        self._start: tuple[float, int, int] = (0.0, 0, 0)

    def __enter__(self) -> Companion:
        from c2c_safety.core.db import make_engine

        self.engine = make_engine(self.url)
        self.proc = start_worker({**self.env, "C2C_LOG_LEVEL": "WARNING"}, "--audit", log_path=self.log_path)
        # Whatever an earlier run left pending is sequenced before this run's clock starts.
        wait_for(lambda: _counts(self.engine)[2] == 0, 300, "the audit backlog to be sequenced", interval=0.5)
        size, batches, _ = _counts(self.engine)
        self._start = (tree_cpu_seconds(self.proc.pid), size, batches)
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.proc is not None
        try:
            wait_for(lambda: _counts(self.engine)[2] == 0, 60, "the run's entries to be sequenced", interval=0.2)
        except TimeoutError:
            pass  # counted as far as it got; the lag step reports what is left pending
        finally:
            cpu = tree_cpu_seconds(self.proc.pid)
            size, batches, _ = _counts(self.engine)
            cpu0, size0, batches0 = self._start
            self.cost = SequencerCost(cpu - cpu0, size - size0, batches - batches0)
            stop_process(self.proc, timeout=20)
            self.engine.dispose()
