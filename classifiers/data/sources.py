"""Readers of the public labelled data in ../shared/datasets, each mapped onto
the desk's categories (training and evaluation only: nothing at scoring time
reads ../shared).

Splits never depend on the training seed:

* OLID and GermEval ship official test sets -> those are "test"; CONDA's
  official valid file is our test, its train file is split by conversation id
  (the ``playerId`` column, in-game nicknames, is never read).
* Davidson, ToxiGen, MLMA-en, r/SuicideWatch and OffensEval 2020 da/el/tr
  (training files only here) are hash-split 70/15/15 on the normalised text.
* MLMA French is evaluation-only (never trained on).
* HateCheck / MHC: template-generated, so split by template id (``templ_id``),
  never by case; MHC templates with ``disagreement_in_template`` are dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from .examples import LOW, MID, RULE_CATEGORIES, Example, bucket, hash_split
from .examples import broad_negatives as _broad_negatives

SOURCES: dict[str, tuple[str, str, str]] = {
    "olid": ("OLID / OffensEval 2019 (Zampieri et al. 2019)", "CC BY 4.0",
             "wenliangdai/multi-task-offensive-language-detection @ 6c2071a677e7: OLIDv1.0/"),
    "davidson": ("Davidson et al. 2017 hate speech & offensive language", "MIT",
                 "t-davidson/hate-speech-and-offensive-language @ cb50f7e9eb85: data/labeled_data.csv"),
    "toxigen": ("ToxiGen human-written prompts/demonstrations", "MIT",
                "microsoft/TOXIGEN @ 01517e814639"),
    "mlma_en": ("MLMA hate speech (English)", "MIT", "HKUST-KnowComp/MLMA_hate_speech @ 479836984aeb"),
    "mlma_fr": ("MLMA hate speech (French, evaluation only)", "MIT",
                "HKUST-KnowComp/MLMA_hate_speech @ 479836984aeb"),
    "germeval": ("GermEval 2018 offensive language (German)", "CC BY 4.0",
                 "uds-lsv/GermEval-2018-Data @ 9877472d3952"),
    "suicide_watch": ("Suicide and Depression Detection subset (r/SuicideWatch vs r/teenagers)",
                      "unverified (Kaggle); research use only",
                      "torrentpien/chatgpt-textmining-workshop @ 0fc6324324ed: Suicide_Detection.csv"),
    "team": ("c2c-safety team-written examples (not user content)", "project-owned",
             "classifiers/data/team_examples.jsonl"),
}


MHC_LANGUAGES = {"dutch": "nl", "french": "fr", "german": "de", "italian": "it", "polish": "pl",
                 "portuguese": "pt", "spanish": "es"}

SOURCES.update({
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
})

SOURCES.update({
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


def olid(root: Path) -> Iterator[Example]:
    def labelled(text: str, a: str, b: str, split: str) -> Example:
        ex = Example(text, "olid", split)
        if a == "NOT":
            ex.label("harassment", 0).label("profanity", 0).label("hate", 0, MID)
            _broad_negatives(ex, ("threat", "sexual"))
        elif b == "TIN":
            ex.label("harassment", 1)      # TIN also holds threats: see report
        elif b == "UNT":
            ex.label("profanity", 1).label("harassment", 0, MID)
            _broad_negatives(ex, ("threat",))
        return _broad_negatives(ex, ("grooming", "self_harm"))

    with (root / "olid" / "olid-training-v1.0.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            split = "train" if bucket(row["tweet"]) < 0.85 else "val"
            yield labelled(row["tweet"], row["subtask_a"], row["subtask_b"], split)
    tweets = _read_tsv_ids(root / "olid" / "testset-levela.tsv")
    level_a = _read_label_csv(root / "olid" / "labels-levela.csv")
    level_b = _read_label_csv(root / "olid" / "labels-levelb.csv")
    for tweet_id, text in tweets.items():
        yield labelled(text, level_a[tweet_id], level_b.get(tweet_id, "NULL"), "test")


def _read_tsv_ids(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {r["id"]: r["tweet"] for r in csv.DictReader(handle, delimiter="\t",
                                                              quoting=csv.QUOTE_NONE)}


def _read_label_csv(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {r["id"]: r["label"].strip() for r in csv.DictReader(handle)}


def davidson(root: Path) -> Iterator[Example]:
    with (root / "davidson" / "labeled_data.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ex = Example(row["tweet"], "davidson", hash_split(row["tweet"]))
            cls = row["class"]
            if cls == "0":      # "hate": slur-heavy, over-flags AAE -> low weight
                ex.label("hate", 1, LOW)
            elif cls == "1":    # "offensive": insults and swearing lumped together
                ex.label("harassment", 1, LOW).label("profanity", 1, LOW).label("hate", 0, LOW)
            else:
                ex.label("harassment", 0, MID).label("profanity", 0, MID).label("hate", 0, MID)
                _broad_negatives(ex, (*RULE_CATEGORIES, "self_harm"))
            yield ex


def toxigen(root: Path) -> Iterator[Example]:
    with (root / "toxigen_demos" / "toxigen_human_prompts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ex = Example(row["text"], "toxigen", hash_split(row["text"]))
            if row["label"] == "hate":
                ex.label("hate", 1)
            else:
                ex.label("hate", 0).label("harassment", 0, MID)
                _broad_negatives(ex, (*RULE_CATEGORIES, "self_harm", "profanity"))
            yield ex


def mlma(root: Path, lang: str) -> Iterator[Example]:
    path = root / "mlma" / "hate_speech_mlma" / f"{lang}_dataset.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kinds = set(row["sentiment"].split("_"))
            split = hash_split(row["tweet"]) if lang == "en" else "test"
            ex = Example(row["tweet"], f"mlma_{lang}", split, language=lang)
            ex.label("hate", int("hateful" in kinds), MID)
            if kinds & {"offensive", "abusive", "disrespectful"}:
                ex.label("harassment", 1, MID)
            elif kinds == {"normal"}:
                ex.label("harassment", 0, MID)
            yield ex


def germeval(root: Path) -> Iterator[Example]:
    for name, official in (("germeval2018.training.txt", "train"), ("germeval2018.test.txt", "test")):
        with (root / "germeval2018" / name).open(encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    continue
                text, _, fine = parts
                split = official
                if official == "train" and bucket(text) >= 0.85:
                    split = "val"
                ex = Example(text, "germeval", split, language="de")
                if fine in ("INSULT", "ABUSE"):
                    ex.label("harassment", 1, MID)
                elif fine == "PROFANITY":
                    ex.label("profanity", 1, MID).label("harassment", 0, MID)
                else:
                    ex.label("harassment", 0, MID).label("profanity", 0, MID)
                yield ex


def suicide(root: Path) -> Iterator[Example]:
    path = root / "suicide_watch" / "Suicide_Detection_subset5k.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ex = Example(row["text"], "suicide_watch", hash_split(row["text"]))
            if row["class"] == "suicide":
                ex.label("self_harm", 1)
            else:   # r/teenagers: a useful pool of ordinary teen writing
                ex.label("self_harm", 0)
                _broad_negatives(ex, ("threat", "grooming"))
            yield ex


# Evaluation-only sets (never trained on by the shipped weights): real text in languages
# where we had only templates before. Every row is "test".
SOURCES.update({
    "gahd": ("GAHD German adversarial hate speech, authors' test split (Goldzycher et al. 2024)", "CC BY 4.0",
             "jagol/gahd @ 2a4e919d5208: gahd_disaggregated.csv"),
    "told_br": ("ToLD-Br Brazilian Portuguese tweets (Leite et al. 2020), label = at least 2 of 3 annotators",
                "CC BY-SA 4.0", "JAugusto97/ToLD-Br @ 7804082d06a4: ToLD-BR.csv"),
    "pejorativity_it": ("PejorativITy Italian tweets (Muti et al. 2024): pejorative use of an epithet",
                        "CC BY (no version stated)", "arimuti/PejorativITy @ 0bebd3a0744c: pejorativity.csv"),
})
_HANDLES = re.compile(r"@\w+|https?://\S+")


_GAHD_SPLITS = {"train": "train", "dev": "val", "test": "test"}


def gahd(root: Path) -> Iterator[Example]:
    """German hate (label 1) vs not, in the authors' train/dev/test split (contrastive pairs
    never cross it). Not peer bullying: hate against groups, much of it adversarial."""
    with (root / "gahd" / "gahd_disaggregated.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            split = _GAHD_SPLITS.get(row["split"])
            if split is None:
                continue
            ex = Example(row["text"], "gahd", split, language="de")
            yield ex.label("hate", int(row["label"] == "1"))


def told_br(root: Path) -> Iterator[Example]:
    """Offensive (insult or an identity category by >= 2 of 3 annotators) vs clean (0 of 3);
    rows only one annotator flagged are left out (no majority either way)."""
    identity = ("homophobia", "racism", "misogyny", "xenophobia")
    with (root / "told_br" / "ToLD-BR.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            votes = {k: float(row[k] or 0) for k in (*identity, "insult", "obscene")}
            ex = Example(row["text"], "told_br", hash_split(row["text"]), language="pt")
            if max(votes[k] for k in (*identity, "insult")) >= 2:
                ex.label("harassment", 1)
                if max(votes[k] for k in identity) >= 2:
                    ex.label("hate", 1)
            elif max(votes.values()) == 0:
                ex.label("harassment", 0).label("hate", 0)
            else:
                continue
            yield ex


def pejorativity_it(root: Path) -> Iterator[Example]:
    """Pejorative use of an ambiguous epithet (harassment) vs the same word used neutrally:
    hard negatives, not a natural base rate. @handles and URLs stripped."""
    with (root / "pejorativity_it" / "pejorativity.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = _HANDLES.sub("", row["text"]).strip()
            if text:
                yield Example(text, "pejorativity_it", hash_split(text), language="it").label(
                    "harassment", int(row["pejorative"] == "1"))
