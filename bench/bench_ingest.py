"""Ingest API under load: the sustained flag rate with p99 < 100 ms and no errors.

    python -m bench.bench_ingest [--rates 25 50 100 200 400] [--seconds 6] [--workers 1 2 4] [--pairs 3]

Runs `POST /api/v1/flags` under gunicorn against PostgreSQL (a fresh `c2c_load` database
next to C2C_TEST_PG_URL / the local service) and our own Redis, offering each rate open-loop
for a few seconds. **The desk as deployed** is the headline: the audit companion
(`python -m workers --audit`, the sequencer) runs through every step, and its CPU per
sequenced entry and per batch is measured (bench/seqcost.py).

The headline ratio comes from *interleaved pairs* (bench/ladder.py): the desk (2 gunicorn
workers, 4 threads each) and `bench/bare_app.py` (one INSERT per request, same settings,
same database server, same background: the companion runs, though the bare endpoint writes
nothing for it to sequence) are both up, and at each rate each takes its step before the
next rate starts. So both ladders see the same box; the ratio shows the desk's own
overhead. The pair runs `--pairs` times (3) and the median pair is the headline: one pair
on this shared box still swings by ±15 %. Then the desk alone with 1 and 4 workers (the
scaling row) and both endpoints without the sequencer (the sequencer's cost). No scoring
worker runs: scoring happens on other machines in production.

Then the audit sequencer: the desk (2 workers) is offered its sustained rate again while the
audit companion (`python -m workers --audit`) sequences; the lag from an entry's write to its
sequencing (`sequenced_at - at`) must stay under 2 s at p95 (issue 14).

Last, the per-request CPU budget (bench/boxcpu.py): desk and bare at 150/s, the CPU each part
of the box spent per request. On this box the ratio of the whole-box figures bounds the
ladder's ratio; on a bigger box the web process's figure is what web processes scale by.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import boxcpu, ladder
from bench.bare_app import create_table
from bench.ladder import P99_BUDGET_MS, good, sustained
from bench.loadgen import Reply, StepResult, flag_body, open_loop, post
from bench.registry import Row
from bench.seqcost import Companion, SequencerCost
from bench.servers import (
    Gunicorn,
    RedisServer,
    create_schema,
    desk_env,
    pg_database,
    shared_pg_url,
    start_worker,
    stop_process,
    wait_for,
)

RATES = (25, 50, 100, 200, 400, 600, 800, 1000, 1200)  # past where the bare insert saturates too
GUNICORN_WORKERS = 2
# Desk-and-bare pairs per run; the headline is the median pair. One pair's ratio swung 29-58 %
# between runs of the same code on this shared box (issue 24, round 7).
PAIRS = 3
GUNICORN_THREADS = 4
WORKER_COUNTS = (1, 2, 4)
RATIO_BUDGET = 0.40  # the desk's sustained rate / the bare insert's, same worker count
LAG_BUDGET_S = 2.0
SPLIT_RATE = 150.0  # below both endpoints' saturation on the 2-core box


def make_api_key(env: dict[str, str], name: str = "bench") -> str:
    """A real API client, made through the service the `api-clients create` command uses."""
    from c2c_safety import create_app
    from c2c_safety.core.config import Config
    from c2c_safety.core.db import new_session
    from c2c_safety.intake import api_keys

    app = create_app(Config.from_env(env))
    with app.app_context():
        s = new_session(app)
        key = api_keys.create_client(s, name).key
        s.commit()
        s.close()
    app.extensions["c2c_engine"].dispose()
    return key


def _sender(base: str, api_key: str | None, run_id: str) -> Callable[[int], Reply]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    counter = itertools.count()

    def send(_n: int) -> Reply:
        cid = f"{run_id}-{next(counter)}"
        return post(base, "/api/v1/flags", flag_body(cid, _n), {**headers, "Idempotency-Key": cid}, timeout=10)

    return send


def start_side(env: dict[str, str], url: str, app: str, workers: int, label: str,
                tmpdir: Path) -> Gunicorn:
    """The desk (`app:app`) or the bare insert under gunicorn, as every step of the bench runs it."""
    return Gunicorn({**env, "BENCH_BARE_DATABASE_URL": url}, app=app, workers=workers, threads=GUNICORN_THREADS,
                    log_path=tmpdir / f"{label}.log").start()


def measure(rates: list[float] | None = None, seconds: float = 6.0, refine: int = 3,
            workers: tuple[int, ...] = WORKER_COUNTS, pairs: int = PAIRS) -> dict[str, object]:
    """The desk against the bare insert, `pairs` times, each pair's two ladders interleaved
    (bench/ladder.py) with the audit companion sequencing: the headline is the pair with the
    median ratio. Then the desk alone by gunicorn workers, both without the sequencer, the
    sequencer's lag step and the per-request CPU budget."""
    rates = list(rates or RATES)
    pg = shared_pg_url()
    if pg is None:
        raise RuntimeError("PostgreSQL is needed: set C2C_TEST_PG_URL or start the local service")
    with tempfile.TemporaryDirectory(prefix="c2c-load-") as tmp, pg_database(pg, "c2c_load") as url:
        tmpdir = Path(tmp)
        redis = RedisServer(tmpdir / "redis").start()
        try:
            create_schema(url)
            create_table(url)
            env = desk_env(tmpdir / "instance", url, redis.url)
            key = make_api_key(env)
            out: dict[str, object] = {}
            costs: dict[str, SequencerCost] = {}
            plain = GUNICORN_WORKERS if GUNICORN_WORKERS in workers else workers[0]
            paired: list[tuple[list[StepResult], list[StepResult]]] = []
            for p in range(max(1, pairs)):  # first, while the tables are as small as in any run
                with Companion(env, url, tmpdir / f"audit-pair{p}.log") as companion, contextlib.ExitStack() as up:
                    desk = start_side(env, url, "app:app", plain, f"pair{p}-desk", tmpdir)
                    up.callback(desk.stop)
                    bare = start_side(env, url, "bench.bare_app:app", GUNICORN_WORKERS, f"pair{p}-bare", tmpdir)
                    up.callback(bare.stop)
                    d, b = ladder.run([_sender(desk.base, key, f"pair{p}d-{os.getpid()}"),
                                       _sender(bare.base, None, f"pair{p}b-{os.getpid()}")], rates, seconds, refine)
                costs[f"pair {p + 1}"] = companion.cost
                paired.append((d, b))
            ratios = [sustained(d) / sustained(b) if sustained(b) else 0.0 for d, b in paired]
            median = ladder.median_index(ratios)
            out["pairs"], out["median_pair"] = paired, median
            out["desk"], out["bare"] = paired[median]
            out[f"desk{plain}"] = out["desk"]  # the median pair's desk is the scaling row's 2-worker step
            # (label, app, key, gunicorn workers, with the audit companion sequencing)
            runs = [(f"desk{n}", "app:app", key, n, True) for n in workers if n != plain] + \
                [("nosq", "app:app", key, plain, False),
                 ("baresolo", "bench.bare_app:app", None, GUNICORN_WORKERS, False)]
            for label, app, api_key, n, seq in runs:
                companion_or_none = Companion(env, url, tmpdir / f"audit-{label}.log") if seq else None
                with companion_or_none or contextlib.nullcontext():
                    server = start_side(env, url, app, n, label, tmpdir)
                    try:
                        out[label] = ladder.run([_sender(server.base, api_key, f"{label}-{os.getpid()}")],
                                                rates, seconds, refine)[0]
                    finally:
                        server.stop()
                if companion_or_none is not None:
                    costs[label] = companion_or_none.cost
            rate = sustained(out["desk"]) or 25.0  # type: ignore[arg-type]
            out["sequencer"] = _sequencer_step(env, url, key, rate, max(seconds, 10.0), tmpdir)
            out["costs"] = costs
            # Why the ladder ends where it does: CPU per request, part by part and whole box.
            out["split"] = boxcpu.run_pair(env, url, key, redis.proc.pid if redis.proc else None, tmpdir,
                                           rate=SPLIT_RATE, seconds=max(seconds, 10.0))
        finally:
            redis.stop()
    return out


