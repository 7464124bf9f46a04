"""Ingest API under load: the sustained flag rate with p99 < 100 ms and no errors.

    python -m bench.bench_ingest [--rates 25 50 100 200 400] [--seconds 6]

Runs `POST /api/v1/flags` under gunicorn against PostgreSQL (a fresh `c2c_load` database
next to C2C_TEST_PG_URL / the local service) and our own Redis, offering each rate open-loop
for a few seconds. The same steps then hit `bench/bare_app.py` (one INSERT per request, same
gunicorn settings, same database server), so the ratio of the two shows the desk's own
overhead. No worker runs meanwhile: scoring happens on other machines in production.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.bare_app import create_table
from bench.loadgen import Reply, StepResult, flag_body, open_loop, post
from bench.registry import Row
from bench.servers import Gunicorn, RedisServer, create_schema, desk_env, pg_database, shared_pg_url

P99_BUDGET_MS = 100.0
RATES = (25, 50, 100, 200, 400)
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


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


def _good(r: StepResult) -> bool:
    return r.errors == 0 and r.pct(99) < P99_BUDGET_MS


def _steps(send: Callable[[int], Reply], rates: list[float], seconds: float, refine: int) -> list[StepResult]:
    """The coarse steps, then `refine` bisections between the last good and first bad rate."""
    for n in range(20):  # warm-up: imports, pools, first queries
        send(n)
    results: list[StepResult] = []

    def step(rate: float) -> StepResult:
        res = open_loop(send, rate, seconds, ok_status=202)
        results.append(res)
        time.sleep(1.0)  # let the database and the pools settle before the next step
        return res

    for rate in rates:
        res = step(rate)
        if res.errors > res.sent // 2 or res.pct(50) > 2000:
            break  # far past saturation: higher steps only queue up more
    for _ in range(refine):
        good = max((r.rate for r in results if _good(r)), default=0.0)
        bad = min((r.rate for r in results if not _good(r) and r.rate > good), default=0.0)
        if not bad or bad - good < max(5.0, good * 0.1):
            break
        step(round((good + bad) / 2))
    results.sort(key=lambda r: r.rate)
    return results


def sustained(results: list[StepResult]) -> float:
    """The highest offered rate whose step met p99 < 100 ms with zero errors."""
    good = [r.rate for r in results if _good(r)]
    return max(good, default=0.0)


def measure(rates: list[float] | None = None, seconds: float = 6.0, refine: int = 2) -> dict[str, object]:
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
            for label, app, api_key in (("desk", "app:app", key), ("bare", "bench.bare_app:app", None)):
                server = Gunicorn({**env, "BENCH_BARE_DATABASE_URL": url}, app=app, workers=GUNICORN_WORKERS,
                                  threads=GUNICORN_THREADS, log_path=tmpdir / f"{label}.log").start()
                try:
                    out[label] = _steps(_sender(server.base, api_key, f"{label}-{os.getpid()}"), rates, seconds,
                                        refine)
                finally:
                    server.stop()
        finally:
            redis.stop()
    return out


def _cols(r: StepResult | None) -> str:
    if r is None:
        return f"{'-':>9} {'-':>7} {'-':>7} {'-':>6}"
    return f"{r.achieved:9.0f} {r.pct(50):7.1f} {r.pct(99):7.1f} {r.errors:6d}"


def table(out: dict[str, object]) -> str:
    desk: list[StepResult] = out["desk"]  # type: ignore[assignment]
    bare: list[StepResult] = out["bare"]  # type: ignore[assignment]
    by_rate_d, by_rate_b = {r.rate: r for r in desk}, {r.rate: r for r in bare}
    lines = [f"ingest API (POST /api/v1/flags), gunicorn gthread {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} "
             "threads, PostgreSQL + Redis, open loop; bare = one INSERT per request, same settings",
             f"{'offered/s':>9} | {'desk ok/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | "
             f"{'bare ok/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | {'p50 desk/bare':>13}"]
    for rate in sorted(by_rate_d.keys() | by_rate_b.keys()):
        d, b = by_rate_d.get(rate), by_rate_b.get(rate)
        ratio = f"{d.pct(50) / b.pct(50):13.1f}" if d and b else f"{'-':>13}"
        lines.append(f"{rate:9.0f} | {_cols(d)} | {_cols(b)} | {ratio}")
    s_desk, s_bare = sustained(desk), sustained(bare)
    ratio = f"{s_bare / s_desk:.1f}x" if s_desk else "n/a"
    lines.append(f"sustained with p99 < {P99_BUDGET_MS:.0f} ms and 0 errors: desk {s_desk:.0f}/s, "
                 f"bare insert {s_bare:.0f}/s (bare/desk {ratio}; '-' = step not run: past saturation)")
    return "\n".join(lines)


def _env_rates() -> list[float]:
    raw = os.environ.get("C2C_BENCH_INGEST_RATES", "")
    return [float(x) for x in raw.replace(",", " ").split()] or list(RATES)


def run() -> list[Row]:
    """`make bench` rows; the step table goes to standard output first.

    Sizes: C2C_BENCH_INGEST_RATES ("25 50 100 200 400"), C2C_BENCH_INGEST_SECONDS (6)."""
    out = measure(_env_rates(), float(os.environ.get("C2C_BENCH_INGEST_SECONDS") or 6))
    print(table(out), flush=True)
    desk: list[StepResult] = out["desk"]  # type: ignore[assignment]
    bare: list[StepResult] = out["bare"]  # type: ignore[assignment]
    rows = [Row("ingest", f"{label} @ {r.rate:.0f}/s offered",
                f"{r.achieved:.0f}/s ok, p50 {r.pct(50):.1f} ms, p99 {r.pct(99):.1f} ms, {r.errors} errors",
                f"p99 < {P99_BUDGET_MS:.0f} ms", _good(r), "open loop, latency from the due time")
            for label, steps in (("desk", desk), ("bare insert", bare)) for r in steps]
    s_desk, s_bare = sustained(desk), sustained(bare)
    note = f"gunicorn gthread {GUNICORN_WORKERS}x{GUNICORN_THREADS}, PostgreSQL + Redis, same machine as the client"
    rows += [
        Row("ingest", "desk sustained rate (p99 < 100 ms, 0 errors)", f"{s_desk:.0f}/s", note=note),
        Row("ingest", "bare one-INSERT sustained rate", f"{s_bare:.0f}/s", note=note),
        Row("ingest", "bare / desk (the desk's own overhead)", f"{s_bare / s_desk:.1f}x" if s_desk else "n/a",
            note="auth, validation, triage, audit chain, enqueue"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    print(table(measure(args.rates, args.seconds)))


if __name__ == "__main__":
    main()
