"""Non-English and functional-test public data (OffensEval 2020 da/el/tr,
HateCheck, Multilingual HateCheck, CONDA in-game chat).

Splits never depend on the training seed:

* OffensEval 2020 Danish/Greek/Turkish: only the *training* files are here,
  so they are hash-split 70/15/15 on the normalised text (test never trained on).
* HateCheck / MHC: template-generated, so split by template id (``templ_id``),
  never by case: cases of one template share everything but the group name,
  and a case split would leak the template into the test fifth. MHC
  templates with ``disagreement_in_template`` are dropped (the annotators'
  majority differed from the gold label there).
* CONDA: the official valid file is our test; the train file is split into
  train/val by conversation id. The ``playerId`` column (in-game nicknames)
  is never read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .datasets import LOW, MID, RULE_CATEGORIES, Example, _broad_negatives, bucket, hash_split

MHC_LANGUAGES = {"dutch": "nl", "french": "fr", "german": "de", "italian": "it", "polish": "pl",
                 "portuguese": "pt", "spanish": "es"}

SOURCES_MULTI = {
    "dkhate": ("DKhate / OffensEval 2020 Danish, training split (Sigurbergsson & Derczynski 2020)",
               "CC BY 4.0", "AndersGiovanni/worker_vs_gpt @ 7af9edea6a10: offenseval-da-training-v1.tsv"),
    "greek": ("OGTD / OffensEval 2020 Greek, training split (Pitenis et al. 2020)",
              "CC BY 4.0 (organisers' statement; mirror has no licence file)",
              "shaoncsecu/JAK-OffensEval @ 3ec8cc38dc93: offenseval-greek-training-v1.tsv"),
    "turkish": ("OffensEval-TR 2020, training split (Çöltekin 2020)",
                "CC BY (author's corpus page; mirror has no licence file)",
                "shaoncsecu/JAK-OffensEval @ 3ec8cc38dc93: offenseval-tr-training-v1.tsv"),
    "hatecheck": ("HateCheck functional tests, English (Röttger et al. 2021)", "CC BY 4.0",
                  "paul-rottger/hatecheck-data @ d84302298cee: test_suite_cases.csv"),
    "conda": ("CONDA Dota 2 in-game chat (Weld et al. 2021), player names dropped",
              "none stated; research data", "usydnlp/CONDA @ 3fb90675f881: data/CONDA_{train,valid}.csv"),
}

SOURCES_MULTI.update({
    f"mhc_{code}": (f"Multilingual HateCheck, {name.capitalize()} (Röttger et al. 2022)", "CC BY 4.0",
                    f"rewire-online/multilingual-hatecheck @ a03f2caf2023: hatecheck_cases_final_{name}.csv")
    for name, code in MHC_LANGUAGES.items()
})

_NEGATIVE_REST = (*RULE_CATEGORIES, "self_harm")


def _offenseval(root: Path, folder: str, name: str, source: str, language: str) -> Iterator[Example]:
    with (root / folder / name).open(encoding="utf-8") as handle:
        next(handle)  # header
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:   # the Danish file's last line is space-separated
                parts = line.rstrip("\n").rsplit(None, 1)
                if len(parts) != 2:
                    continue
                text, label = parts[0].split(None, 1)[-1], parts[1]
            else:
                text, label = parts[1], parts[2]
            label = label.strip()
            if label not in ("OFF", "NOT") or not text.strip() or text.strip() == "[deleted]":
                continue
            ex = Example(text, source, hash_split(text), language=language)
            if label == "OFF":
                # Level A only: insults, threats and untargeted swearing in one
                # class. The harassment head is the desk's "offensive" detector.
                ex.label("harassment", 1, 0.7)
            else:
                ex.label("harassment", 0, 0.7).label("profanity", 0, LOW).label("hate", 0, LOW)
                _broad_negatives(ex, _NEGATIVE_REST)
            yield ex


def dkhate(root: Path) -> Iterator[Example]:
    return _offenseval(root, "dkhate_train", "offenseval-da-training-v1.tsv", "dkhate", "da")


def greek(root: Path) -> Iterator[Example]:
    return _offenseval(root, "offenseval2020_greek_train", "offenseval-greek-training-v1.tsv", "greek", "el")


def turkish(root: Path) -> Iterator[Example]:
    return _offenseval(root, "offenseval2020_turkish_train", "offenseval-tr-training-v1.tsv", "turkish", "tr")


def _template_split(source: str, templ_id: str) -> str:
    return hash_split(f"{source}:template:{templ_id}")


def _hatecheck_labels(ex: Example, functionality: str, hateful: bool) -> Example:
    if hateful:
        ex.label("hate", 1).label("harassment", 1, MID)
        if functionality.startswith("threat_"):
            ex.label("threat", 1)
        else:
            ex.label("threat", 0, LOW)
        if functionality == "profanity_h":
            ex.label("profanity", 1, MID)
        return ex
    ex.label("hate", 0)
    if functionality == "target_indiv_nh":      # abuse of an individual: not hate, but bullying
        ex.label("harassment", 1)
    elif functionality == "target_group_nh":    # abuse of a non-protected group
        ex.label("harassment", 1, MID)
    else:
        ex.label("harassment", 0, MID)
    ex.label("profanity", int(functionality == "profanity_nh"), MID)
    return _broad_negatives(ex, _NEGATIVE_REST)


def hatecheck(root: Path) -> Iterator[Example]:
    with (root / "hatecheck" / "test_suite_cases.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ex = Example(row["test_case"], "hatecheck", _template_split("hatecheck", row["templ_id"]))
            yield _hatecheck_labels(ex, row["functionality"], row["label_gold"] == "hateful")


def mhc(root: Path) -> Iterator[Example]:
    for name, code in MHC_LANGUAGES.items():
        path = root / "multilingual_hatecheck" / f"hatecheck_cases_final_{name}.csv"
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("disagreement_in_template", "False") == "True":
                    continue
                split = _template_split(f"mhc_{code}", row["templ_id"])
                ex = Example(row["test_case"], f"mhc_{code}", split, language=code)
                yield _hatecheck_labels(ex, row["functionality"], row["label_gold"] == "hateful")


def conda(root: Path) -> Iterator[Example]:
    for name in ("CONDA_train.csv", "CONDA_valid.csv"):
        with (root / "conda_ingame" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = row["utterance"].replace("[SEPA]", "\n").strip()
                intent = row["intentClass"]
                if not text or intent == "I":
                    # Implicit toxicity is mostly "gg ez" taunting: too strict
                    # for classroom chat, so neither positive nor negative.
                    continue
                if name == "CONDA_valid.csv":
                    split = "test"
                else:
                    split = "train" if bucket(f"conda:{row['conversationId']}") < 0.85 else "val"
                ex = Example(text, "conda", split)
                if intent == "E":
                    ex.label("harassment", 1, MID)
                else:
                    ex.label("harassment", 0, MID)
                    _broad_negatives(ex, _NEGATIVE_REST)
                yield ex
