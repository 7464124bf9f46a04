"""Held-out evaluation of any backend, per language and category.

    python -m classifiers evaluate [--model SPEC] [--data DIR] [--per-source N] [--report PATH]

Scores every ``test`` row of every public source through the shipped pipeline
(model + calibration + rules), then: ROC-AUC, AP, AP re-weighted to 5 %
positives, precision/recall at REVIEW_THRESHOLDS, ECE and a reliability plot;
mean scores of benign text per language; the team's classroom held-out set
(catch rate and benign false positives at the review threshold, Wilson
intervals; classroom.py); the conversation-context effect on the team's test
conversations; and, for the default model, the reliably-scored languages,
which are written into weights/e5/manifest.json.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..backbones.e5weights import E5_WEIGHTS_DIR, MANIFEST_FILE
from ..data.corpus import load_conversations, load_corpus
from ..data.examples import Example, bucket
from ..progress import progress
from ..thresholds import REVIEW_THRESHOLDS
from ..types import CATEGORIES, Classifier
from .metrics import at_threshold, average_precision, roc_auc
from .reliability import Reliability, plot, reliability
from .results import ContextResult, Evaluation, MetricRow

log = logging.getLogger(__name__)

LOW_PREVALENCE = 0.05
MIN_CLASS = 30            # positives and negatives needed for a measurement to count
# A language is reliably scored when held-out text of it shows the model ranks harm well:
# * natural text (tweets, comments, chat) decides whenever we have it: the better of
#   harassment/hate ROC-AUC >= RELIABLE_AUC, and benign texts of the language flagged (any
#   category at/above threshold) at most MAX_BENIGN_FLAG_RATE;
# * languages with template-built functional tests only (Multilingual HateCheck) need the
#   stricter RELIABLE_AUC_TEMPLATES, and their "benign" rows are hard negatives (counter-
#   speech, quotes, negations), hence the looser MAX_BENIGN_FLAG_RATE_TEMPLATES.
# These bars were set after looking at the first full evaluation (see the report): they are
# a judgement, stated with the numbers, not a pre-registered test.
RELIABLE_AUC = 0.75
RELIABLE_AUC_TEMPLATES = 0.95
MAX_BENIGN_FLAG_RATE = 0.15
MAX_BENIGN_FLAG_RATE_TEMPLATES = 0.35
TEMPLATE_SOURCES = ("hatecheck", "mhc_")
PLOT_PATH = Path(__file__).resolve().parents[2] / "docs" / "classifier-reliability.png"

F64 = npt.NDArray[np.float64]


def _metric(group: str, category: str, y: F64, s: F64, threshold: float) -> MetricRow:
    pos, neg = float(y.sum()), float((1 - y).sum())
    w_low = np.where(y == 1, 1.0, (pos / max(neg, 1.0)) * (1 - LOW_PREVALENCE) / LOW_PREVALENCE)
    at = at_threshold(y, s, threshold)
    return MetricRow(group, category, int(pos), int(neg), roc_auc(y, s), average_precision(y, s),
                     average_precision(y, s, w_low), at.precision, at.recall, reliability(y, s).ece)


def metric_rows(examples: list[Example], scores: F64, thresholds: dict[str, float], key: str) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for c, category in enumerate(CATEGORIES):
        idx = [i for i, ex in enumerate(examples) if category in ex.labels]
        groups = sorted({getattr(examples[i], key) for i in idx})
        for group in [*groups, "ALL"]:
            sel = [i for i in idx if group == "ALL" or getattr(examples[i], key) == group]
            y = np.array([examples[i].labels[category] for i in sel], dtype=np.float64)
            if y.size and 0 < y.sum() < y.size:
                rows.append(_metric(group, category, y, scores[sel, c], thresholds[category]))
    return rows


def benign_scores(examples: list[Example], scores: F64, thresholds: dict[str, float]) -> dict[str, dict[str, float]]:
    """Mean score per category and flag rate of texts labelled benign in every
    category they carry (team benign, OffensEval NOT, HateCheck non-hateful ...)."""
    out: dict[str, dict[str, float]] = {}
    thr = np.array([thresholds[c] for c in CATEGORIES])
    for lang in sorted({ex.language for ex in examples}):
        idx = [i for i, ex in enumerate(examples) if ex.language == lang and ex.labels
               and not any(ex.labels.values())]
        if len(idx) < 10:
            continue
        sub = scores[idx]
        out[lang] = {c: float(sub[:, k].mean()) for k, c in enumerate(CATEGORIES)}
        out[lang]["flag_rate"] = float((sub >= thr).any(axis=1).mean())
        out[lang]["n"] = float(len(idx))
    return out


def language_auc(examples: list[Example], scores: F64, lang: str, natural: bool) -> float | None:
    """Best of harassment/hate ROC-AUC on a language's natural (or template) held-out rows."""
    best: float | None = None
    for category in ("harassment", "hate"):
        idx = [i for i, ex in enumerate(examples) if ex.language == lang and category in ex.labels
               and natural != ex.source.startswith(TEMPLATE_SOURCES)]
        y = np.array([examples[i].labels[category] for i in idx], dtype=np.float64)
        if y.sum() >= MIN_CLASS and (1 - y).sum() >= MIN_CLASS:
            auc = roc_auc(y, scores[idx, CATEGORIES.index(category)])
            best = auc if best is None else max(best, auc)
    return best


