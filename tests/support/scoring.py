"""Helpers shared by the scoring and worker tests: items/cases in the real database, a real
`python -m workers` subprocess on the test Redis, and a tiny on-disk HF checkpoint."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from models import CaseFile, ItemScore, ReviewItem

ROOT = Path(__file__).resolve().parents[2]
TINY_LABELS = ["neutral", "toxic", "threat"]
TINY_MAP: dict[str, object] = {"toxic": ["harassment"], "threat": ["threat"]}


def build_tiny(directory: Path, labels: list[str] | None = None) -> Path:
    """A randomly initialised tiny BERT classifier (loads and scores in milliseconds)."""
    from tests.classifiers.conftest import build_tiny_checkpoint

    return build_tiny_checkpoint(directory, labels or TINY_LABELS, "single_label_classification",
                                 TINY_MAP)


def make_items(app: Flask, n: int, text: str = "you are so stupid, nobody likes you",
               prefix: str = "c", **fields: object) -> list[int]:
    s = new_session(app)
    try:
        items = [ReviewItem(content_type="post", platform_content_id=f"{prefix}-{i}", text=f"{text} {i}",
                            author_pseudonym=f"a-{i}", author_age_band="13to15", author_role="student",
                            **fields)
                 for i in range(n)]
        s.add_all(items)
        s.commit()
        return [i.id for i in items]
    finally:
        s.close()


def make_case(app: Flask, body: str | None = "a teacher keeps messaging a pupil privately",
              sealed: bytes | None = None) -> int:
    from c2c_safety.core.crypto import seal_text

    with app.app_context():
        s = new_session(app)
        try:
            case = CaseFile(reference=f"R-{os.urandom(4).hex()}", category="safeguarding_minor",
                            routed_role="safeguarding_lead",
                            body_sealed=sealed if sealed is not None else seal_text(body))
            s.add(case)
            s.commit()
            return case.id
        finally:
            s.close()


def items(app: Flask, ids: Sequence[int]) -> dict[int, ReviewItem]:
    s = new_session(app)
    try:
        return {r.id: r for r in s.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids)))}
    finally:
        s.close()


def score_rows(app: Flask, kind: str = "item") -> list[ItemScore]:
    s = new_session(app)
    try:
        return list(s.scalars(select(ItemScore).where(ItemScore.subject_type == kind)
                              .order_by(ItemScore.subject_id, ItemScore.id)))
    finally:
        s.close()


def max_rows_per_subject_version(app: Flask) -> int:
    s = new_session(app)
    try:
        per = (select(func.count().label("n")).select_from(ItemScore)
               .group_by(ItemScore.subject_type, ItemScore.subject_id, ItemScore.model_version).subquery())
        return int(s.scalar(select(func.coalesce(func.max(per.c.n), 0))) or 0)
    finally:
        s.close()


def worker_env(app: Flask, database_url: str, redis_url: str, classifier: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env.update({
        "C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
        "C2C_INSTANCE_PATH": str(app.config["C2C"].instance_path), "C2C_CLASSIFIER": classifier,
        "C2C_LOG_LEVEL": "INFO", "C2C_TORCH_THREADS": "1", "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def start_worker(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m workers` leading its own process group, so SIGKILL takes its horse too."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "workers", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def run_worker_burst(env: dict[str, str], log: Path, timeout: float = 180) -> int:
    proc = start_worker(env, "--burst", log=log)
    try:
        return proc.wait(timeout=timeout)
    finally:
        kill_group(proc)


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (from /proc). RQ's work horse calls setpgrp(), so
    killing the worker's process group does NOT take the horse with it."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its horse(s), as an OOM kill or a lost machine would."""
    if proc.poll() is None:
        victims = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
