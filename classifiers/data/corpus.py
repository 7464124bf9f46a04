"""The training/evaluation corpus: every public source (sources.py) plus the team-written examples and
conversations, capped per source, with splits that never depend on the seed.

``test`` rows are never returned unless asked for, and train/val rows whose
normalised text equals any test row's are dropped (retweets, template twins).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..context import join_context
from ..types import CATEGORIES
from . import sources as src
from .classroom import TRAIN_FILE as CLASSROOM_TRAIN
from .classroom import load_classroom
from .examples import TEAM_WEIGHT, Example, bucket, load_team_examples, text_key

CONVERSATIONS_FILE = Path(__file__).parent / "team_conversations.jsonl"
# The classroom messages are the desk's own register (children on a school platform), 4 % of
# the rows: weighted up so that they shape the heads as much as a large public set does.
# Chosen on the classroom validation split (other hands than the held-out sets), issue 23.
CLASSROOM_WEIGHT = 4.0

# train+val rows per source (the rest is never read), sized so that caching the
# frozen layers and fine-tuning stay within the documented time on 2 cores.
# Real comments and chat outweigh template-built tests (issue 23: the goals are on real
# text), so the functional-test suites are capped lower than the real sets.
CAPS = {"olid": 8000, "davidson": 3000, "toxigen": 10_000, "mlma_en": 1500, "germeval": 5000,
        "suicide_watch": 1200, "dkhate": 10_000, "greek": 3000, "turkish": 8000,
        "hatecheck": 1500, "conda": 3000, "team": 10_000, "classroom": 10_000,
        "gahd": 6000, "told_br": 6000, "pejorativity_it": 2000,
        **{f"mhc_{c}": 800 for c in src.MHC_LANGUAGES.values()}}
# held-out rows scored per source (bounds evaluation time; sampling is fixed)
TEST_CAPS = {"olid": 860, "davidson": 500, "mlma_en": 400, "mlma_fr": 400, "germeval": 1000,
             "suicide_watch": 300, "greek": 500, "turkish": 500, "conda": 1000,
             "gahd": 600, "told_br": 600, "pejorativity_it": 600,
             **{f"mhc_{c}": 600 for c in src.MHC_LANGUAGES.values()}}

SOURCES: dict[str, tuple[str, str, str]] = dict(src.SOURCES)
SOURCES["classroom"] = ("c2c-safety team-written classroom-register messages, 13 languages (not user content)",
                        "project-owned", "classifiers/data/classroom_train.jsonl")
SOURCES["team_conversations"] = ("c2c-safety team-written conversations (not user content)",
                                 "project-owned", "classifiers/data/team_conversations.jsonl")


@dataclass(frozen=True)
class Conversation:
    id: str
    language: str
    label: str                # "grooming" or "benign"
    context: tuple[str, ...]  # messages before the flagged one
    text: str                 # the flagged (last) message
    split: str                # "train" or "test"


def load_conversations(path: Path = CONVERSATIONS_FILE) -> list[Conversation]:
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if "_comment" not in record:
                rows.append(record)
    # Half of each (label, language) group is trained on, half measured.
    out: list[Conversation] = []
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for r in rows:
        groups.setdefault((str(r["label"]), str(r["language"])), []).append(r)
    for group in groups.values():
        for rank, r in enumerate(sorted(group, key=lambda g: bucket(str(g["id"])))):
            messages = [str(m) for m in r["messages"]]  # type: ignore[attr-defined]
            out.append(Conversation(str(r["id"]), str(r["language"]), str(r["label"]),
                                    tuple(messages[:-1]), messages[-1], ("train", "test")[rank % 2]))
    return out


def conversation_examples(split: str) -> list[Example]:
    """Training rows: the flagged message joined with its context, as served."""
    out = []
    for conv in load_conversations():
        if conv.split != split:
            continue
        ex = Example(join_context(conv.context, conv.text), "team_conversations", split,
                     language=conv.language)
        for category in CATEGORIES:
            ex.label(category, int(category == "grooming" and conv.label == "grooming"), TEAM_WEIGHT)
        out.append(ex)
    return out


def classroom_examples() -> list[Example]:
    """classroom_train.jsonl as training rows (80 % train, 20 % val by text hash). The
    held-out classroom_test_hands.jsonl and classroom_test.jsonl are never read here."""
    out = []
    for msg in load_classroom(CLASSROOM_TRAIN):
        ex = Example(msg.text, "classroom", "train" if bucket(msg.id) < 0.8 else "val", language=msg.language,
                     hand=msg.hand)
        for category in CATEGORIES:
            ex.label(category, int(category == msg.category), CLASSROOM_WEIGHT)
        out.append(ex)
    return out


def _generators(root: Path) -> dict[str, Callable[[], Iterable[Example]]]:
    return {
        "olid": lambda: src.olid(root), "davidson": lambda: src.davidson(root),
        "toxigen": lambda: src.toxigen(root), "mlma_en": lambda: src.mlma(root, "en"),
        "mlma_fr": lambda: src.mlma(root, "fr"), "germeval": lambda: src.germeval(root),
        "suicide_watch": lambda: src.suicide(root), "dkhate": lambda: src.dkhate(root),
        "greek": lambda: src.greek(root), "turkish": lambda: src.turkish(root),
        "hatecheck": lambda: src.hatecheck(root), "mhc": lambda: src.mhc(root),
        "conda": lambda: src.conda(root), "gahd": lambda: src.gahd(root),
        "told_br": lambda: src.told_br(root), "pejorativity_it": lambda: src.pejorativity_it(root),
    }


def _cap(rows: list[Example], cap: int, rng: np.random.Generator) -> list[Example]:
    if len(rows) <= cap:
        return rows
    picked = sorted(rng.choice(len(rows), size=cap, replace=False))
    return [rows[i] for i in picked]


def load_corpus(root: Path, seed: int = 13, splits: tuple[str, ...] = ("train", "val")) -> list[Example]:
    by_source: dict[str, list[Example]] = {}
    for gen in _generators(root).values():
        for ex in gen():
            if ex.text.strip():
                by_source.setdefault(ex.source, []).append(ex)
    by_source["team"] = load_team_examples()
    by_source["classroom"] = classroom_examples()
    test_keys = {text_key(ex.text) for rows in by_source.values() for ex in rows if ex.split == "test"}
    out: list[Example] = []
    for name, rows in sorted(by_source.items()):
        rng = np.random.default_rng([seed, sum(map(ord, name))])
        test_rng = np.random.default_rng([13, sum(map(ord, name))])  # never depends on the seed
        if "train" in splits or "val" in splits:
            fit = [r for r in rows if r.split != "test" and text_key(r.text) not in test_keys]
            out.extend(r for r in _cap(fit, CAPS.get(name, 0), rng) if r.split in splits)
        if "test" in splits:
            out.extend(_cap([r for r in rows if r.split == "test"], TEST_CAPS.get(name, 10**9), test_rng))
    if "train" in splits:   # the test half is measured on its own (evaluate_context.py)
        out.extend(conversation_examples("train"))
    return out
