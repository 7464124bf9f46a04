"""The moderators' queue and a decision, measured through the real Flask views on PostgreSQL.

    python -m bench queue        (or: python -m bench.bench_queue [--small N] [--large N])

For each size, a database made by bench/gen_items.py (reused when present) is served by
the real app (`create_app`, test client, a moderator signed in through the login form) with
its own Redis; requests alternate between the sizes so both see the same load on a shared
machine. Timed: GET /queue for a mix of pages (first page 50 %, a deeper keyset page 25 %,
filtered pages 25 %), and a decision = POST claim + POST decide (audit row, statement,
webhook row, job enqueued) on waiting items, plus the same through the services without
HTTP. The waiting total is stored first as the worker job would (see queue_count).

Budgets: queue p95 < 150 ms at 1,000,000 items and ≤ 1.5 × its 10,000-item time;
decision p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.gen_items import ensure
from bench.registry import Row

QUEUE_BUDGET_MS = 150.0
RATIO_BUDGET = 1.5
DECISION_BUDGET_MS = 50.0
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FILTERS = ("category=grooming", "language=de", "age_band=under13", "source=teacher&waiting=24h",
           "category=unscored", "status=appealed")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _app(url: str, instance: Path, redis_url: str) -> Any:
    from c2c_safety import create_app
    from c2c_safety.core.config import Config

    cfg = Config.from_env({"C2C_ENV": "test", "C2C_INSTANCE_PATH": str(instance), "C2C_DATABASE_URL": url,
                           "C2C_REDIS_URL": redis_url, "C2C_BCRYPT_ROUNDS": "4"})
    cfg.webhook_url, cfg.webhook_secret = "http://127.0.0.1:9/not-listening", "bench-secret"
    return create_app(cfg)


BENCH_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the published test key (C2C_ENV=test only)


def _moderator(app: Any, email: str) -> None:
    from c2c_safety.accounts import users as accounts
    from c2c_safety.core.db import new_session
    from c2c_safety.review import policy

    with app.app_context():
        s = new_session(app)
        user = accounts.get_by_email(s, email) or accounts.create_user(s, email, "bench-password-123", ["moderator"])
        # Every staff account signs in with a second factor. Sealed afresh on every run: the
        # database is reused, the data key lives in this run's temporary instance folder.
        from c2c_safety.accounts import totp

        user.totp_secret = totp.seal(BENCH_TOTP_SECRET)
        policy.seed_reasons(s)
        s.commit()
        s.close()


def _login(client: Any, email: str) -> str:
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    assert token
    resp = client.post("/login", data={"email": email, "password": "bench-password-123",
                                       "csrf_token": token.group(1)})
    assert resp.status_code == 302, resp.status_code
    if resp.headers["Location"].endswith("/login/totp"):
        import pyotp

        token = CSRF_RE.search(client.get("/login/totp").get_data(as_text=True))
        assert token
        resp = client.post("/login/totp", data={"code": pyotp.TOTP(BENCH_TOTP_SECRET).now(),
                                                "csrf_token": token.group(1)})
        assert resp.status_code == 302 and not resp.headers["Location"].endswith("/login"), resp.status_code
    page = client.get("/queue").get_data(as_text=True)
    token = CSRF_RE.search(page)
    assert token
    return token.group(1)


@dataclass
class Desk:
    """One size's app, signed-in client and CSRF token."""

    items: int
    app: Any
    client: Any
    token: str
    deeper: str = "/queue"
    times: dict[str, list[float]] = field(default_factory=lambda: {
        "first": [], "deeper": [], "filtered": [], "all": []})


def _urls(desk: Desk, n: int) -> list[tuple[str, str]]:
    first = desk.client.get("/queue").get_data(as_text=True)
    nxt = re.search(r'href="(/queue\?after=[^"]+)"', first)
    desk.deeper = nxt.group(1).replace("&amp;", "&") if nxt else "/queue"
    out = []
    for i in range(n):
        k = i % 8
        out.append(("first", "/queue") if k < 4 else ("deeper", desk.deeper) if k < 6
                   else ("filtered", f"/queue?{FILTERS[i % len(FILTERS)]}"))
    return out


def measure_queue(desks: list[Desk], n: int) -> None:
    """Requests alternate between the sizes, so both see the same load on a shared machine."""
    plans = [_urls(d, n) for d in desks]
    for d, plan in zip(desks, plans, strict=True):
        for _kind, u in plan[:24]:  # warm caches and the connection pool
            d.client.get(u)
    for i in range(n):
        for d, plan in zip(desks, plans, strict=True):
            kind, u = plan[i]
            t0 = time.perf_counter()
            resp = d.client.get(u)
            ms = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, (u, resp.status_code)
            d.times[kind].append(ms)
            d.times["all"].append(ms)


def queue_stats(d: Desk) -> dict[str, float]:
    return {f"{k}_p95": _p(v, 0.95) for k, v in d.times.items()} | {"all_p50": statistics.median(d.times["all"])}


