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
    """`checks`: part -> "ok" or what is wrong, safe for anyone; `details`: part -> the full
    line (model name and version, the error type), for signed-in staff only."""

    checks: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(v == "ok" for k, v in self.checks.items() if k in {"database", "redis"})

    @property
    def down(self) -> list[str]:
        return sorted(k for k, v in self.checks.items() if v != "ok")

    def as_dict(self, *, detailed: bool = False) -> dict[str, object]:
        out: dict[str, object] = {"ready": self.ready, "checks": self.checks, "down": self.down}
        if detailed:
            out["details"] = self.details
        return out


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
        line = status.decode() if isinstance(status, bytes) else str(status or "")
        report.checks["classifier"] = _public_status(line)
        report.details["classifier"] = line or "no worker has reported"
    except (RedisError, OSError, EmbeddedRedisError):
        report.checks["redis"] = "unreachable"
    return report


def _public_status(line: str) -> str:
    """/readyz is unauthenticated: "ok" without the model's name or version (which tell an
    attacker what to aim at), or that it failed with which error type, never the message
    (it can hold file paths)."""
    if line.startswith("ok"):
        return "ok"
    if line.startswith("failed:"):
        kind = line.removeprefix("failed:").strip().split(":", 1)[0].split()[0:1]
        return "failed: " + (kind[0] if kind else "unknown error")
    return "unknown: no worker has reported" if not line else "unknown"
