"""What one flag and one decision cost the web process: SQL statements, transactions, CPU.

    python -m bench.bench_statements [--flags 300] [--decisions 40]

In-process (Flask's test client, no HTTP server, no gunicorn), against PostgreSQL and our own
Redis, so the numbers are the desk's own work per request: every statement SQLAlchemy sends
is counted with a `before_cursor_execute` listener, transactions with `begin`, and CPU with
`time.process_time()` around each request. A flag is a new flag on new content (the hot
path); a decision is the moderator's POST of the decide form (claim and page view excluded).
Run it against another checkout (PYTHONPATH) to compare before and after a change.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.loadgen import flag_body
from bench.registry import Row
from bench.servers import RedisServer, create_schema, desk_env, pg_database, shared_pg_url

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


@dataclass
class Tally:
    statements: Counter[str] = field(default_factory=Counter)
    transactions: int = 0
    texts: list[str] = field(default_factory=list)

    def add(self, sql: str) -> None:
        self.statements[sql.split(None, 1)[0].upper()] += 1
        self.texts.append(" ".join(sql.split())[:160])


@contextmanager
def counting(engine: Any) -> Iterator[Tally]:
    from sqlalchemy import event

    tally = Tally()

    def on_sql(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        tally.add(statement)

    def on_begin(_conn: Any) -> None:
        tally.transactions += 1

    event.listen(engine, "before_cursor_execute", on_sql)
    event.listen(engine, "begin", on_begin)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)
        event.remove(engine, "begin", on_begin)


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1) or m.group(2)


def measure(n_flags: int = 300, n_decisions: int = 40) -> dict[str, Any]:
    from c2c_safety import create_app
    from c2c_safety.accounts import users as accounts
    from c2c_safety.core.config import Config
    from c2c_safety.core.db import engine_for, new_session
    from c2c_safety.intake import api_keys

    pg = shared_pg_url()
    if pg is None:
        raise RuntimeError("PostgreSQL is needed: set C2C_TEST_PG_URL or start the local service")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="c2c-stmts-") as tmp, pg_database(pg, "c2c_stmts") as url:
        redis = RedisServer(Path(tmp) / "redis").start()
        try:
            create_schema(url)
            env = desk_env(Path(tmp) / "instance", url, redis.url, C2C_LOG_LEVEL="WARNING")
            app = create_app(Config.from_env(env))
            # create_app's basicConfig is a no-op once an earlier in-process app (the ingest
            # bench's API key) configured logging: say WARNING here, or every flag logs a line.
            logging.getLogger().setLevel(logging.WARNING)
            with app.app_context():
                from c2c_safety.core.crypto import keyring

                s = new_session(app)
                key = api_keys.create_client(s, "bench").key
                mod = accounts.create_user(s, "mod@bench.c2c", "bench-password-123", ["moderator"])
                mod.totp_secret = keyring().seal(TOTP_SECRET.encode())  # staff sign in with a second factor
                s.commit()
                s.close()
            client = app.test_client()
            engine = engine_for(app)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for n in range(20):  # warm-up: imports, statement caches, pool
                client.post("/api/v1/flags", data=flag_body(f"warm-{n}", n), headers=headers)
            per_flag: list[Tally] = []
            cpu: list[float] = []
            items: list[int] = []
            for n in range(n_flags):
                with counting(engine) as tally:
                    c0 = time.process_time()
                    resp = client.post("/api/v1/flags", data=flag_body(f"stmt-{n}", n), headers=headers)
                    cpu.append((time.process_time() - c0) * 1000)
                if resp.status_code != 202:
                    raise RuntimeError(f"flag refused: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
                items.append(int(resp.get_json()["item_id"]))
                per_flag.append(tally)
            out["flags"] = _summary(per_flag, cpu)
            out["decisions"] = _decisions(client, engine, items[:n_decisions])
        finally:
            redis.stop()
            app.extensions["c2c_engine"].dispose()
    return out


def _summary(tallies: list[Tally], cpu: list[float]) -> dict[str, Any]:
    kinds: Counter[str] = Counter()
    for t in tallies:
        kinds.update(t.statements)
    n = len(tallies)
    return {"n": n, "statements": sum(sum(t.statements.values()) for t in tallies) / n,
            "transactions": sum(t.transactions for t in tallies) / n,
            "by_kind": {k: round(v / n, 2) for k, v in kinds.most_common()},
            "cpu_ms_mean": statistics.fmean(cpu), "cpu_ms_median": statistics.median(cpu)}


def _decisions(client: Any, engine: Any, items: list[int]) -> dict[str, Any]:
    login = client.get("/login").get_data(as_text=True)
    resp = client.post("/login", data={"email": "mod@bench.c2c", "password": "bench-password-123",
                                       "csrf_token": _csrf(login)})
    if resp.status_code == 302 and resp.headers["Location"].endswith("/login/totp"):
        import pyotp

        page = client.get("/login/totp").get_data(as_text=True)
        resp = client.post("/login/totp", data={"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": _csrf(page)})
    if resp.status_code != 302 or resp.headers["Location"].endswith(("/login", "/login/totp")):
        raise RuntimeError("moderator sign-in failed")
    tallies: list[Tally] = []
    cpu: list[float] = []
    for iid in items:
        token = _csrf(client.get("/queue").get_data(as_text=True))
        client.post(f"/queue/{iid}/claim", data={"csrf_token": token})
        page = client.get(f"/queue/{iid}").get_data(as_text=True)
        m = VERSION_RE.search(page)
        if not m:
            raise RuntimeError(f"no decide form on item {iid}")
        data = {"action": "remove", "reason_code": "bullying_harassment", "duration": "permanent",
                "facts": "The post insults a classmate by name in front of the group.",
                "version": m.group(1) or m.group(2), "csrf_token": _csrf(page)}
        with counting(engine) as tally:
            c0 = time.process_time()
            resp = client.post(f"/queue/{iid}/decide", data=data)
            cpu.append((time.process_time() - c0) * 1000)
        if resp.status_code != 302:
            raise RuntimeError(f"decision refused on item {iid}: {resp.status_code}")
        tallies.append(tally)
    out = _summary(tallies, cpu)
    out["example"] = tallies[-1].texts if tallies else []
    return out


def describe(label: str, s: dict[str, Any]) -> str:
    kinds = ", ".join(f"{k} {v:g}" for k, v in s["by_kind"].items())
    return (f"{label}: {s['statements']:.1f} statements in {s['transactions']:.1f} transaction(s) "
            f"({kinds}); CPU {s['cpu_ms_mean']:.1f} ms mean, {s['cpu_ms_median']:.1f} ms median (n={s['n']})")


def run() -> list[Row]:
    r = measure()
    note = "in-process test client, PostgreSQL; statements counted by a SQLAlchemy listener"
    return [
        Row("statements", "per new flag", f"{r['flags']['statements']:.1f} statements, "
            f"{r['flags']['cpu_ms_mean']:.1f} ms CPU", note=", ".join(f"{k} {v:g}" for k, v in
                                                                 r["flags"]["by_kind"].items())),
        Row("statements", "per decision (web form POST)", f"{r['decisions']['statements']:.1f} statements, "
            f"{r['decisions']['cpu_ms_mean']:.1f} ms CPU", note=note),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", type=int, default=300)
    parser.add_argument("--decisions", type=int, default=40)
    parser.add_argument("--show", action="store_true", help="print the statements of one decision")
    args = parser.parse_args()
    r = measure(args.flags, args.decisions)
    print(describe("flag", r["flags"]))
    print(describe("decision", r["decisions"]))
    if args.show:
        print("\n".join("  " + t for t in r["decisions"]["example"]))


if __name__ == "__main__":
    main()
