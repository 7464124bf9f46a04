"""The team's classroom-register examples: short messages in the register of 9-16-year-olds
chatting about school projects, in every classroom language.

Two files, written separately and kept apart (provenance in each file's first line):

* ``classroom_train.jsonl`` — for training (the corpus loads it as source ``classroom``);
* ``classroom_test.jsonl`` — held out: never loaded by training (``load_corpus`` does not
  read it; tests/classifiers check that), measured by ``evaluation/classroom.py``.

Neither holds anything a user wrote. Records: ``{"id", "language", "category", "text"}``,
category one of the desk's categories or ``"benign"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..types import CATEGORIES

HERE = Path(__file__).parent
TRAIN_FILE = HERE / "classroom_train.jsonl"
TEST_FILE = HERE / "classroom_test.jsonl"
LANGUAGES = ("da", "de", "es", "it", "fr", "nl", "sv", "nb", "pl", "pt", "tr", "uk", "en")


@dataclass(frozen=True)
class ClassroomMessage:
    id: str
    language: str
    category: str        # a desk category, or "benign"
    text: str

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
            out.append(ClassroomMessage(str(record["id"]), str(record["language"]), category, str(record["text"])))
    return out