@dataclass
class LagResult:
    rate: float
    step: StepResult
    lags: list[float]
    left_pending: int

    def pct(self, p: float) -> float:
        if not self.lags:
            return float("nan")
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _sequencer_step(env: dict[str, str], url: str, key: str, rate: float, seconds: float,
                    tmpdir: Path) -> LagResult:
    """The desk at `rate` with the audit companion sequencing; the write→sequenced lag."""
    from sqlalchemy import func, select

    from c2c_safety.core.db import make_engine
    from models import AuditEvent

    engine = make_engine(url)
    with engine.connect() as conn:
        start_id = conn.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one()
    audit_worker = start_worker({**env, "C2C_LOG_LEVEL": "WARNING"}, "--audit", log_path=tmpdir / "audit.log")
    server = Gunicorn(env, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS,
                      log_path=tmpdir / "desk-seq.log").start()
    try:
        # The backlog of the steps before (written with no sequencer running) goes first.
        wait_for(lambda: _pending(engine) == 0, 300, "the backlog to be sequenced", interval=0.5)
        step = open_loop(_sender(server.base, key, f"seq-{os.getpid()}"), rate, seconds, ok_status=202)
        deadline = time.monotonic() + 30
        while _pending(engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _pending(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(AuditEvent.at, AuditEvent.sequenced_at)
                                .where(AuditEvent.id > start_id, AuditEvent.sequenced_at.is_not(None),
                                       AuditEvent.action == "intake.flag_received")).all()
    finally:
        server.stop()
        stop_process(audit_worker, timeout=20)
        engine.dispose()
    # Entries with ids above start_id were all written during this step.
    lags = [(done - at).total_seconds() for at, done in rows if done is not None]
    return LagResult(rate, step, lags, left)


def _pending(engine: Any) -> int:
    from sqlalchemy import func, select

    from models import AuditEvent

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.seq.is_(None))).scalar_one())


