"""What the worker stores besides the numbers: model version, evidence offsets into the scored
text (never text) and conversation context handed to the classifier."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

import workers.context
import workers.scoring_steps
from classifiers import Classifier, Contexts, ScoreResult
from models import ReviewItem
from tests.support.scoring import build_tiny, items, make_items, score_rows
from workers import preload
from workers.scoring import score_items

GROOMING = "Hi!  don't tell your parents, send me a pic and add me on snapchat"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny-evidence"))


@pytest.fixture
def sapp(app: Flask, tiny: Path, redis_conn: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app.config["C2C"].classifier = f"hf:{tiny}"
    monkeypatch.setattr(workers.context, "_app", app)
    preload.reset_for_tests()
    yield app
    preload.reset_for_tests()


class WithContexts:
    """Wraps a classifier and records the contexts it was given."""

    def __init__(self, inner: Classifier) -> None:
        self.inner, self.seen = inner, []  # type: ignore[var-annotated]
        self.name, self.version, self.reliable_languages = inner.name, inner.version, inner.reliable_languages

    def score_batch(self, texts: Sequence[str], contexts: Contexts = None) -> list[ScoreResult]:
        self.seen.append(contexts)
        return self.inner.score_batch(texts, contexts)


def _set_text(app: Flask, item_id: int, text: str) -> None:
    from c2c_safety.core.db import new_session

    s = new_session(app)
    s.get(ReviewItem, item_id).text = text  # type: ignore[union-attr]
    s.commit()
    s.close()


def test_evidence_offsets_and_model_version_are_stored(sapp: Flask) -> None:
    [item_id] = make_items(sapp, 1)
    _set_text(sapp, item_id, GROOMING)
    score_items([item_id])
    [row] = score_rows(sapp)
    assert row.model_version == preload.get_classifier(sapp).version
    assert row.extra["context_used"] is False
    spans = row.extra["evidence"]["grooming"]
    found = {e["label"]: GROOMING[e["start"]:e["end"]] for e in spans}
    assert found["rule:secrecy"] == "don't tell your parents"
    assert found["rule:private_channel"] == "add me on snapchat"
    assert all(set(e) == {"start", "end", "label"} for e in spans)   # offsets and labels, no text
    assert GROOMING not in str(row.extra)


def test_contexts_are_passed_when_the_desk_has_them(sapp: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = make_items(sapp, 2)
    monkeypatch.setattr(workers.scoring_steps, "load_contexts",
                        lambda session, kind, claimed: {ids[0]: ["our little secret, ok?"]})
    clf = WithContexts(preload.get_classifier(sapp))
    state = preload.state()
    assert state is not None
    preload.reset_for_tests(preload.ClassifierState(state.spec, clf, None, state.pid, 0.0, False))
    score_items(ids)
    assert clf.seen and clf.seen[0] is not None
    by_id = dict(zip(sorted(ids), clf.seen[0], strict=True))
    assert by_id[ids[0]] == ["our little secret, ok?"] and by_id[ids[1]] is None
    rows = {r.subject_id: r for r in score_rows(sapp)}
    assert rows[ids[0]].extra["context_used"] is True and rows[ids[1]].extra["context_used"] is False
    assert all(i.score_status == "scored" for i in items(sapp, ids).values())