def reliable_from(measured: dict[str, tuple[float | None, float | None, float]]) -> dict[str, object]:
    """``measured``: language -> (natural AUC, template AUC, benign flag rate)."""
    evidence: dict[str, dict[str, object]] = {}
    for lang, (natural, template, flag) in sorted(measured.items()):
        if natural is not None:
            ok = natural >= RELIABLE_AUC and not flag > MAX_BENIGN_FLAG_RATE
            text, kind = f"harassment/hate ROC-AUC {natural:.3f} on natural held-out text", "natural"
        elif template is not None:
            ok = template >= RELIABLE_AUC_TEMPLATES and not flag > MAX_BENIGN_FLAG_RATE_TEMPLATES
            text, kind = f"harassment/hate ROC-AUC {template:.3f} on template-built tests only", "templates"
        else:
            ok, text, kind = False, "no measurement", "none"
        evidence[lang] = {"reliable": bool(ok), "evidence": text, "evidence_kind": kind,
                          "benign_flag_rate": None if np.isnan(flag) else round(flag, 3)}
    rule = (f"natural held-out text decides when we have it: best of harassment/hate ROC-AUC >= {RELIABLE_AUC} "
            f"and benign texts flagged at most {MAX_BENIGN_FLAG_RATE:.0%}; languages with template-built tests "
            f"only: ROC-AUC >= {RELIABLE_AUC_TEMPLATES} and their hard-negative 'benign' rows flagged at most "
            f"{MAX_BENIGN_FLAG_RATE_TEMPLATES:.0%}; at least {MIN_CLASS} positives and negatives")
    return {"languages": sorted(k for k, v in evidence.items() if v["reliable"]), "rule": rule,
            "per_language": evidence}


def decide_reliable(examples: list[Example], scores: F64, thresholds: dict[str, float],
                    benign: dict[str, dict[str, float]]) -> dict[str, object]:
    measured = {lang: (language_auc(examples, scores, lang, True), language_auc(examples, scores, lang, False),
                       benign.get(lang, {}).get("flag_rate", float("nan")))
                for lang in {ex.language for ex in examples}}
    return reliable_from(measured)


def context_effect(clf: Classifier) -> list[ContextResult]:
    convs = load_conversations()
    thr = getattr(clf, "thresholds", REVIEW_THRESHOLDS)["grooming"]
    alone = clf.score_batch([c.text for c in convs])
    inctx = clf.score_batch([c.text for c in convs], [list(c.context) for c in convs])
    out = []
    for split in ("test", "all"):
        idx = [i for i, c in enumerate(convs) if split == "all" or c.split == split]
        y = np.array([convs[i].label == "grooming" for i in idx], dtype=np.float64)
        a = np.array([alone[i].scores["grooming"] for i in idx])
        b = np.array([inctx[i].scores["grooming"] for i in idx])
        out.append(ContextResult(split, int(y.sum()), int((1 - y).sum()), roc_auc(y, a), roc_auc(y, b),
                                 int(((a >= thr) & (y == 1)).sum()), int(((b >= thr) & (y == 1)).sum()),
                                 int(((a >= thr) & (y == 0)).sum()), int(((b >= thr) & (y == 0)).sum())))
    return out


