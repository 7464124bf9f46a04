"""Webhooks to the platform, against a REAL receiver on 127.0.0.1 that checks the HMAC
signature and fails the first delivery (HTTP 500) to prove retries. Also through a real
RQ worker process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, update

from c2c_safety.core.db import new_session
from c2c_safety.review import claims, decisions
from c2c_safety.webhooks import deliveries as webhooks
from models import ReviewItem, User, utcnow
from models.review import WebhookAttempt, WebhookDelivery
from tests.support.review import make_item

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret-0123456789"


class Receiver:
    def __init__(self, plan: list[int]) -> None:
        self.plan = list(plan)
        self.received: list[dict[str, object]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers.get("X-C2C-Timestamp", "")
                sig = self.headers.get("X-C2C-Signature", "")
                if not webhooks.verify(SECRET, ts, body, sig):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                status = receiver.plan.pop(0) if receiver.plan else 200
                receiver.received.append({"status": status, "json": json.loads(body),
                                          "delivery": self.headers.get("X-C2C-Delivery"),
                                          "event": self.headers.get("X-C2C-Event")})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/c2c"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app) -> Iterator[Receiver]:
    with Receiver([500]) as r:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = r.url, SECRET
        yield r


def _decided(app, make_user) -> tuple[int, int]:
    """A real decision through the service; returns (decision id, delivery id)."""
    iid = make_item(app, scores={"harassment": 0.9})
    mod = make_user("moderator")
    with app.app_context():
        s = new_session(app)
        u = s.get(User, mod.id)
        claims.claim(s, iid, u)
        s.commit()
        result = decisions.decide(s, u, decisions.DecisionRequest(
            item_id=iid, version=s.get(ReviewItem, iid).version, action="restrict",
            reason_code="bullying_harassment", facts="Name-calling aimed at a classmate.",
            duration="until_review"))
        s.commit()
        ids = result.decision.id, result.delivery_ids[0]
        s.close()
    return ids


def test_signed_failed_once_then_retried_and_acknowledged(app, make_user, receiver, db):
    decision_id, delivery_id = _decided(app, make_user)
    with app.app_context():
        first = webhooks.run_delivery(delivery_id, app)
        assert first.status == "retry" and first.status_code == 500 and first.retry_in == 30
        # not due yet: a second worker picking it up early does nothing
        assert webhooks.due_deliveries(db) == []
        db.rollback()
        db.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.commit()
        assert webhooks.due_deliveries(db) == [delivery_id]
        db.rollback()
        second = webhooks.run_delivery(delivery_id, app)
        assert second.status == "delivered"
        again = webhooks.run_delivery(delivery_id, app)  # idempotent: nothing sent twice
        assert again.status == "skipped"
    assert receiver.bad_signatures == 0
    assert [r["status"] for r in receiver.received] == [500, 200]
    body = receiver.received[1]["json"]
    assert body["event"] == "decision.made" and body["data"]["decision_id"] == decision_id
    assert body["data"]["action"] == "restrict"
    assert receiver.received[0]["delivery"] == receiver.received[1]["delivery"] == body["event_id"]
    row = db.get(WebhookDelivery, delivery_id)
    assert row.status == "delivered" and row.attempts == 2 and row.delivered_at is not None
    attempts = db.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                          .order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [500, 200]


def test_a_wrong_secret_is_rejected_by_the_receiver(app, make_user, receiver):
    _decision_id, delivery_id = _decided(app, make_user)
    app.config["C2C"].webhook_secret = "not-the-shared-secret"
    with app.app_context():
        out = webhooks.run_delivery(delivery_id, app)
    assert out.status == "retry" and out.status_code == 401 and receiver.bad_signatures == 1


def test_signature_format():
    sig = webhooks.sign("k", "1700000000", b'{"a":1}')
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert webhooks.verify("k", "1700000000", b'{"a":1}', sig)
    assert not webhooks.verify("k", "1700000001", b'{"a":1}', sig)


def test_backoff_grows_and_caps():
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff_seconds(50) == 3600


def test_unreachable_receiver_is_recorded_not_raised(app, make_user):
    _decision_id, delivery_id = _decided(app, make_user)  # created while not configured
    cfg = app.config["C2C"]
    cfg.webhook_url, cfg.webhook_secret = "http://127.0.0.1:1/nothing-here", SECRET
    with app.app_context():
        s = new_session(app)
        assert webhooks.due_deliveries(s) == [delivery_id]  # not_configured → pending now
        s.commit()
        s.close()
        out = webhooks.run_delivery(delivery_id, app)
        s = new_session(app)
        row = s.get(WebhookDelivery, delivery_id)
        assert out.status == "retry" and row.last_error and row.status == "pending"
        s.close()


def test_not_configured_is_kept_and_visible_to_admins(app, client, signed_in, make_user):
    _decided(app, make_user)
    signed_in("admin")
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert "not configured" in html.lower() and "decision.made" in html


def test_failures_are_visible_to_admins(app, client, signed_in, make_user, receiver):
    _decision_id, delivery_id = _decided(app, make_user)
    with app.app_context():
        webhooks.run_delivery(delivery_id, app)
    signed_in("admin")
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert "failing" in html and "500" in html


def test_delivered_by_a_real_worker_process(app, make_user, redis_conn, database_url, redis_url, db):
    with Receiver([500]) as r:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = r.url, SECRET
        _decision_id, delivery_id = _decided(app, make_user)
        with app.app_context():
            assert webhooks.enqueue(delivery_id) is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
        env.update({"C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
                    "C2C_INSTANCE_PATH": str(cfg.instance_path), "C2C_WEBHOOK_URL": r.url,
                    "C2C_WEBHOOK_SECRET": SECRET})

        def burst() -> None:
            proc = subprocess.run([sys.executable, "-m", "workers", "--burst", "--no-preload"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                                  check=False)
            assert proc.returncode == 0, proc.stderr[-2000:]

        burst()  # first attempt: 500, retry scheduled
        row = db.get(WebhookDelivery, delivery_id)
        assert row.status == "pending" and row.attempts == 1
        assert r.received and r.received[0]["status"] == 500
        # the retry is on RQ's schedule; make it due now and let the reconciler job re-enqueue
        db.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.commit()
        from rq import Queue

        Queue("low", connection=redis_conn).enqueue("workers.webhooks.reconcile")
        burst()
        db.expire_all()
        row = db.get(WebhookDelivery, delivery_id)
        assert row.status == "delivered" and row.attempts == 2
        assert r.bad_signatures == 0 and [x["status"] for x in r.received] == [500, 200]
