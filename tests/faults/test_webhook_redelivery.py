"""Redis restarted (SIGKILL, no persistence) with webhook deliveries queued on it: the jobs are
gone, the delivery rows are not, and the worker's periodic webhook reconcile sends every one
of them without anyone pressing "Queue every due delivery now" (issue 16)."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from sqlalchemy import func, select

from bench.servers import start_worker, stop_process
from c2c_safety import create_app
from c2c_safety.core.config import Config
from c2c_safety.core.db import new_session
from c2c_safety.review import claims, decisions
from models import User
from models.review import WebhookDelivery
from tests.faults.conftest import DeskFactory, Say
from tests.faults.helpers import wait_until
from tests.support.review import make_item
from tests.webhooks.test_webhooks import SECRET, Receiver

pytestmark = pytest.mark.faults

N_DECISIONS = 6


def _decide_all(env: dict[str, str], n: int) -> list[int]:
    """Real decisions through the service (each writes its delivery row), then enqueue."""
    from c2c_safety.accounts import users as accounts
    from c2c_safety.webhooks import deliveries as webhooks

    app = create_app(Config.from_env(env))
    out: list[int] = []
    with app.app_context():
        s = new_session(app)
        mod = accounts.create_user(s, "faults-moderator@test.c2c", "fault-password-123", ["moderator"])
        s.commit()
        for _ in range(n):
            iid = make_item(app, scores={"harassment": 0.9})
            user = s.get(User, mod.id)
            claims.claim(s, iid, user)
            s.commit()
            from models import ReviewItem

            result = decisions.decide(s, user, decisions.DecisionRequest(
                item_id=iid, version=s.get(ReviewItem, iid).version, action="remove",
                reason_code="bullying_harassment", facts="Name-calling aimed at a classmate.",
                duration="permanent"))
            s.commit()
            out += result.delivery_ids
        for delivery_id in out:
            assert webhooks.enqueue(delivery_id, app) is not None
        s.close()
    app.extensions["c2c_engine"].dispose()
    return out


def test_redis_restart_with_deliveries_queued_delivers_them_without_a_button(make_desk: DeskFactory,
                                                                                 say: Say) -> None:
    with Receiver([]) as receiver:
        desk = make_desk(classifier="default", C2C_WEBHOOK_URL=receiver.url, C2C_WEBHOOK_SECRET=SECRET,
                         C2C_PERIODIC_WEBHOOKS_RECONCILE_SECONDS="3")
        ids = _decide_all(desk.env, N_DECISIONS)
        queued = Redis.from_url(desk.redis.url).llen("rq:queue:high")
        desk.redis.kill()
        desk.redis.start()  # empty: the queued delivery jobs are gone
        assert Redis.from_url(desk.redis.url).llen("rq:queue:high") == 0
        started = time.monotonic()
        worker = start_worker(desk.env, "--no-preload", log_path=desk.tmp / "worker.log")
        try:
            def delivered() -> int:
                with desk.engine.connect() as conn:
                    return int(conn.execute(select(func.count()).select_from(WebhookDelivery)
                                            .where(WebhookDelivery.status == "delivered")).scalar_one())

            wait_until(lambda: delivered() == len(ids), 90, "every delivery to be delivered", interval=0.5)
        finally:
            stop_process(worker, timeout=20)
        elapsed = time.monotonic() - started
    say(f"webhooks: {len(ids)} deliveries queued ({queued} jobs on Redis), Redis SIGKILLed and restarted "
        f"empty; all delivered {elapsed:.1f}s after a worker started, with no button pressed")
    assert receiver.bad_signatures == 0
    assert sorted({r["delivery"] for r in receiver.received}) == sorted(
        {str(r["event_id"]) for r in (x["json"] for x in receiver.received)})
    assert len({r["delivery"] for r in receiver.received}) == len(ids)