def _store_reliable(weights_dir: Path, reliable: dict[str, object], version: str) -> None:
    path = weights_dir / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["reliable_languages"] = {**reliable, "measured_with": version}
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _score_all(clf: Classifier, examples: list[Example], detected: dict[str, Counter[str]] | None,
               batch_size: int) -> F64:
    scores = np.zeros((len(examples), len(CATEGORIES)), np.float64)
    with progress(total=len(examples), desc="held-out", unit="text") as bar:
        for start in range(0, len(examples), batch_size):
            part = examples[start:start + batch_size]
            for k, res in enumerate(clf.score_batch([ex.text for ex in part])):
                scores[start + k] = [res.scores[c] for c in CATEGORIES]
                if detected is not None:
                    detected.setdefault(part[k].source, Counter())[res.language] += 1
            bar.update(len(part))
    return scores


def _subsample(examples: list[Example], per_source: int | None) -> list[Example]:
    """At most ``per_source`` rows per source, picked by text hash (the same rows every run)."""
    if not per_source:
        return examples
    by_source: dict[str, list[Example]] = {}
    for ex in examples:
        by_source.setdefault(ex.source, []).append(ex)
    out: list[Example] = []
    for rows in by_source.values():
        out.extend(sorted(rows, key=lambda e: bucket(e.text))[:per_source])
    return out


def evaluate(data_dir: Path, report: Path | None, spec: str | None = None, batch_size: int = 32,
             per_source: int | None = None, weights_dir: Path | None = None) -> Evaluation:
    from ..loader import DEFAULT_SPECS, load_classifier
    from .classroom import evaluate_classroom_sets
    from .report import print_summary, write_report

    started = time.monotonic()
    examples = _subsample(load_corpus(data_dir, splits=("test",)), per_source)
    default = spec in DEFAULT_SPECS
    if default and weights_dir is not None:
        from ..backbones.e5 import E5Classifier

        clf: Classifier = E5Classifier(weights_dir=weights_dir, batch_size=batch_size)
    else:
        clf = load_classifier(spec, batch_size=batch_size)
    if hasattr(clf, "attribute"):
        clf.attribute = False   # evidence is not measured here; it would only cost time
    detected: dict[str, Counter[str]] = {}
    scores = _score_all(clf, examples, detected, batch_size)
    thresholds = dict(getattr(clf, "thresholds", REVIEW_THRESHOLDS))
    curves: dict[str, Reliability] = {}
    for c, category in enumerate(CATEGORIES):
        idx = [i for i, ex in enumerate(examples) if category in ex.labels]
        y = np.array([examples[i].labels[category] for i in idx], dtype=np.float64)
        if y.size and 0 < y.sum() < y.size:
            curves[category] = reliability(y, scores[idx, c])
    if report is not None:
        plot(curves, report.with_name(PLOT_PATH.name), f"Reliability on held-out test splits ({clf.version})")
    benign = benign_scores(examples, scores, thresholds)
    reliable = decide_reliable(examples, scores, thresholds, benign)
    if default and not per_source:   # a subset run never decides the shipped languages
        _store_reliable(weights_dir or E5_WEIGHTS_DIR, reliable, clf.version)
        langs = reliable["languages"]
        clf.reliable_languages = frozenset(langs) if isinstance(langs, list) else frozenset()  # type: ignore[misc]
    evaluation = Evaluation(
        by_language=metric_rows(examples, scores, thresholds, "language"),
        by_source=metric_rows(examples, scores, thresholds, "source"),
        ece={c: r.ece for c, r in curves.items()}, benign=benign, context=context_effect(clf),
        reliable=reliable, thresholds=thresholds, sizes=dict(Counter(ex.source for ex in examples)),
        detected=detected, model_version=clf.version, seconds=time.monotonic() - started,
        examples=len(examples), classroom=evaluate_classroom_sets(clf, thresholds, batch_size),
        subset=f"at most {per_source} held-out rows per source (fixed by text hash)" if per_source else "",
    )
    print_summary(evaluation)
    if report is not None:
        write_report(evaluation, report)
        print(f"report written to {report}")
    return evaluation
