"""The team's classroom-register examples: short messages in the register of 9-16-year-olds
chatting about school projects, in every classroom language.

Three files, written separately and kept apart (provenance in each file's first line):

* ``classroom_train.jsonl`` — for training (the corpus loads it as source ``classroom``);
  written by fourteen hands (``hand``: cls, D to P; L to P wrote 50 peer-bullying
  messages of ten kinds per language, round 6);
* ``classroom_test_hands.jsonl`` — the headline held-out set: written by three other hands
  (A, B, C) who never saw the rules, the training sets or each other's work, 15 languages;
* ``classroom_test.jsonl`` — the first, small held-out set, by the rules' own author (cls).

The two test files are never loaded by training (``load_corpus`` does not read them;
tests/classifiers check that) and are measured by ``evaluation/classroom.py``. None holds
anything a user wrote. Records: ``{"id", "language", "category", "text"}`` and optionally
``"subtype"`` (benign ones start ``hard`` for hard negatives) and ``"hand"``; category one of
the desk's categories or ``"benign"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..types import CATEGORIES

HERE = Path(__file__).parent
TRAIN_FILE = HERE / "classroom_train.jsonl"
TEST_FILE = HERE / "classroom_test.jsonl"
HANDS_TEST_FILE = HERE / "classroom_test_hands.jsonl"
# Held-out sets, headline first: (key, file, what the report says about who wrote it).
TEST_SETS = (("hands", HANDS_TEST_FILE, "three writers who never saw the rules or any training data"),
             ("author", TEST_FILE, "the rules' own author, before the rules"))
LANGUAGES = ("da", "de", "es", "it", "fr", "nl", "sv", "nb", "pl", "pt", "tr", "uk", "en")
# The headline set also covers the public form's other language and Greek (public data exists).
HANDS_LANGUAGES = (*LANGUAGES, "sw", "el")


@dataclass(frozen=True)
class ClassroomMessage:
    id: str
    language: str
    category: str        # a desk category, or "benign"
    text: str
    subtype: str = ""    # e.g. "hard-negative gaming-kill", "move-to-other-app"
    hand: str = ""       # who wrote it (the file's provenance says who that is)

    @property
    def hard_negative(self) -> bool:
        return self.category == "benign" and self.subtype.startswith("hard")

    @property
    def harmful(self) -> bool:
        return self.category != "benign"


def provenance(path: Path = TEST_FILE) -> str:
    """The file's first line, a ``{"_provenance": ...}`` record."""
    with path.open(encoding="utf-8") as handle:
        first = json.loads(handle.readline())
    return str(first.get("_provenance", "")) if isinstance(first, dict) else ""


def load_classroom(path: Path = TEST_FILE) -> list[ClassroomMessage]:
    out: list[ClassroomMessage] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            if "_provenance" in record:
                continue
            category = str(record["category"])
            if category != "benign" and category not in CATEGORIES:
                raise ValueError(f"{path.name}: unknown category {category!r} in {record.get('id')}")
            out.append(ClassroomMessage(str(record["id"]), str(record["language"]), category, str(record["text"]),
                                        str(record.get("subtype", "")), str(record.get("hand", ""))))
    return out
