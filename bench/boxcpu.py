"""CPU per request, by process and for the whole box: the ingest ladder's per-request budget.

The ladder (bench/bench_ingest.py) says how fast the desk goes before p99 breaks; this says
why. At one fixed rate, below both endpoints' saturation, it offers the desk and the bare
insert the same load and reads, from /proc, the CPU each part spent per request: the
gunicorn process tree, every PostgreSQL process, this client, Redis, the audit companion,
and the whole box (/proc/stat: user, system, irq and softirq, so the kernel's network time
counts too; steal does not). On a box where all of these share the cores, the ratio of the two
box figures is the most the desk could sustain relative to the bare insert; on a bigger box
each part has its own cores, and the web process's figure is the one to size by.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import Reply, open_loop
from bench.seqcost import tree_cpu_seconds

_TICK = os.sysconf("SC_CLK_TCK")
PARTS = ("web", "postgres", "client", "redis", "companion")


def box_busy_seconds() -> float:
    """CPU seconds the whole box has been busy (all cores): user, nice, system, irq and
    softirq; not idle, iowait or steal (time the hypervisor gave to another guest)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / _TICK


def postgres_seconds() -> float:
    """CPU seconds of every process the postgres user runs (the server and its backends)."""
    pids = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True, check=False).stdout.split()
    return sum(tree_cpu_seconds(int(p)) for p in pids)


def _client_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass(frozen=True)
class Split:
    label: str
    rate: float
    achieved: float
    p99_ms: float
    per_request_ms: dict[str, float]  # PARTS, then "box"

    def describe(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in self.per_request_ms.items() if k != "box")
        return (f"{self.label} at {self.rate:.0f}/s offered ({self.achieved:.0f}/s ok, p99 {self.p99_ms:.0f} ms): "
                f"whole box {self.per_request_ms['box']:.2f} ms CPU per request ({parts})")


def measure(label: str, send: Callable[[int], Reply], rate: float, seconds: float, *, web_pid: int,
            redis_pid: int | None, companion_pid: int | None) -> Split:
    """Offer `rate` for `seconds` (open loop, 202 expected) and split the CPU it cost."""
    def sample() -> list[float]:
        return [tree_cpu_seconds(web_pid), postgres_seconds(), _client_seconds(),
                tree_cpu_seconds(redis_pid) if redis_pid else 0.0,
                tree_cpu_seconds(companion_pid) if companion_pid else 0.0, box_busy_seconds()]

    for n in range(30):  # warm-up: imports, pools, statement caches
        send(n)
    before = sample()
    step = open_loop(send, rate, seconds, ok_status=202)
    after = sample()
    n = max(1, step.sent)
    spent = {k: (b - a) / n * 1000 for k, a, b in zip((*PARTS, "box"), before, after, strict=True)}
    return Split(label, rate, step.achieved, step.pct(99), spent)


def run_pair(env: dict[str, str], url: str, key: str, redis_pid: int | None, tmpdir: Path,
             rate: float = 150.0, seconds: float = 10.0) -> tuple[Split, Split]:
    """The desk (2 gunicorn workers x 4 threads, the audit companion sequencing) and the bare
    insert, one after the other, at the same rate."""
    from bench.bench_ingest import GUNICORN_WORKERS, _sender, start_side
    from bench.seqcost import Companion

    out: list[Split] = []
    for label, app, api_key in (("desk", "app:app", key), ("bare", "bench.bare_app:app", None)):
        with Companion(env, url, tmpdir / f"audit-split-{label}.log") as companion:
            server = start_side(env, url, app, GUNICORN_WORKERS, f"split-{label}", tmpdir)
            try:
                assert server.proc is not None and companion.proc is not None
                out.append(measure(label, _sender(server.base, api_key, f"split-{label}-{os.getpid()}"), rate,
                                   seconds, web_pid=server.proc.pid, redis_pid=redis_pid,
                                   companion_pid=companion.proc.pid))
            finally:
                server.stop()
    return out[0], out[1]