def _cols(r: StepResult | None) -> str:
    if r is None:
        return f"{'-':>9} {'-':>7} {'-':>7} {'-':>6}"
    return f"{r.achieved:9.0f} {r.pct(50):7.1f} {r.pct(99):7.1f} {r.errors:6d}"


def table(out: dict[str, object]) -> str:
    desk: list[StepResult] = out["desk"]  # type: ignore[assignment]
    bare: list[StepResult] = out["bare"]  # type: ignore[assignment]
    by_rate_d, by_rate_b = {r.rate: r for r in desk}, {r.rate: r for r in bare}
    lines = [f"ingest API (POST /api/v1/flags), gunicorn gthread {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} "
             "threads, PostgreSQL + Redis, open loop, the audit companion sequencing (the desk as deployed); "
             "bare = one INSERT per request, same settings and background",
             f"{'offered/s':>9} | {'desk ok/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | "
             f"{'bare ok/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | {'p50 desk/bare':>13}"]
    for rate in sorted(by_rate_d.keys() | by_rate_b.keys()):
        d, b = by_rate_d.get(rate), by_rate_b.get(rate)
        ratio = f"{d.pct(50) / b.pct(50):13.1f}" if d and b else f"{'-':>13}"
        lines.append(f"{rate:9.0f} | {_cols(d)} | {_cols(b)} | {ratio}")
    s_desk, s_bare = sustained(desk), sustained(bare)
    ratio = f"{s_desk / s_bare:.0%}" if s_bare else "n/a"
    lines.append(f"sustained with p99 < {P99_BUDGET_MS:.0f} ms and 0 errors: desk {s_desk:.0f}/s, "
                 f"bare insert {s_bare:.0f}/s (desk/bare {ratio}; '-' = step not run: past saturation)")
    lines.append(f"desk/bare by interleaved pair (the table above is the median pair): {pair_summary(out)}")
    scaling = ", ".join(f"{n} worker(s) {sustained(v):.0f}/s" for n, v in sorted(  # type: ignore[arg-type]
        (int(k[4:]), v) for k, v in out.items() if k.startswith("desk") and k[4:].isdigit()))
    lines.append(f"desk sustained rate by gunicorn workers: {scaling}")
    nosq: list[StepResult] = out["nosq"]  # type: ignore[assignment]
    solo: list[StepResult] = out["baresolo"]  # type: ignore[assignment]
    lines.append(f"without the sequencer: desk {sustained(nosq):.0f}/s, bare insert {sustained(solo):.0f}/s")
    costs: dict[str, SequencerCost] = out["costs"]  # type: ignore[assignment]
    for label, cost in costs.items():
        lines.append(f"sequencer during {label}: {cost.describe()}")
    split: tuple[boxcpu.Split, boxcpu.Split] = out["split"]  # type: ignore[assignment]
    desk_split, bare_split = split
    lines += [desk_split.describe(), bare_split.describe()]
    seq: LagResult = out["sequencer"]  # type: ignore[assignment]
    lines.append(f"audit sequencer at {seq.rate:.0f}/s offered: lag write->sequenced p50 {seq.pct(50):.2f} s, "
                 f"p95 {seq.pct(95):.2f} s, max {seq.pct(100):.2f} s over {len(seq.lags)} entries; "
                 f"{seq.left_pending} left pending; ingest p99 {seq.step.pct(99):.1f} ms")
    return "\n".join(lines)