def _waiting(app: Any, n: int) -> list[tuple[int, int]]:
    from sqlalchemy import select

    from c2c_safety.core.db import new_session
    from models import ReviewItem

    with app.app_context():
        s = new_session(app)
        rows = s.execute(select(ReviewItem.id, ReviewItem.version)
                         .where(ReviewItem.status == "open", ReviewItem.claimed_by_id.is_(None))
                         .order_by(ReviewItem.queue_rank.desc()).limit(n)).all()
        s.close()
    return [(r[0], r[1]) for r in rows]


def measure_decisions(desks: list[Desk], n: int) -> list[dict[str, float]]:
    """Through the views: POST claim + POST decide, alternating sizes. Wall time, and this
    process's CPU time (what the desk spends; the rest is waiting for PostgreSQL, Redis or
    a CPU on a shared machine)."""
    plans = [_waiting(d.app, n) for d in desks]
    wall: list[list[float]] = [[] for _ in desks]
    cpu: list[list[float]] = [[] for _ in desks]
    for i in range(n):
        for k, d in enumerate(desks):
            item_id, version = plans[k][i]
            t0, c0 = time.perf_counter(), time.process_time()
            r1 = d.client.post(f"/queue/{item_id}/claim", data={"csrf_token": d.token})
            r2 = d.client.post(f"/queue/{item_id}/decide", data={
                "csrf_token": d.token, "version": str(version), "action": "remove",
                "reason_code": "bullying_harassment", "duration": "permanent",
                "facts": "Bench: the message insults a classmate by name.",
                # Sensitive items need a look or this confirmation (review/decisions.py).
                "confirm_unrevealed": "y"})
            wall[k].append((time.perf_counter() - t0) * 1000)
            cpu[k].append((time.process_time() - c0) * 1000)
            assert r1.status_code == 302 and r2.status_code == 302, (r1.status_code, r2.status_code)
            # A person follows the redirects, which shows (and so drops) the flash messages;
            # without that they pile up in the session cookie and slow every later request.
            with d.client.session_transaction() as sess:
                sess.pop("_flashes", None)
    for k, d in enumerate(desks):
        _reopen(d.app, [r[0] for r in plans[k]])
    return [{"p95": _p(w, 0.95), "p50": statistics.median(w), "cpu_p95": _p(c, 0.95),
             "cpu_p50": statistics.median(c)} for w, c in zip(wall, cpu, strict=True)]


def measure_decision_service(app: Any, n: int) -> dict[str, float]:
    """The same work without HTTP: claim, decide (audit, statement, webhook row), commit, enqueue."""
    from c2c_safety.accounts import users as accounts
    from c2c_safety.core.db import new_session
    from c2c_safety.review import claims, decisions

    rows = _waiting(app, n)
    wall: list[float] = []
    with app.app_context():
        s = new_session(app)
        user = accounts.get_by_email(s, "bench-moderator@bench.c2c")
        assert user is not None
        s.commit()
        for item_id, version in rows:
            t0 = time.perf_counter()
            claims.claim(s, item_id, user)
            s.commit()
            result = decisions.decide(s, user, decisions.DecisionRequest(
                item_id=item_id, version=version, action="remove", reason_code="bullying_harassment",
                facts="Bench: the message insults a classmate by name.", duration="permanent",
                confirm_unrevealed=True))
            s.commit()
            decisions.enqueue_deliveries(result)
            wall.append((time.perf_counter() - t0) * 1000)
        s.close()
    _reopen(app, [r[0] for r in rows])
    return {"p95": _p(wall, 0.95), "p50": statistics.median(wall)}


def _reopen(app: Any, ids: list[int]) -> None:
    """Put the decided items back so a reused database measures the same thing next time."""
    from sqlalchemy import delete, select, update

    from c2c_safety.core.db import new_session
    from models import ReviewItem
    from models.review import Decision, ItemClaim, StatementOfReasons, WebhookDelivery

    with app.app_context():
        s = new_session(app)
        decided = s.scalars(select(Decision.id).where(Decision.item_id.in_(ids))).all()
        s.execute(delete(WebhookDelivery).where(WebhookDelivery.decision_id.in_(decided)))
        s.execute(delete(StatementOfReasons).where(StatementOfReasons.decision_id.in_(decided)))
        s.execute(delete(Decision).where(Decision.id.in_(decided)))
        s.execute(delete(ItemClaim).where(ItemClaim.item_id.in_(ids)))
        s.execute(update(ReviewItem).where(ReviewItem.id.in_(ids)).values(
            status="open", decided_at=None, claimed_by_id=None, claim_expires_at=None))
        s.commit()
        s.close()


