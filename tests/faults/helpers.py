"""Shared steps of the fault tests: bursts with a fault in the middle, and the checks after."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from bench.loadgen import Reply, burst, flag_poster
from bench.servers import Gunicorn, RedisServer, run_cli, run_worker_burst, start_worker, stop_process
from c2c_safety.core.db import make_engine
from models import AuditEvent, ItemScore, ReviewItem


@dataclass
class Desk:
    """One desk made of real processes; `env` is what every subprocess of it runs with."""

    tmp: Path
    database_url: str
    redis: RedisServer
    classifier: str
    env: dict[str, str] = field(default_factory=dict)
    api_key: str = ""
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    def gunicorn(self, workers: int = 2, threads: int = 4) -> Gunicorn:
        return Gunicorn(self.env, workers=workers, threads=threads, log_path=self.tmp / "gunicorn.log")

    def cli(self, *args: str, timeout: float = 120) -> str:
        return run_cli(self.env, *args, timeout=timeout).stdout

    def worker_burst(self, *args: str, timeout: float = 180) -> int:
        return run_worker_burst(self.env, *args, timeout=timeout, log_path=self.tmp / "worker.log")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.tmp / name
        return path.read_text(errors="replace")[-chars:] if path.exists() else f"(no {name})"

    def item_counts(self) -> dict[str, int]:
        """Rows per platform content id (max), items, and items by score status."""
        with self.engine.connect() as conn:
            per_id = (select(func.count().label("n")).select_from(ReviewItem)
                      .group_by(ReviewItem.content_type, ReviewItem.platform_content_id).subquery())
            most = conn.execute(select(func.max(per_id.c.n))).scalar() or 0
            by_status = dict(conn.execute(
                select(ReviewItem.score_status, func.count()).group_by(ReviewItem.score_status)).all())
            total = sum(by_status.values())
        return {"items": total, "max_rows_per_content_id": most, **{str(k): v for k, v in by_status.items()}}

    def content_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(ReviewItem.platform_content_id)).scalars())

    def score_rows(self) -> dict[str, int]:
        """ItemScore rows: total, items with at least one, and the most for one (item, model)."""
        with self.engine.connect() as conn:
            per = select(ItemScore.subject_id, ItemScore.model_version, func.count().label("n")).where(
                ItemScore.subject_type == "item").group_by(ItemScore.subject_id, ItemScore.model_version).subquery()
            total = conn.execute(select(func.coalesce(func.sum(per.c.n), 0))).scalar() or 0
            items = conn.execute(select(func.count(func.distinct(per.c.subject_id)))).scalar() or 0
            most = conn.execute(select(func.max(per.c.n))).scalar() or 0
        return {"rows": int(total), "items": int(items), "max_per_item_model": int(most)}

    def audit_counts(self) -> dict[str, int]:
        """Audit entries: flags received, sequenced, pending, and the highest seq."""
        with self.engine.connect() as conn:
            flags = conn.execute(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "intake.flag_received")).scalar() or 0
            done = conn.execute(select(func.count(AuditEvent.seq), func.max(AuditEvent.seq))).one()
            total = conn.execute(select(func.count()).select_from(AuditEvent)).scalar() or 0
        return {"flag_entries": int(flags), "sequenced": int(done[0] or 0), "max_seq": int(done[1] or 0),
                "pending": int(total) - int(done[0] or 0)}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def make_api_key(desk: Desk, name: str = "faults") -> str:
    """A key made the way an operator makes one: `flask --app app api-clients create NAME`."""
    out = desk.cli("api-clients", "create", name)
    key = out.strip().splitlines()[-1].strip()
    assert key.startswith("c2c_"), out
    return key


@dataclass
class BurstOutcome:
    replies: dict[str, Reply]
    fault_at: int = 0  # how many replies had arrived when the fault was injected
    notes: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[int]:
        return Counter(r.status for r in self.replies.values())

    @property
    def accepted(self) -> set[str]:
        return {cid for cid, r in self.replies.items() if r.status == 202}

    @property
    def unavailable(self) -> list[Reply]:
        return [r for r in self.replies.values() if r.status == 503]

    @property
    def duplicates(self) -> int:
        """202s that said duplicate=true: an earlier delivery of the same flag had been kept."""
        return sum(1 for r in self.replies.values() if r.status == 202 and b'"duplicate":true' in r.body)

    def counts(self) -> dict[str, int]:
        s = self.statuses
        return {"sent": len(self.replies), "accepted_202": s[202], "unavailable_503": s[503],
                "other": len(self.replies) - s[202] - s[503]}


def paced(send: Callable[[str, int], Reply], seconds: float) -> Callable[[str, int], Reply]:
    """Each call takes at least `seconds`: spreads a burst over time so a fault hits its middle."""

    def send_paced(cid: str, n: int) -> Reply:
        started = time.monotonic()
        reply = send(cid, n)
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        return reply

    return send_paced


def burst_with_fault(base: str, api_key: str, ids: list[str], fault: Callable[[], None],
                     after: int, threads: int = 16, pace: float = 0.0) -> BurstOutcome:
    """Send one flag per id; once `after` replies are in, run `fault()` in its own thread.
    With `pace`, each client thread sends at most one flag per `pace` seconds."""
    due = threading.Event()
    outcome = BurstOutcome({})

    def on_reply(done: int, _reply: Reply) -> None:
        if done >= after and not due.is_set():
            outcome.fault_at = done
            due.set()

    injector_error: list[BaseException] = []

    def injector() -> None:
        if due.wait(timeout=120):
            try:
                fault()
            except BaseException as exc:  # reported by the test, not lost in a thread
                injector_error.append(exc)

    thread = threading.Thread(target=injector, daemon=True)
    thread.start()
    outcome.replies = burst(paced(flag_poster(base, api_key), pace), ids, threads=threads, on_reply=on_reply)
    due.set()
    thread.join(timeout=120)
    if injector_error:
        raise injector_error[0]
    return outcome


def resend_until_accepted(base: str, api_key: str, outcome: BurstOutcome, rounds: int = 20) -> int:
    """What a well-behaved platform does: resend each refused flag (same Idempotency-Key)
    after Retry-After until it is accepted. Returns how many resends it took."""
    post_flag = flag_poster(base, api_key)
    order = {cid: n for n, cid in enumerate(outcome.replies)}
    resends = 0
    for _ in range(rounds):
        waiting = [cid for cid, r in outcome.replies.items() if r.status != 202]
        if not waiting:
            break
        wait = max((int(r.retry_after or 1) for r in outcome.replies.values() if r.status == 503), default=1)
        time.sleep(min(wait, 2))  # honour Retry-After, capped to keep the test short
        for cid in waiting:
            outcome.replies[cid] = post_flag(cid, order[cid])
            resends += 1
    return resends


def settle(desk: Desk, timeout: float = 150, while_running: Callable[[], None] | None = None) -> None:
    """Run a worker as production does (long-running, its periodic reconcile tick on) and the
    reconciler by hand, until no item is pending; then stop the worker (warm shutdown).

    `while_running()` is called before the worker stops (e.g. to read /readyz, which shows
    the worker's classifier status only while a worker refreshes it).
    Jobs still queued by then are no-ops (their items were drained by the batch of an earlier
    job), so the test does not wait for RQ to fork a work horse for each of them.
    """
    started = time.monotonic()
    worker = start_worker(desk.env, log_path=desk.tmp / "worker.log")
    try:
        reconcile_out = desk.cli("reconcile").strip().replace("\n", "; ")
        wait_until(lambda: desk.item_counts().get("pending", 0) == 0, timeout,
                   "every item to leave `pending`", interval=0.5)
        # The worker's audit companion sequences every entry, those written during the fault too.
        wait_until(lambda: desk.audit_counts()["pending"] == 0, 60, "every audit entry to be sequenced",
                   interval=0.5)
        assert worker.poll() is None, f"the worker died: {desk.log_tail('worker.log')}"
        if while_running is not None:
            while_running()
    finally:
        stop_process(worker, timeout=20)
    print(f"settled in {time.monotonic() - started:.1f}s (reconcile: {reconcile_out}): {desk.item_counts()}")


def assert_exactly_once_and_scored(desk: Desk, accepted: set[str]) -> dict[str, int]:
    """Every accepted content id has one row, every row is scored once per model version."""
    counts = desk.item_counts()
    in_db = desk.content_ids()
    missing = accepted - in_db
    assert not missing, f"{len(missing)} accepted flags are not in the database, e.g. {sorted(missing)[:5]}"
    assert counts["max_rows_per_content_id"] <= 1, counts
    assert counts.get("scored", 0) == counts["items"], counts
    scores = desk.score_rows()
    assert scores["items"] == counts["items"], (scores, counts)
    assert scores["max_per_item_model"] == 1, scores
    return {**counts, **{f"score_{k}": v for k, v in scores.items()}}


def ingest(desk: Desk, ids: list[str], threads: int = 8) -> set[str]:
    """Send one flag per id through a real gunicorn; return the accepted ids (all, or fail)."""
    server = desk.gunicorn().start()
    try:
        replies = burst(flag_poster(server.base, desk.api_key), ids, threads=threads)
    finally:
        server.stop()
    bad = Counter(r.status for r in replies.values() if r.status != 202)
    assert not bad, (bad, desk.log_tail("gunicorn.log"))
    return set(replies)


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def assert_audit_complete(desk: Desk, items: int) -> dict[str, int]:
    """One `intake.flag_received` entry per stored item, every entry sequenced in one gapless
    sequence, and `flask audit verify` (against the witness) passes."""
    counts = desk.audit_counts()
    assert counts["flag_entries"] == items, counts
    assert counts["pending"] == 0 and counts["sequenced"] == counts["max_seq"], counts
    out = desk.cli("audit", "verify")
    assert "audit log intact" in out, out
    return counts
