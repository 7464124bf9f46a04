"""Retention sweep at scale: 1,000,000 case files, 10 % due, on PostgreSQL.

    python -m bench.bench_retention [--cases 1000000] [--due-share 0.1] [--batch-size 1000]

Builds a dedicated database (`c2c_bench_retention`, next to C2C_TEST_PG_URL / the local
service) with the desk's schema, fills it with COPY (case files with sealed bodies and
contact details, a reporter message on every due case, and a block of audit entries older
than 90 days, sequenced and signed as the sequencer would (bench/gen_audit.py)), then runs
the real `flask --app app retention run` in a child process and reports its wall time and
peak RSS (its own, measured by a small launcher). Afterwards it checks the result in the database and runs
`flask --app app audit verify`.

Budget: under 5 minutes and under 300 MB.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.gen_audit import AUDIT_KEY, SIGNING_KEY, write_log
from bench.registry import Row
from bench.servers import create_schema, desk_env, pg_database, shared_pg_url

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "c2c_bench_retention"
TIME_BUDGET_S = 300.0
RSS_BUDGET_MB = 300.0
DATA_KEY = "bench:" + base64.b64encode(b"b" * 32).decode()
CASE_COLS = ("reference, source, category, status, routed_role, language, body_sealed, contact_sealed, "
             "receipt_lookup, receipt_hash, received_at, acknowledged_at, feedback_at, closed_at, outcome, "
             "legal_hold, retention_clock_from, score_status, score_attempts, version")
CATEGORIES = (("ethical", "case_handler"), ("safeguarding_minor", "safeguarding_lead"), ("other", "case_handler"),
              ("team_member", "ceo"))


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S+00")


def _bytea(blob: bytes) -> str:
    return "\\\\x" + blob.hex()


def generate(url: str, env: dict[str, str], n_cases: int, due_share: float, now: datetime,
             n_audit: int) -> dict[str, int]:
    """COPY the data in. Every 1/due_share-th case closed six years ago (due); the rest
    closed within the last four years or still open."""
    import psycopg

    from c2c_safety.core.crypto import KeyRing

    ring = KeyRing.parse(DATA_KEY)
    body = _bytea(ring.seal(b"Synthetic bench report: nothing real in here, only the shape of one."))
    contact = _bytea(ring.seal(b"bench-contact@example.invalid"))
    message = _bytea(ring.seal(b"Synthetic bench message from the reporter."))
    every = max(1, round(1 / due_share))
    due = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=False) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY case_files ({CASE_COLS}) FROM STDIN") as copy:
            buf = io.StringIO()
            for i in range(1, n_cases + 1):
                cat, role = CATEGORIES[i % len(CATEGORIES)]
                if i % every == 0:
                    closed: datetime | None = now - timedelta(days=6 * 365 + i % 300)
                    due += 1
                elif i % 10 < 7:
                    closed = now - timedelta(days=1 + i % (4 * 365))
                else:
                    closed = None
                received = (closed or now) - timedelta(days=30 + i % 60)
                status = "closed" if closed else "investigating"
                fb = _ts(received + timedelta(days=20)) if closed else "\\N"
                cl = _ts(closed) if closed else "\\N"
                buf.write(f"BR-{i:09d}\tanonymous_report\t{cat}\t{status}\t{role}\ten\t{body}\t{contact}\t"
                          f"{i:032x}\tscrypt$bench\t{_ts(received)}\t{_ts(received)}\t{fb}\t{cl}\t"
                          f"{'substantiated' if closed else chr(92) + 'N'}\tf\t{cl}\tscored\t0\t1\n")
                if i % 20_000 == 0:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        with conn.cursor() as cur, cur.copy("COPY case_messages (case_id, from_reporter, body_sealed, created_at) "
                                            "FROM STDIN") as copy:
            buf = io.StringIO()
            for i in range(every, n_cases + 1, every):
                buf.write(f"{i}\tt\t{message}\t{_ts(now - timedelta(days=6 * 365 + 40))}\n")
            copy.write(buf.getvalue())
        write_log(conn, env, n_audit, now - timedelta(days=400), timedelta(seconds=60))
        items = _moderation_items(conn, env, max(1, n_cases // 10), now, every)
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
    return {"cases": n_cases, "due": due, "messages": due, "audit_rows": n_audit, **items}


def _moderation_items(conn: Any, env: dict[str, str], n: int, now: datetime, every: int) -> dict[str, int]:
    """Moderation items (bench/gen_items.py's shape) with decisions: a third decided three years
    ago (due under the 24-month policy), a tenth of those escalated to a case that is still
    open (kept: the case needs them), and one of those open cases, by the old uncorrelated
    query, would have held back every item."""
    import random

    from bench.gen_items import FLAG_COLS, ITEM_COLS, _copy, _item, _line
    from c2c_safety import create_app
    from c2c_safety.accounts import users as accounts
    from c2c_safety.core.config import Config
    from c2c_safety.core.db import new_session

    app = create_app(Config.from_env(env))
    with app.app_context():
        s = new_session(app)
        mod_id = accounts.create_user(s, "bench-mod@bench.c2c", "bench-password-123", ["moderator"]).id
        s.commit()
        s.close()
    app.extensions["c2c_engine"].dispose()
    rng = random.Random(7)
    items, flags, decisions = io.StringIO(), io.StringIO(), io.StringIO()
    open_cases = [i for i in range(1, min(10_000, n * 10)) if i % 10 >= 7 and i % every != 0]
    due = kept = 0
    old = now - timedelta(days=3 * 365)
    for i in range(1, n + 1):
        item, fl, _score = _item(i, rng, now)
        row = list(item)
        row[ITEM_COLS.index("status")] = "decided"
        items.write(_line(tuple(row)))
        for f in fl:
            flags.write(_line(f))
        is_old = i % 3 == 0
        case = open_cases[i % len(open_cases)] if is_old and i % 30 == 0 else None
        due += is_old and case is None
        kept += case is not None
        decisions.write(_line((i, mod_id, "initial", "remove", "bullying", case, old if is_old else now, 1)))
    _copy(conn, "review_items", ITEM_COLS, items)
    _copy(conn, "flags", FLAG_COLS, flags)
    _copy(conn, "decisions", ("item_id", "decided_by_id", "kind", "action", "reason_code", "case_file_id",
                              "created_at", "item_version"), decisions)
    with conn.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('review_items', 'id'), %s)", (n,))
    return {"items": n, "items_due": due, "items_kept_for_open_case": kept}


# Peak RSS of a child must be measured from a *small* parent: on Linux, exec() records the
# replaced memory's high-water mark in the process's maxrss, so a child forked from this
# process (which holds the e5 model from the classifier bench, ~1.2 GB) would report at least
# that much whatever it did itself. The launcher is a bare `python -I` that runs the command
# and reports its own child's ru_maxrss, so the number is the command's alone.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def _child(env: dict[str, str], *args: str) -> tuple[int, str, float, float]:
    """Run `flask --app app ARGS`; (exit code, output, seconds, peak RSS in MB)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        proc = subprocess.run([sys.executable, "-I", "-c", _LAUNCHER, rss.name,
                               sys.executable, "-m", "flask", "--app", "app", *args],
                              cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        seconds = time.monotonic() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
        peak_kb = int(rss.read().strip() or 0)
    return proc.returncode, text, seconds, peak_kb / 1024


def measure(n_cases: int = 1_000_000, due_share: float = 0.1, batch_size: int = 1000,
            n_audit: int = 200_000) -> dict[str, object]:
    base = shared_pg_url()
    if base is None:
        raise SystemExit("PostgreSQL not reachable: set C2C_TEST_PG_URL")
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp, pg_database(base, DB_NAME) as url:
        create_schema(url)
        env = desk_env(Path(tmp), url, "redis://127.0.0.1:1/0", C2C_DATA_KEY=DATA_KEY, C2C_AUDIT_KEY=AUDIT_KEY,
                       C2C_SECRET_KEY="bench-secret", C2C_AUDIT_SIGNING_KEY=SIGNING_KEY,
                       C2C_AUDIT_WITNESS=str(Path(tmp) / "witness.jsonl"))
        t0 = time.monotonic()
        sizes = generate(url, env, n_cases, due_share, now, n_audit)
        gen_s = time.monotonic() - t0
        code, output, seconds, rss_mb = _child(env, "retention", "run", "--now", now.isoformat(),
                                               "--batch-size", str(batch_size))
        if code != 0:
            raise SystemExit(f"sweep failed:\n{output[-2000:]}")
        verify_code, verify_out, _, _ = _child(env, "audit", "verify")
        anonymised, left = _check(url)
        items_done = _items_anonymised(url)
    result: dict[str, object] = {
        **sizes, "generate_s": round(gen_s, 1), "sweep_s": round(seconds, 1), "peak_rss_mb": round(rss_mb, 1),
        "anonymised": anonymised, "due_left": left, "items_anonymised": items_done,
        "sweep_output": output.strip().splitlines()[-1],
        "audit_verify": verify_out.strip().splitlines()[-1] if verify_out.strip() else str(verify_code),
        "within_budget": seconds < TIME_BUDGET_S and rss_mb < RSS_BUDGET_MB and left == 0
        and anonymised == sizes["due"] and verify_code == 0 and items_done == sizes["items_due"],
    }
    return result


def _items_anonymised(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM anonymised_records WHERE record_type = 'review_item'")
        return int(cur.fetchone()[0])  # type: ignore[index]


def _check(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM case_files WHERE anonymised_at IS NOT NULL AND body_sealed IS NULL "
                    "AND receipt_lookup IS NULL")
        anonymised = int(cur.fetchone()[0])  # type: ignore[index]
        cur.execute("SELECT count(*) FROM case_files WHERE anonymised_at IS NULL AND status = 'closed' "
                    "AND retention_clock_from < now() - interval '5 years 1 day'")
        left = int(cur.fetchone()[0])  # type: ignore[index]
    return anonymised, left


def run() -> list[Row]:
    """For `make bench` (bench.registry): sizes from C2C_BENCH_RETENTION_CASES / _AUDIT."""
    n = int(os.environ.get("C2C_BENCH_RETENTION_CASES", "1000000"))
    audit_rows = int(os.environ.get("C2C_BENCH_RETENTION_AUDIT", "200000"))
    r = measure(n, 0.1, 1000, audit_rows)
    note = (f"{r['cases']:,} case files ({r['due']:,} due, each with a message) + {r['items']:,} moderation items "
            f"+ {r['audit_rows']:,} old audit entries; COPY-generated in {r['generate_s']} s; "
            "`flask retention run` child, its own peak RSS")
    ok = bool(r["within_budget"])
    return [
        Row("retention", "sweep wall time", f"{r['sweep_s']} s", f"< {TIME_BUDGET_S:.0f} s",
            float(str(r["sweep_s"])) < TIME_BUDGET_S, note),
        Row("retention", "sweep peak RSS", f"{r['peak_rss_mb']} MB", f"< {RSS_BUDGET_MB:.0f} MB",
            float(str(r["peak_rss_mb"])) < RSS_BUDGET_MB),
        Row("retention", "all due anonymised, chain verifies", f"{r['anonymised']:,} / {r['due']:,}", "all",
            ok and r["due_left"] == 0, str(r["audit_verify"])),
        Row("retention", "moderation items anonymised (due / kept for an open case)",
            f"{r['items_anonymised']:,} / {r['items_due']:,} (kept {r['items_kept_for_open_case']:,})", "all due",
            r["items_anonymised"] == r["items_due"],
            f"{r['items']:,} decided items; the due query is correlated per item (issue 16)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_retention")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--audit-rows", type=int, default=200_000)
    args = parser.parse_args()
    result = measure(args.cases, args.due_share, args.batch_size, args.audit_rows)
    for k, v in result.items():
        print(f"{k:>14}: {v}")
    print(f"budget: sweep < {TIME_BUDGET_S:.0f} s and peak RSS < {RSS_BUDGET_MB:.0f} MB -> "
          f"{'OK' if result['within_budget'] else 'OVER'}")
    raise SystemExit(0 if result["within_budget"] else 1)


if __name__ == "__main__":
    main()