def _count_like_the_worker(app: Any) -> float:
    """What `workers.queue_counts.refresh` does in production (the page never counts 600,000
    rows itself); returns how long the exact count took."""
    from c2c_safety.core.db import new_session
    from c2c_safety.core.redis_conn import get_redis
    from c2c_safety.review import queue_count

    with app.app_context():
        s = new_session(app)
        t0 = time.perf_counter()
        n = queue_count.exact_total(s)
        took = (time.perf_counter() - t0) * 1000
        s.close()
        queue_count.store(get_redis(app), n)
    return took


def run(small: int | None = None, large: int | None = None, requests: int | None = None,
        decisions: int | None = None) -> list[Row]:
    """Rows for `make bench` (sizes from C2C_BENCH_QUEUE_SMALL/LARGE/REQUESTS/DECISIONS)."""
    from bench.servers import RedisServer

    small = small or int(os.environ.get("C2C_BENCH_QUEUE_SMALL", "10000"))
    large = large or int(os.environ.get("C2C_BENCH_QUEUE_LARGE", "1000000"))
    requests = requests or int(os.environ.get("C2C_BENCH_QUEUE_REQUESTS", "300"))
    decisions = decisions or int(os.environ.get("C2C_BENCH_QUEUE_DECISIONS", "100"))
    made = [ensure(n) for n in (small, large)]
    with tempfile.TemporaryDirectory(prefix="c2c-bench-queue-") as tmp:
        servers = [RedisServer(Path(tmp) / f"redis-{n}").start() for n in (small, large)]
        try:
            desks: list[Desk] = []
            counts: list[float] = []
            for n, (url, _took), redis in zip((small, large), made, servers, strict=True):
                app = _app(url, Path(tmp) / f"instance-{n}", redis.url)
                _moderator(app, "bench-moderator@bench.c2c")
                client = app.test_client()
                desks.append(Desk(n, app, client, _login(client, "bench-moderator@bench.c2c")))
                counts.append(_count_like_the_worker(app))
            measure_queue(desks, requests)
            dec = measure_decisions(desks, decisions)
            service = measure_decision_service(desks[1].app, decisions)
            for d in desks:
                d.app.extensions["c2c_engine"].dispose()
        finally:
            for r in servers:
                r.stop()
    qa, qb = (queue_stats(d) for d in desks)
    ratio = qb["all_p95"] / qa["all_p95"] if qa["all_p95"] else float("inf")
    gen = ", ".join(f"{n:,}: " + ("reused" if took is None else f"generated in {took:.0f} s")
                    for n, (_u, took) in zip((small, large), made, strict=True))
    load = f"load average {_load():.1f} on {os.cpu_count()} CPUs (wall-clock timings)"
    return [
        Row("queue", f"queue page p95, {small:,} items", f"{qa['all_p95']:.1f} ms",
            f"< {QUEUE_BUDGET_MS:.0f} ms", qa["all_p95"] < QUEUE_BUDGET_MS, _detail(qa, counts[0])),
        Row("queue", f"queue page p95, {large:,} items", f"{qb['all_p95']:.1f} ms",
            f"< {QUEUE_BUDGET_MS:.0f} ms", qb["all_p95"] < QUEUE_BUDGET_MS, _detail(qb, counts[1])),
        Row("queue", f"queue p95 ratio {large:,} / {small:,}", f"{ratio:.2f}x", f"<= {RATIO_BUDGET}x",
            ratio <= RATIO_BUDGET, f"requests alternate between sizes; data {gen}; {load}"),
        Row("queue", "decision p95 via HTTP (POST claim + POST decide)", f"{dec[1]['p95']:.1f} ms",
            f"< {DECISION_BUDGET_MS:.0f} ms", dec[1]["p95"] < DECISION_BUDGET_MS,
            f"{large:,} items; p50 {dec[1]['p50']:.1f} ms; the desk's own CPU p50 {dec[1]['cpu_p50']:.1f} / "
            f"p95 {dec[1]['cpu_p95']:.1f} ms; at {small:,} items p95 {dec[0]['p95']:.1f} ms"),
        Row("queue", "decision p95, service (claim, decide, audit, webhook row, commit, enqueue)",
            f"{service['p95']:.1f} ms", f"< {DECISION_BUDGET_MS:.0f} ms", service["p95"] < DECISION_BUDGET_MS,
            f"{large:,} items; p50 {service['p50']:.1f} ms; {load}"),
    ]


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _detail(q: dict[str, float], count_ms: float) -> str:
    return (f"first page {q['first_p95']:.1f}, deeper page {q['deeper_p95']:.1f}, filtered "
            f"{q['filtered_p95']:.1f} ms (p95); p50 all {q['all_p50']:.1f} ms; the worker's exact "
            f"count took {count_ms:.0f} ms")


def main() -> None:
    from bench.registry import render

    parser = argparse.ArgumentParser(prog="python -m bench.bench_queue")
    parser.add_argument("--small", type=int, default=None)
    parser.add_argument("--large", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--decisions", type=int, default=None)
    args = parser.parse_args()
    print(render(run(args.small, args.large, args.requests, args.decisions)))


if __name__ == "__main__":
    main()
