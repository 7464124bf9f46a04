"""`audit verify` over a large log: time and peak memory, at two sizes to show it streams.

    python -m bench.bench_audit [--entries 1000000]

Builds a database (`c2c_bench_audit`, next to C2C_TEST_PG_URL / the local service) holding a
valid, sequenced and signed log (bench/gen_audit.py, COPY), then runs the real
`flask --app app audit verify` in a child process and reports its wall time and peak RSS
(its own, via a small launcher), first at a tenth of the size, then at the full size: a streaming verify has
the same memory at both.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_retention import _child
from bench.gen_audit import AUDIT_KEY, SIGNING_KEY, write_log
from bench.registry import Row
from bench.servers import create_schema, desk_env, pg_database, shared_pg_url

DB_NAME = "c2c_bench_audit"
RSS_GROWTH_BUDGET = 1.25  # full size / tenth: flat memory


def _verify_at(n: int) -> dict[str, float]:
    import psycopg

    base = shared_pg_url()
    if base is None:
        raise SystemExit("PostgreSQL not reachable: set C2C_TEST_PG_URL")
    with tempfile.TemporaryDirectory() as tmp, pg_database(base, DB_NAME) as url:
        create_schema(url)
        env = desk_env(Path(tmp), url, "redis://127.0.0.1:1/0", C2C_AUDIT_KEY=AUDIT_KEY,
                       C2C_SECRET_KEY="bench-secret", C2C_AUDIT_SIGNING_KEY=SIGNING_KEY,
                       C2C_AUDIT_WITNESS=str(Path(tmp) / "witness.jsonl"))
        t0 = time.monotonic()
        with psycopg.connect(url) as conn:
            write_log(conn, env, n, datetime.now(UTC) - timedelta(days=30), timedelta(milliseconds=500))
            conn.commit()
            conn.execute("ANALYZE audit_events")
        gen_s = time.monotonic() - t0
        code, out, seconds, rss = _child(env, "audit", "verify")
    if code != 0 or f"intact: {n} entries" not in out:
        raise SystemExit(f"verify failed on a valid log of {n}:\n{out[-2000:]}")
    return {"entries": n, "generate_s": round(gen_s, 1), "verify_s": round(seconds, 1), "rss_mb": round(rss, 1)}


def measure(n: int = 1_000_000) -> dict[str, dict[str, float]]:
    return {"tenth": _verify_at(max(1, n // 10)), "full": _verify_at(n)}


def run() -> list[Row]:
    n = int(os.environ.get("C2C_BENCH_AUDIT_ENTRIES", "1000000"))
    r = measure(n)
    full, tenth = r["full"], r["tenth"]
    growth = full["rss_mb"] / tenth["rss_mb"]
    note = f"`flask audit verify` child on PostgreSQL, own peak RSS; log COPY-generated in {full['generate_s']} s"
    return [
        Row("audit", f"verify {int(full['entries']):,} entries", f"{full['verify_s']} s, {full['rss_mb']} MB peak",
            note=f"{1e6 * full['verify_s'] / full['entries']:.1f} µs per entry; " + note),
        Row("audit", "verify memory, full size / a tenth", f"{growth:.2f}x ({tenth['rss_mb']} MB at "
            f"{int(tenth['entries']):,})", f"<= {RSS_GROWTH_BUDGET}x (flat)", growth <= RSS_GROWTH_BUDGET,
            "streams with a server-side cursor; nothing is held per entry"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_audit")
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    for label, values in measure(args.entries).items():
        print(label, values)


if __name__ == "__main__":
    main()
