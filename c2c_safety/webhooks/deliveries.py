"""Signed webhooks to the platform: the desk never edits platform content itself, it tells
the platform what a person decided and the platform acts.

A delivery row is written in the same transaction as the decision it reports, so nothing is
lost if Redis is down: the job is enqueued after commit, and `due_deliveries` lets the
reconciler pick up anything that was never enqueued or whose job died.

Signature: `X-C2C-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with
`X-C2C-Timestamp` (unix seconds) and `X-C2C-Delivery` (the event id, for de-duplication).
Retries back off exponentially (30 s, 1 min, 2 min … capped at 1 h) until a 2xx arrives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from models import utcnow
from models.review import WebhookAttempt, WebhookDelivery, WebhookStatus

LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 3600
JOB = "workers.webhooks.deliver"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What the platform does on receipt (used by the tests' receiver)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _configured(app: Flask | None = None) -> bool:
    cfg = (app or current_app).config["C2C"]
    return bool(cfg.webhook_url and cfg.webhook_secret)


def create_delivery(session: Session, event: str, data: dict[str, Any], *,
                    decision_id: int | None = None) -> WebhookDelivery:
    """Write the delivery row in the caller's transaction (caller commits, then enqueues)."""
    event_id = str(uuid.uuid4())
    now = utcnow()
    payload = {"event": event, "event_id": event_id, "occurred_at": now.isoformat(), "data": data}
    row = WebhookDelivery(
        event_id=event_id, event=event, decision_id=decision_id, payload=payload,
        status=WebhookStatus.PENDING if _configured() else WebhookStatus.NOT_CONFIGURED,
        next_attempt_at=now, created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def enqueue(delivery_id: int, app: Flask | None = None) -> str | None:
    """After commit. None when Redis is down: the row stays pending for the reconciler."""
    from c2c_safety.core.queueing import enqueue as _enqueue

    return _enqueue(JOB, delivery_id, queue_name="high", app=app)


def backoff_seconds(attempts: int) -> int:
    return int(min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | retry | not_configured | skipped
    retry_in: int | None = None
    status_code: int | None = None


@dataclass(frozen=True)
class _Prepared:
    event: str
    event_id: str
    body: bytes


def _lease(session: Session, delivery_id: int, now: datetime) -> _Prepared | None:
    """Take a short lease so two workers never send the same delivery at once."""
    taken = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == WebhookStatus.PENDING,
               or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now))
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        return None
    row = session.get(WebhookDelivery, delivery_id)
    assert row is not None
    return _Prepared(row.event, row.event_id, encode(row.payload))


def _post(url: str, secret: str, prepared: _Prepared) -> tuple[int | None, str | None, int]:
    if not url.startswith(("https://", "http://")):
        return None, "URL scheme not allowed", 0
    ts = str(int(time.time()))
    req = urllib.request.Request(url, data=prepared.body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "User-Agent": "c2c-safety-webhooks/1",
        "X-C2C-Event": prepared.event, "X-C2C-Delivery": prepared.event_id,
        "X-C2C-Timestamp": ts, "X-C2C-Signature": sign(secret, ts, prepared.body),
    })
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 (configured URL)
            code: int | None = int(resp.status)
            error = None
    except urllib.error.HTTPError as exc:
        code, error = int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # The type only: a message could echo the URL's credentials.
        code, error = None, type(exc).__name__
    return code, error, int((time.monotonic() - start) * 1000)


def run_delivery(delivery_id: int, app: Flask | None = None) -> Outcome:
    """One attempt: lease (commit), POST outside any transaction, record the attempt (commit)."""
    application = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cfg = application.config["C2C"]
    s = new_session(application)
    try:
        now = utcnow()
        if not _configured(application):
            row = s.get(WebhookDelivery, delivery_id)
            if row is not None and row.status == WebhookStatus.PENDING:
                row.status = WebhookStatus.NOT_CONFIGURED
                row.last_error = "C2C_WEBHOOK_URL or C2C_WEBHOOK_SECRET not set"
                s.commit()
            return Outcome("not_configured")
        prepared = _lease(s, delivery_id, now)
        s.commit()
        if prepared is None:
            return Outcome("skipped")
        code, error, ms = _post(cfg.webhook_url, cfg.webhook_secret, prepared)
        row = s.get(WebhookDelivery, delivery_id)
        assert row is not None
        done = utcnow()
        row.attempts += 1
        row.last_status_code, row.last_error, row.lease_until = code, error, None
        s.add(WebhookAttempt(delivery_id=row.id, at=done, status_code=code, error=error,
                             duration_ms=ms))
        if code is not None and 200 <= code < 300:
            row.status, row.delivered_at, row.last_error = WebhookStatus.DELIVERED, done, None
            s.commit()
            return Outcome("delivered", status_code=code)
        delay = backoff_seconds(row.attempts)
        row.next_attempt_at = done + timedelta(seconds=delay)
        s.commit()
        return Outcome("retry", retry_in=delay, status_code=code)
    finally:
        s.close()


def due_deliveries(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due and that no worker holds. If the webhook
    has been configured since, deliveries kept as not_configured become pending again."""
    now = now or utcnow()
    if _configured():
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.status == WebhookStatus.NOT_CONFIGURED)
            .values(status=WebhookStatus.PENDING, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    return list(session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == WebhookStatus.PENDING,
               WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now))
        .order_by(WebhookDelivery.id).limit(limit)
    ))


def retry_now(session: Session, delivery_id: int) -> WebhookDelivery | None:
    """Admin: make a pending or not-configured delivery due at once (caller commits, enqueues)."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.status == WebhookStatus.DELIVERED:
        return None
    row.next_attempt_at = utcnow()
    if row.status == WebhookStatus.NOT_CONFIGURED and _configured():
        row.status = WebhookStatus.PENDING
    session.flush()
    return row


@dataclass(frozen=True)
class DeliveryOverview:
    failing: list[WebhookDelivery]
    not_configured: list[WebhookDelivery]
    recent: list[WebhookDelivery]
    configured: bool


def overview(session: Session, limit: int = 100) -> DeliveryOverview:
    failing = list(session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == WebhookStatus.PENDING, WebhookDelivery.attempts > 0)
        .order_by(WebhookDelivery.id).limit(limit)))
    waiting = list(session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.status == WebhookStatus.NOT_CONFIGURED)
        .order_by(WebhookDelivery.id.desc()).limit(limit)))
    recent = list(session.scalars(
        select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(20)))
    return DeliveryOverview(failing, waiting, recent, _configured())


def attempts_of(session: Session, delivery_id: int) -> list[WebhookAttempt]:
    return list(session.scalars(select(WebhookAttempt).where(
        WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)))
