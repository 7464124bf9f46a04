"""The team's classroom sets: kept apart, complete per language, measured with honest intervals."""

from __future__ import annotations

import json

import pytest

from classifiers import CATEGORIES
from classifiers.data.classroom import (
    HANDS_LANGUAGES,
    HANDS_TEST_FILE,
    LANGUAGES,
    TEST_FILE,
    TEST_SETS,
    TRAIN_FILE,
    load_classroom,
    provenance,
)
from classifiers.data.corpus import CONVERSATIONS_FILE, classroom_examples
from classifiers.data.examples import TEAM_FILE, text_key
from classifiers.evaluation.classroom import classroom_rows
from classifiers.evaluation.metrics import wilson


def _texts(path: object) -> set[str]:
    out = set()
    with open(path, encoding="utf-8") as handle:  # type: ignore[call-overload]
        for line in handle:
            record = json.loads(line)
            for text in [record.get("text"), *record.get("messages", [])]:
                if isinstance(text, str):
                    out.add(text_key(text))
    return out


def test_held_out_texts_appear_in_no_training_file() -> None:
    held_out = {text_key(m.text) for _key, path, _who in TEST_SETS for m in load_classroom(path)}
    assert len(held_out) > 800
    for training in (TRAIN_FILE, TEAM_FILE, CONVERSATIONS_FILE):
        assert not held_out & _texts(training), training.name
    # and the corpus' classroom rows come from the training file only
    assert {text_key(ex.text) for ex in classroom_examples()} == {text_key(m.text) for m in load_classroom(TRAIN_FILE)}


def test_every_classroom_language_has_harm_of_each_kind_and_benign_chat() -> None:
    messages = load_classroom(TEST_FILE)
    for lang in LANGUAGES:
        kinds = {m.category for m in messages if m.language == lang}
        assert {"harassment", "threat", "self_harm", "grooming", "hate", "benign"} <= kinds, lang
    assert len({m.id for m in messages}) == len(messages)
    assert "never loaded by training" in provenance(TEST_FILE)
    assert "Nothing here was written by a user" in provenance(TRAIN_FILE)


def test_wilson_interval_is_wide_for_small_sets() -> None:
    low, high = wilson(7, 7)
    assert low == pytest.approx(0.646, abs=1e-3) and high == 1.0
    low, high = wilson(0, 4)
    assert low == 0.0 and high == pytest.approx(0.490, abs=1e-3)
    low, high = wilson(90, 91)
    assert 0.94 < low < 0.95 < high


def test_classroom_rows_count_catches_misses_and_false_positives() -> None:
    messages = [m for m in load_classroom(TEST_FILE) if m.language in ("da", "en")]
    thresholds = {c: 0.5 for c in CATEGORIES}
    # every harmful message scores high in its own category except one, one benign is flagged
    scores = [{c: (0.9 if c == m.category else 0.1) for c in CATEGORIES} for m in messages]
    missed = next(i for i, m in enumerate(messages) if m.category == "threat")
    scores[missed] = {c: 0.1 for c in CATEGORIES}
    flagged = next(i for i, m in enumerate(messages) if m.category == "benign")
    scores[flagged] = {**scores[flagged], "harassment": 0.6}
    rows = {r.language: r for r in classroom_rows(messages, scores, thresholds)}
    harmful = sum(m.harmful for m in messages)
    assert rows["ALL"].caught.k == harmful - 1 and rows["ALL"].caught.n == harmful
    assert rows["ALL"].benign_flagged.k == 1
    assert rows["ALL"].missed == (messages[missed].id,)
    assert rows["ALL"].by_category["threat"].k == rows["ALL"].by_category["threat"].n - 1


def test_the_headline_set_is_by_other_hands_and_covers_every_public_language() -> None:
    messages = load_classroom(HANDS_TEST_FILE)
    assert TEST_SETS[0][1] == HANDS_TEST_FILE  # the report leads with it
    assert {m.hand for m in messages} == {"A", "B", "C"}
    assert not {m.hand for m in messages} & {m.hand for m in load_classroom(TRAIN_FILE)}
    for lang in HANDS_LANGUAGES:
        mine = [m for m in messages if m.language == lang]
        kinds = {m.category for m in mine}
        assert {"harassment", "threat", "self_harm", "grooming", "sexual", "hate", "benign"} <= kinds, lang
        assert sum(m.hard_negative for m in mine) >= 10, lang  # benign that shares words with harm
        assert sum(m.harmful for m in mine) >= 25, lang
    assert len({m.id for m in messages}) == len(messages)
    assert "None of them saw the classifier's rules" in provenance(HANDS_TEST_FILE)
    # the training file's writers are named too, and none of them wrote a test set
    assert {"D", "E", "F", "G", "H", "I", "J", "K"} <= {m.hand for m in load_classroom(TRAIN_FILE)}


def test_classroom_rows_report_hard_negatives_and_false_alarm_ids() -> None:
    messages = [m for m in load_classroom(HANDS_TEST_FILE) if m.language == "da"]
    thresholds = {c: 0.5 for c in CATEGORIES}
    scores = [{c: 0.1 for c in CATEGORIES} for _ in messages]
    hard = next(i for i, m in enumerate(messages) if m.hard_negative)
    scores[hard] = {**scores[hard], "threat": 0.7}
    rows = {r.language: r for r in classroom_rows(messages, scores, thresholds)}
    assert rows["ALL"].false_alarms == (messages[hard].id,)
    assert rows["da"].hard_negatives_flagged is not None and rows["da"].hard_negatives_flagged.k == 1
    assert rows["da"].benign_flagged.k == 1 and rows["da"].caught.k == 0
