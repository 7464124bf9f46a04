"""Where the ingest request's CPU goes: `POST /api/v1/flags` in-process, profiled.

    [PROF_FILTER=regex] python -m bench.profile_ingest [--flags 600] [--top 30] [--sort tottime] [--bare]

Runs the real app (PostgreSQL in a fresh `c2c_prof` database, our own Redis) through
Werkzeug's test client, so what is measured is the desk's own Python: routing, auth,
validation, triage, the audit entry, the commit and the enqueue — without gunicorn and the
HTTP client, which the bare endpoint pays too. Prints CPU per request (process time), SQL
statements per request, the CPU the PostgreSQL backends and the Redis server spent per
request (read from /proc: on the 2-core box they share the cores with the web processes),
and the top functions by `--sort`. `--bare` measures the bare one-INSERT app the same way,
for the ratio.

Not a timed test and not a `make bench` row: a tool for finding the next thing to remove.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bare_app import create_table
from bench.loadgen import flag_body
from bench.servers import RedisServer, create_schema, desk_env, pg_database, shared_pg_url


def _desk_client(env: dict[str, str]) -> tuple[Any, str, Any]:
    from bench.bench_ingest import make_api_key
    from c2c_safety import create_app
    from c2c_safety.core.config import Config

    key = make_api_key(env)
    app = create_app(Config.from_env(env))
    return app.test_client(), key, app.extensions["c2c_engine"]


def _count_statements(engine: Any) -> list[int]:
    from sqlalchemy import event

    counter = [0]

    def before(*_a: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    return counter


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _backends_cpu(engine: Any) -> float:
    """CPU seconds of every PostgreSQL backend connected to this database right now."""
    from sqlalchemy import text

    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        return sum(_proc_cpu(int(pid)) for pid in pids)


def run(n: int, top: int, sort: str, bare: bool, profile: bool = True) -> str:
    pg = shared_pg_url()
    if pg is None:
        raise SystemExit("PostgreSQL is needed (C2C_TEST_PG_URL or the local service)")
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="c2c-prof-") as tmp, pg_database(pg, "c2c_prof") as url:
        redis = RedisServer(Path(tmp) / "redis").start()
        try:
            create_schema(url)
            create_table(url)
            env = desk_env(Path(tmp) / "instance", url, redis.url)
            os.environ.update({k: v for k, v in env.items() if k.startswith("C2C_")})
            if bare:
                from werkzeug.test import Client

                import bench.bare_app as bare_app

                os.environ["BENCH_BARE_DATABASE_URL"] = url
                client: Any = Client(bare_app.app)
                headers: dict[str, str] = {}
                engine = bare_app.engine()
            else:
                client, key, engine = _desk_client(env)
                headers = {"Authorization": f"Bearer {key}"}
            counter = _count_statements(engine)

            def send(i: int) -> None:
                cid = f"prof-{i}"
                r = client.post("/api/v1/flags", data=flag_body(cid, i), content_type="application/json",
                                headers={**headers, "Idempotency-Key": cid})
                if r.status_code != 202:
                    raise SystemExit(f"unexpected {r.status_code}: {r.get_data()[:200]!r}")

            for i in range(50):  # warm-up: imports, pools, statement caches
                send(10_000_000 + i)
            counter[0] = 0
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits
            db0, redis0 = _backends_cpu(engine), _proc_cpu(redis.proc.pid) if redis.proc else 0.0
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if profile:
                profiler.enable()
            for i in range(n):
                send(i)
            profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            db_cpu = _backends_cpu(engine) - db0  # the connection counted its own query too
            redis_cpu = (_proc_cpu(redis.proc.pid) if redis.proc else 0.0) - redis0
            out.write(f"{'bare' if bare else 'desk'}: {n} flags, CPU {cpu / n * 1000:.2f} ms/request "
                      f"(wall {wall / n * 1000:.2f} ms, profiler {'on' if profile else 'off'}), "
                      f"{counter[0] / n:.1f} statements/request; PostgreSQL {db_cpu / n * 1000:.2f} ms, "
                      f"Redis {redis_cpu / n * 1000:.2f} ms CPU/request\n")
            if not profile:
                return out.getvalue()
            stats = pstats.Stats(profiler, stream=out)
            only = os.environ.get("PROF_FILTER")  # a regex on "file:line(function)"
            stats.sort_stats(sort).print_stats(*([only] if only else []), top)
        finally:
            redis.stop()
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ingest")
    parser.add_argument("--flags", type=int, default=600)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--no-profile", action="store_true", help="only CPU and statements per request")
    args = parser.parse_args()
    print(run(args.flags, args.top, args.sort, args.bare, not args.no_profile))


if __name__ == "__main__":
    main()
