"""Scoring pipeline bench: committed items → scores stored, through ONE real worker process.

    python -m bench pipeline        (or `make bench`; sizes from the environment below)

Real Redis (embedded), SQLite (or a fresh PostgreSQL db next to C2C_BENCH_PG_URL), and real
`python -m workers` subprocesses.

Rows:
- raw: `score_batch` of the default encoder + heads on the same texts, per batch size
  (bench.bench_classifier_raw.raw_throughput), in this process, with the worker idle.
- pipeline: N items committed, then one job per item enqueued exactly as ingest does, timed
  until every score row is stored (polled). Compared with raw at the same batch size,
  alternately, C2C_BENCH_REPEATS times (the machine is shared): medians compared.
- latency: items committed + enqueued open-loop at a steady rate; latency = first time a
  poller (every 20 ms) sees the score row − the moment the item's commit returned.
- memory: worker parent RSS and the largest work-horse RSS around item 100 and at the end
  of M items; by default M=10,000 scored with the real default model (multilingual e5-small,
  int8 lower layers: a few minutes on this 2-core box). C2C_BENCH_MEM_MODEL=tiny runs the
  whole pipeline with a tiny HF checkpoint instead (claims, writes, triage, RQ jobs, forks).
- loads: the model loads per worker process, from the Redis counter the worker keeps.

Environment: C2C_BENCH_ITEMS (400) C2C_BENCH_RAW_SWEEP ("32") C2C_BENCH_SWEEP_TEXTS
(192) C2C_BENCH_PIPELINE_SWEEP ("32"; latency runs with the last) C2C_BENCH_BATCH (32, the
memory run) C2C_BENCH_REPEATS (3) C2C_BENCH_RATE (5, the issue's steady rate) C2C_BENCH_LATENCY_SECONDS (30)
C2C_BENCH_MEM_ITEMS (10000) C2C_BENCH_MEM_MODEL (default|tiny) C2C_BENCH_ONE_THREAD (1: also the
comparison with the model on one torch thread, so the writer has a core of its own)
C2C_BENCH_PG_URL (unset: SQLite) C2C_BENCH_WORKDIR (unset: a temp dir). 0 skips a part (items:
pipeline+latency, seconds, MEM_ITEMS, sweeps).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.bench_classifier_raw import synthetic_texts
from bench.registry import Row
from c2c_safety.core.queueing import QUEUES as SCORING_QUEUES  # what the desk worker serves

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, StopIteration):
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


class Desk:
    """Redis + database + the bench's own app (for committing items and reading results)."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        from bench.servers import create_schema
        from c2c_safety import create_app
        from c2c_safety.core.config import Config
        from c2c_safety.core.redis_conn import start_embedded

        self.tmp = tmp
        self.redis_url = start_embedded(tmp / "redis", own=False)
        self.database_url = database_url
        create_schema(database_url)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
        self.env.update({"C2C_ENV": "test", "C2C_INSTANCE_PATH": str(tmp / "instance"),
                         "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": self.redis_url,
                         "C2C_LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)})
        if "C2C_TORCH_THREADS" in os.environ:  # same thread settings on both sides
            self.env["C2C_TORCH_THREADS"] = os.environ["C2C_TORCH_THREADS"]
        self.app = create_app(Config.from_env(self.env))
        self.counter = 0
        # The bench's own polling reads through a plain engine: the app's SQLite engine
        # opens every transaction with BEGIN IMMEDIATE (the write lock), and polling with
        # it every few ms would slow the worker's writes and so the numbers measured.
        from sqlalchemy import create_engine

        from c2c_safety.core.db import make_engine

        self.reader = (create_engine(database_url) if database_url.startswith("sqlite")
                       else make_engine(database_url))

    @property
    def redis(self):  # type: ignore[no-untyped-def]
        from c2c_safety.core.redis_conn import get_redis

        return get_redis(self.app)

    def commit_items(self, texts: list[str]) -> list[int]:
        from c2c_safety.core.db import new_session
        from models import ReviewItem

        s = new_session(self.app)
        try:
            rows = []
            for text in texts:
                self.counter += 1
                rows.append(ReviewItem(content_type="chat", platform_content_id=f"b-{self.counter}",
                                       text=text, author_pseudonym=f"a-{self.counter % 97}",
                                       author_age_band="13to15", author_role="student"))
            s.add_all(rows)
            s.commit()
            return [r.id for r in rows]
        finally:
            s.close()

    def enqueue(self, ids: list[int]) -> None:
        from c2c_safety.core.queueing import enqueue

        with self.app.app_context():
            enqueue("workers.scoring.score_items", ids)

    def scored_count(self, lo: int, hi: int) -> int:
        from sqlalchemy import func, select

        from models import ReviewItem

        with self.reader.connect() as conn:
            return int(conn.execute(select(func.count()).where(
                ReviewItem.id.between(lo, hi), ReviewItem.score_status == "scored")).scalar() or 0)

    def worker(self, classifier: str, batch: int) -> subprocess.Popen[bytes]:
        env = {**self.env, "C2C_CLASSIFIER": classifier, "C2C_SCORING_BATCH": str(batch)}
        self.redis.delete("c2c:classifier:status")
        with (self.tmp / "worker.log").open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.wait(lambda: (self.redis.get("c2c:classifier:status") or b"").startswith(b"ok"), 300,
                  "worker preload", proc)
        self.wait_idle(proc)
        return proc

    def wait_idle(self, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
        from rq import Queue, Worker

        def idle() -> bool:
            queues = sum(Queue(q, connection=self.redis).count for q in SCORING_QUEUES)
            # Only the scoring worker: the audit companion it starts is busy nearly all the
            # time (each sequencer run holds its 10 s slot), and waiting until a poll happened
            # to catch it between runs once read as "queue drained after 137 s".
            workers = [w for w in Worker.all(connection=self.redis) if set(w.queue_names()) & set(SCORING_QUEUES)]
            return queues == 0 and bool(workers) and all(w.get_state() == "idle" for w in workers)

        self.wait(idle, timeout, "worker idle", proc)

    def wait(self, check: object, timeout: float, what: str, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited during {what}; see {self.tmp / 'worker.log'}")
            if check():  # type: ignore[operator]
                return
            time.sleep(0.05)
        raise TimeoutError(f"{what} not reached in {timeout:.0f}s; see {self.tmp / 'worker.log'}")

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()  # warm shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _throughput(desk: Desk, proc: subprocess.Popen[bytes], texts: list[str]) -> tuple[float, float]:
    """(items/s until every score is stored, seconds until the queue is drained)."""
    ids = desk.commit_items(texts)
    started = time.monotonic()
    for item_id in ids:  # one job per item, as ingest enqueues them
        desk.enqueue([item_id])
    desk.wait(lambda: desk.scored_count(ids[0], ids[-1]) == len(ids), 1800, "all scored", proc)
    stored = time.monotonic() - started
    desk.wait_idle(proc)
    return len(ids) / stored, time.monotonic() - started


def _latency(desk: Desk, proc: subprocess.Popen[bytes], rate: int, seconds: int,
             texts: list[str]) -> list[float]:
    from sqlalchemy import select

    from models import ItemScore

    committed: dict[int, float] = {}
    seen: dict[int, float] = {}
    done = threading.Event()

    def poll() -> None:
        last = 0
        engine = desk.reader
        while not done.is_set():
            with engine.connect() as conn:
                rows = conn.execute(select(ItemScore.id, ItemScore.subject_id)
                                    .where(ItemScore.id > last).order_by(ItemScore.id)).all()
            now = time.time()
            for row_id, subject_id in rows:
                seen.setdefault(subject_id, now)
                last = row_id
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    total = rate * seconds
    t0 = time.monotonic()
    for i in range(total):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        [item_id] = desk.commit_items([texts[i % len(texts)]])
        committed[item_id] = time.time()
        desk.enqueue([item_id])
    desk.wait(lambda: len(seen.keys() & committed.keys()) == total, 600, "latency items scored", proc)
    done.set()
    poller.join(timeout=5)
    return sorted(seen[i] - committed[i] for i in committed)


def _memory(desk: Desk, classifier: str, batch: int, n: int) -> dict[str, float]:
    proc = desk.worker(classifier, batch)
    samples: list[tuple[int, int, int]] = []  # (scored, parent rss kB, largest horse rss kB)
    ids = desk.commit_items(synthetic_texts(n))
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            horses = [_rss_kb(c) for c in _children(proc.pid)]
            samples.append((desk.scored_count(ids[0], ids[-1]), _rss_kb(proc.pid), max(horses, default=0)))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    for start in range(0, n, batch):  # chunked jobs, as the reconciler and rescore enqueue
        desk.enqueue(ids[start:start + batch])
    try:
        desk.wait(lambda: desk.scored_count(ids[0], ids[-1]) == n, 3600, "memory items scored", proc)
        elapsed = time.monotonic() - started
        desk.wait_idle(proc)
    finally:
        done.set()
        sampler.join(timeout=5)
        desk.stop(proc)
    early = [s for s in samples if 100 <= s[0] <= max(300, n // 20)]
    late = [s for s in samples if s[0] >= n - max(200, n // 10)]
    return {
        "parent_100": early[0][1] / 1024 if early else 0.0,
        "parent_end": samples[-1][1] / 1024,
        "horse_100": max(s[2] for s in early) / 1024 if early else 0.0,
        "horse_end": max(s[2] for s in late) / 1024 if late else 0.0,
        "rate": n / elapsed,
    }


@contextlib.contextmanager
def _workdir() -> Iterator[str]:
    """A temp dir, or C2C_BENCH_WORKDIR (kept: worker.log has per-batch timings)."""
    keep = os.environ.get("C2C_BENCH_WORKDIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="c2c-bench-pipeline-") as tmp:
        yield tmp


@contextlib.contextmanager
def _database(tmp: Path) -> Iterator[str]:
    base = os.environ.get("C2C_BENCH_PG_URL")
    if not base:
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    from bench.servers import pg_database

    with pg_database(base, "c2c_bench_pipeline") as url:
        yield url


def _ints(name: str, default: str) -> list[int]:
    return [int(b) for b in (os.environ.get(name) or default).split(",") if b.strip() and int(b) > 0]


def _raw_rows(texts: list[str]) -> list[Row]:
    from bench.bench_classifier_raw import raw_throughput

    sweep_texts = texts[: _env_int("C2C_BENCH_SWEEP_TEXTS", 192)]
    return [Row("pipeline", f"raw score_batch, batch {b}", f"{raw_throughput(sweep_texts, b):.1f} items/s",
                note=f"{len(sweep_texts)} synthetic chat texts, default model, this process")
            for b in _ints("C2C_BENCH_RAW_SWEEP", "32")]


def _pipeline_rows(desk: Desk, texts: list[str], note_load: str) -> list[Row]:
    """Per batch size: one worker; raw and pipeline measured alternately REPEATS times on
    the same texts (the box is shared: single runs swung ±20 %); medians compared."""
    from bench.bench_classifier_raw import raw_throughput

    rate, seconds = _env_int("C2C_BENCH_RATE", 5), _env_int("C2C_BENCH_LATENCY_SECONDS", 30)
    sizes, repeats = _ints("C2C_BENCH_PIPELINE_SWEEP", "32"), _env_int("C2C_BENCH_REPEATS", 3)
    rows: list[Row] = []
    for b in sizes:
        proc = desk.worker("default", b)
        try:
            raws, pipes, drained = [raw_throughput(texts, b)], [], 0.0
            for _ in range(repeats):
                pipe, drained = _throughput(desk, proc, texts)
                pipes.append(pipe)
                raws.append(raw_throughput(texts, b))
            pipe, raw = statistics.median(pipes), statistics.median(raws)
            rows += [
                Row("pipeline", f"end-to-end throughput, batch {b}", f"{pipe:.1f} items/s",
                    note=f"median of {' '.join(f'{x:.0f}' for x in pipes)}; {len(texts)} items, one job "
                         f"each; queue drained after {drained:.1f}s"),
                Row("pipeline", f"raw throughput, batch {b}", f"{raw:.1f} items/s",
                    note=f"median of {' '.join(f'{x:.0f}' for x in raws)} (before, between and after)"),
                Row("pipeline", f"pipeline / raw, batch {b}", f"{pipe / raw:.0%}", "≥ 85%", pipe / raw >= 0.85,
                    note_load),
            ]
            if b == sizes[-1] and seconds > 0:
                lat = _latency(desk, proc, rate, seconds, texts)
                p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
                rows += [
                    Row("pipeline", f"latency ingest→scored at {rate}/s, p50", f"{p50:.2f} s",
                        note=f"{len(lat)} items over {seconds}s, batch {b}"),
                    Row("pipeline", f"latency ingest→scored at {rate}/s, p95", f"{p95:.2f} s", "< 2 s",
                        p95 < 2.0, f"max {lat[-1]:.2f} s"),
                ]
        finally:
            desk.stop(proc)
    return rows


def _one_thread_rows(desk: Desk, texts: list[str], note_load: str) -> list[Row]:
    """The same comparison with the model on ONE torch thread, in raw and in the worker alike
    (issue 24.3): the worker's writer thread, the database and Redis then have the other core
    to themselves instead of taking it from the model, so what remains between pipeline and
    raw is the worker's own overhead, not two processes sharing two cores."""
    import torch

    b, repeats = 32, _env_int("C2C_BENCH_REPEATS", 3)
    before_threads, before_env = torch.get_num_threads(), desk.env.get("C2C_TORCH_THREADS")
    desk.env["C2C_TORCH_THREADS"] = "1"
    torch.set_num_threads(1)
    proc = desk.worker("default", b)
    try:
        raws, pipes = [_raw_at_one_thread(texts, b)], []
        for _ in range(repeats):
            pipes.append(_throughput(desk, proc, texts)[0])
            raws.append(_raw_at_one_thread(texts, b))
    finally:
        desk.stop(proc)
        torch.set_num_threads(before_threads)
        if before_env is None:
            desk.env.pop("C2C_TORCH_THREADS", None)
        else:
            desk.env["C2C_TORCH_THREADS"] = before_env
    pipe, raw = statistics.median(pipes), statistics.median(raws)
    return [Row("pipeline", f"pipeline / raw, batch {b}, model on 1 torch thread (writer, database and "
                "Redis on the other core)", f"{pipe / raw:.0%} ({pipe:.1f} / {raw:.1f} items/s)", "≥ 85%",
                pipe / raw >= 0.85, f"medians of pipeline {' '.join(f'{x:.0f}' for x in pipes)} and raw "
                f"{' '.join(f'{x:.0f}' for x in raws)}; {note_load}")]


def _raw_at_one_thread(texts: list[str], batch: int) -> float:
    import torch

    from bench.bench_classifier_raw import raw_throughput

    before = os.environ.get("C2C_TORCH_THREADS")
    os.environ["C2C_TORCH_THREADS"] = "1"  # a model (re)loaded now configures one thread too
    torch.set_num_threads(1)
    try:
        return raw_throughput(texts, batch)
    finally:
        if before is None:
            os.environ.pop("C2C_TORCH_THREADS", None)
        else:
            os.environ["C2C_TORCH_THREADS"] = before


def _memory_rows(desk: Desk, tmp: Path) -> list[Row]:
    n_mem = _env_int("C2C_BENCH_MEM_ITEMS", 10_000)
    if n_mem <= 0:
        return []
    tiny = os.environ.get("C2C_BENCH_MEM_MODEL", "default") == "tiny"
    spec = f"hf:{_tiny_checkpoint(tmp)}" if tiny else "default"
    mem = _memory(desk, spec, _env_int("C2C_BENCH_BATCH", 32), n_mem)
    what = "tiny HF model" if tiny else "default model"
    rows = []
    for who in ("parent", "horse"):
        a, b = mem[f"{who}_100"], mem[f"{who}_end"]
        rows.append(Row("pipeline", f"worker {who} RSS at 100 → {n_mem} items", f"{a:.0f} → {b:.0f} MB",
                        "≤ +10%", b <= 1.10 * a if a else None,
                        f"{what}, {mem['rate']:.0f} items/s, chunked jobs" if who == "parent" else
                        "largest work horse alive near item 100 / in the last 10%"))
    return rows


def run() -> list[Row]:
    from c2c_safety.core.redis_conn import stop_embedded

    # The worker sets this before torch loads (workers/__main__.py); raw must run the same way.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    n_items = _env_int("C2C_BENCH_ITEMS", 400)
    texts = synthetic_texts(max(n_items, 192))
    note_load = (f"1-min load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start; "
                 f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    rows = _raw_rows(texts)
    with _workdir() as tmp_name, _database(Path(tmp_name)) as db_url:
        tmp = Path(tmp_name)
        desk = Desk(tmp, db_url)
        try:
            if n_items > 0:
                rows += _pipeline_rows(desk, texts[:n_items], note_load)
                if os.environ.get("C2C_BENCH_ONE_THREAD", "1") != "0":
                    rows += _one_thread_rows(desk, texts[:n_items], note_load)
            rows += _memory_rows(desk, tmp)
            loads = {k.decode(): int(v) for k, v in desk.redis.hgetall("c2c:classifier:loads").items()}
            rows.append(Row("pipeline", "model loads per worker process",
                            ", ".join(str(v) for v in loads.values()), "1 each",
                            bool(loads) and all(v == 1 for v in loads.values()),
                            f"{len(loads)} worker processes started; Redis c2c:classifier:loads"))
        finally:
            desk.app.extensions["c2c_engine"].dispose()
            desk.reader.dispose()
            stop_embedded(tmp / "redis")
    return rows


def _tiny_checkpoint(tmp: Path) -> Path:
    from tests.support.scoring import build_tiny

    return build_tiny(tmp / "tiny")