def pair_summary(out: dict[str, object]) -> str:
    pairs: list[tuple[list[StepResult], list[StepResult]]] = out["pairs"]  # type: ignore[assignment]
    return "; ".join(f"{sustained(d):.0f}/{sustained(b):.0f} = "
                     + (f"{sustained(d) / sustained(b):.0%}" if sustained(b) else "n/a") for d, b in pairs)


def _env_rates() -> list[float]:
    raw = os.environ.get("C2C_BENCH_INGEST_RATES", "")
    return [float(x) for x in raw.replace(",", " ").split()] or list(RATES)


# Measured at commit bcda8c1 (before issue 14) with bench/bench_statements.py: a new flag on
# new content cost 19 SQL statements (9 SELECT, 4 INSERT, 2 SAVEPOINT, 2 RELEASE, 2 UPDATE)
# plus BEGIN, COMMIT and the pool's pre-ping: 22 round trips.
STATEMENTS_BEFORE = "19 statements + BEGIN/COMMIT + pre-ping = 22 round trips"


def run() -> list[Row]:
    """`make bench` rows; the step table goes to standard output first.

    Sizes: C2C_BENCH_INGEST_RATES ("25 50 100 200 400 600 800"), C2C_BENCH_INGEST_SECONDS (6),
    C2C_BENCH_INGEST_PAIRS (3)."""
    from bench import bench_statements

    out = measure(_env_rates(), float(os.environ.get("C2C_BENCH_INGEST_SECONDS") or 6),
                  pairs=int(os.environ.get("C2C_BENCH_INGEST_PAIRS") or PAIRS))
    print(table(out), flush=True)
    desk: list[StepResult] = out["desk"]  # type: ignore[assignment]
    bare: list[StepResult] = out["bare"]  # type: ignore[assignment]
    nosq: list[StepResult] = out["nosq"]  # type: ignore[assignment]
    solo: list[StepResult] = out["baresolo"]  # type: ignore[assignment]
    costs: dict[str, SequencerCost] = out["costs"]  # type: ignore[assignment]
    rows = [Row("ingest", f"{label} @ {r.rate:.0f}/s offered",
                f"{r.achieved:.0f}/s ok, p50 {r.pct(50):.1f} ms, p99 {r.pct(99):.1f} ms, {r.errors} errors",
                f"p99 < {P99_BUDGET_MS:.0f} ms", good(r), "open loop, latency from the due time")
            for label, steps in (("desk as deployed", desk), ("bare insert", bare)) for r in steps]
    s_desk, s_bare = sustained(desk), sustained(bare)
    s_nosq, s_solo = sustained(nosq), sustained(solo)
    note = (f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS}, PostgreSQL + Redis + the audit companion "
            "sequencing, same machine as the client")
    median: int = out["median_pair"]  # type: ignore[assignment]
    seq_cost = costs.get(f"pair {median + 1}") or SequencerCost()  # the headline pair's sequencer
    by_workers = sorted((int(k[4:]), sustained(v)) for k, v in out.items()  # type: ignore[arg-type]
                        if k.startswith("desk") and k[4:].isdigit())
    grows = all(b > a for (_, a), (_, b) in itertools.pairwise(by_workers))
    seq: LagResult = out["sequencer"]  # type: ignore[assignment]
    stmts = bench_statements.measure(n_flags=200, n_decisions=20)
    split: tuple[boxcpu.Split, boxcpu.Split] = out["split"]  # type: ignore[assignment]
    desk_split, bare_split = split
    box_d, box_b = desk_split.per_request_ms["box"], bare_split.per_request_ms["box"]
    rows += [
        Row("ingest", f"CPU per flag, whole box, at {SPLIT_RATE:.0f}/s: desk / bare",
            f"{box_d:.2f} ms / {box_b:.2f} ms = {box_b / box_d:.0%}" if box_d else "n/a",
            note="the most the desk/bare ratio can be while both share these cores; web process "
                 f"{desk_split.per_request_ms['web']:.2f} vs {bare_split.per_request_ms['web']:.2f} ms, "
                 f"PostgreSQL {desk_split.per_request_ms['postgres']:.2f} vs "
                 f"{bare_split.per_request_ms['postgres']:.2f} ms (bench/boxcpu.py)"),
        Row("ingest", "desk as deployed: sustained rate (p99 < 100 ms, 0 errors)", f"{s_desk:.0f}/s", note=note),
        Row("ingest", "bare one-INSERT sustained rate (same background)", f"{s_bare:.0f}/s", note=note),
        Row("ingest", "desk as deployed / bare (median of interleaved pairs, same workers)",
            f"{s_desk / s_bare:.0%}" if s_bare else "n/a",
            f">= {RATIO_BUDGET:.0%} (aim 60%)", bool(s_bare) and s_desk / s_bare >= RATIO_BUDGET,
            "auth, validation, triage, audit entry, enqueue; the sequencer running; each pair: "
            + pair_summary(out)),
        Row("ingest", "without the sequencer: desk / bare", f"{s_nosq:.0f}/s / {s_solo:.0f}/s = "
            + (f"{s_nosq / s_solo:.0%}" if s_solo else "n/a"), note="the ladder as before issue 24: the "
            "difference to the row above is the sequencer's cost"),
        Row("audit", "sequencer CPU per entry / per batch", f"{seq_cost.per_entry_ms():.2f} ms / "
            f"{seq_cost.per_batch_ms():.1f} ms", note=seq_cost.describe() + " (its whole process tree, "
            "idle polling included)"),
        Row("ingest", "desk rate by gunicorn workers", ", ".join(f"{n}: {r:.0f}/s" for n, r in by_workers),
            "grows 1 -> 2 -> 4", grows, f"{GUNICORN_THREADS} threads each; a 2-core machine shared with the client"),
        Row("ingest", "statements per new flag", f"{bench_statements.describe('after', stmts['flags'])}",
            note=f"before: {STATEMENTS_BEFORE}, ~28 ms CPU (same in-process measure)"),
        Row("ingest", "statements per decision (form POST)", bench_statements.describe("after", stmts["decisions"]),
            note="before: 15 statements + BEGIN/COMMIT + pre-ping, ~39 ms CPU"),
        Row("audit", "sequencer lag write->sequenced, p95", f"{seq.pct(95):.2f} s (p50 {seq.pct(50):.2f} s)",
            f"< {LAG_BUDGET_S:.0f} s", seq.pct(95) < LAG_BUDGET_S and seq.left_pending == 0,
            f"desk at {seq.rate:.0f}/s offered ({seq.step.achieved:.0f}/s ok, p99 {seq.step.pct(99):.0f} ms), "
            f"{len(seq.lags)} entries, {seq.left_pending} left pending"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--pairs", type=int, default=PAIRS, help="interleaved desk/bare pairs (median is the headline)")
    args = parser.parse_args()
    print(table(measure(args.rates, args.seconds, workers=tuple(args.workers), pairs=args.pairs)))


if __name__ == "__main__":
    main()
