"""Readiness: can this process reach what it needs? Says which part is down, never why in detail."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from c2c_safety.core.db import engine_for
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis

# Workers publish the state of their classifier here (see workers.__main__).
CLASSIFIER_STATUS_KEY = "c2c:classifier:status"


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(v == "ok" for k, v in self.checks.items() if k in {"database", "redis"})

    def as_dict(self) -> dict[str, object]:
        down = sorted(k for k, v in self.checks.items() if v != "ok")
        return {"ready": self.ready, "checks": self.checks, "down": down}


def readiness(app: Flask) -> Readiness:
    report = Readiness()
    try:
        with engine_for(app).connect() as conn:
            conn.execute(text("SELECT 1"))
        report.checks["database"] = "ok"
    except SQLAlchemyError:
        report.checks["database"] = "unreachable"
    try:
        conn_r = get_redis(app)
        conn_r.ping()
        report.checks["redis"] = "ok"
        status = conn_r.get(CLASSIFIER_STATUS_KEY)
        # The classifier runs in the workers; a broken model does not make the web unready
        # (flags still reach humans, unscored), but readyz says so.
        line = status.decode() if isinstance(status, bytes) else str(status or "no worker has reported")
        report.checks["classifier"] = _public_status(line)
    except (RedisError, OSError, EmbeddedRedisError):
        report.checks["redis"] = "unreachable"
    return report


def _public_status(text: str) -> str:
    """/readyz is unauthenticated: say that the classifier failed and with which error type,
    but not the message (it can hold file paths)."""
    if text.startswith("failed:"):
        kind = text.removeprefix("failed:").strip().split(":", 1)[0].split()[0:1]
        return "failed: " + (kind[0] if kind else "unknown error")
    return text
