"""The classifier cannot load (checkpoint missing, or its weights corrupt).

AI is assistive: a broken model must never keep a flag from a person. Items still reach the
moderators' queue, marked failed (unscored) with the reason type, and /readyz says what is
wrong with the classifier while the web stays ready (database and Redis are fine).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.loadgen import burst, flag_poster
from c2c_safety import create_app
from c2c_safety.accounts import users as accounts
from c2c_safety.core.config import Config
from c2c_safety.core.db import new_session
from c2c_safety.review import queue
from models import ReviewItem, ScoreStatus
from tests.faults.conftest import DeskFactory, Say
from tests.faults.helpers import settle

pytestmark = pytest.mark.faults

N_ITEMS = 8


def _corrupt_copy(checkpoint: Path, target: Path) -> Path:
    shutil.copytree(checkpoint, target)
    weights = target / "model.safetensors"
    weights.write_bytes(b"\x00not a safetensors file" * 64)  # present, so only loading finds out
    return target


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_broken_model_still_reaches_people(make_desk: DeskFactory, say: Say, tiny_checkpoint: Path, tmp_path: Path,
                                           broken: str) -> None:
    ckpt = tmp_path / "no-such-checkpoint" if broken == "missing" else _corrupt_copy(tiny_checkpoint,
                                                                                      tmp_path / "corrupt")
    # One attempt: with the default three, RQ's retry backoff (5 s, 30 s) would only delay
    # the same outcome.
    desk = make_desk(classifier=f"hf:{ckpt}", C2C_SCORING_MAX_ATTEMPTS="1")
    server = desk.gunicorn().start()
    try:
        replies = burst(flag_poster(server.base, desk.api_key), [f"broken-{n}" for n in range(N_ITEMS)], threads=4)
        assert {r.status for r in replies.values()} == {202}
        readyz: dict[str, object] = {}

        def read_readyz() -> None:
            with urllib.request.urlopen(server.base + "/readyz", timeout=10) as resp:
                readyz.update(status=resp.status, body=json.loads(resp.read()))

        settle(desk, while_running=read_readyz)
    finally:
        server.stop()
    ready_status, ready = readyz["status"], readyz["body"]
    assert isinstance(ready, dict)
    say(f"classifier {broken}: {desk.item_counts()}; /readyz {ready_status} {ready}")

    with desk.engine.connect() as conn:
        rows = conn.execute(select(ReviewItem.score_status, ReviewItem.score_error, ReviewItem.status)).all()
    assert len(rows) == N_ITEMS
    assert {r.score_status for r in rows} == {ScoreStatus.FAILED}
    assert all(r.score_error and "ClassifierLoadError" in r.score_error for r in rows), rows[:2]
    assert {r.status for r in rows} == {"open"}

    # /readyz: still ready (flags are accepted and queued for people), and says why scoring fails.
    assert ready_status == 200 and ready["ready"] is True
    assert ready["checks"]["classifier"].startswith("failed:"), ready
    assert "ClassifierLoadError" in ready["checks"]["classifier"]

    # The moderators' queue shows every item, under "unscored".
    app = create_app(Config.from_env(desk.env))
    with app.app_context():
        s = new_session(app)
        try:
            moderator = accounts.create_user(s, "mod@faults.test", "test-password-123", ["moderator"])
            s.commit()
            page = queue.page(s, queue.QueueFilters(category="unscored"), moderator, limit=100)
        finally:
            s.close()
    app.extensions["c2c_engine"].dispose()
    assert page.count.n == N_ITEMS
    assert {r.score_status for r in page.rows} == {ScoreStatus.FAILED}
