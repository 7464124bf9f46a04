"""The default classifier (multilingual e5-small), texts/s at one batch size, with and without evidence.

    python -m bench classifier      (part of `make bench`)

The model is loaded once in this process (load time excluded) and measured with evidence (as the
workers score) and without it (`--no-evidence`, bulk runs) alternately C2C_BENCH_REPEATS times (3)
on the same synthetic chat texts, half English, half Danish /
German / Spanish (the platform's mix): the box is shared, so medians are compared. Also the
e5 model's RSS growth when loaded, and its scoring rate with conversation context.

Environment: C2C_BENCH_CLF_TEXTS (192), C2C_BENCH_BATCH (32), C2C_BENCH_REPEATS (3).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path

from bench.bench_classifier_raw import synthetic_texts
from bench.registry import Row

_OTHER = [
    "Hej fra 6.B i Aarhus! Vi har plantet træer i dag, hvad laver I?",
    "Wir haben heute ein Modell von einem Vulkan gebaut, es war super.",
    "¡Hola! Somos la clase de quinto, ¿cómo es vuestro colegio?",
    "Kan I sende et billede af jeres plakat? Vores lærer siger hej.",
    "Unsere Lehrerin sagt, wir machen am Freitag einen Videoanruf.",
    "Hoy hemos medido los árboles del parque, ¡qué altos son!",
]


def mixed_texts(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    english = synthetic_texts(n, seed)
    return [english[i] if i % 2 == 0 else rng.choice(_OTHER) for i in range(n)]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rate(clf: object, texts: list[str], batch: int, with_context: bool = False) -> float:
    score = clf.score_batch  # type: ignore[attr-defined]
    context = [["Hi from our class!", "How old are you all?"]] * batch if with_context else None
    score(texts[:batch], context[:batch] if context else None)   # warm-up
    started = time.perf_counter()
    for s in range(0, len(texts), batch):
        part = texts[s:s + batch]
        score(part, context[:len(part)] if context else None)
    return len(texts) / (time.perf_counter() - started)


def run() -> list[Row]:
    from classifiers import load_classifier

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    n = int(os.environ.get("C2C_BENCH_CLF_TEXTS") or 192)
    batch = int(os.environ.get("C2C_BENCH_BATCH") or 32)
    repeats = int(os.environ.get("C2C_BENCH_REPEATS") or 3)
    texts = mixed_texts(n)
    before = _rss_mb()
    t0 = time.monotonic()
    e5 = load_classifier("e5", batch_size=batch)
    e5_load, e5_mem = time.monotonic() - t0, _rss_mb() - before
    rates: dict[str, list[float]] = {"e5": [], "bulk": []}
    for _ in range(repeats):
        e5.attribute = True   # type: ignore[attr-defined]
        rates["e5"].append(_rate(e5, texts, batch))
        e5.attribute = False  # type: ignore[attr-defined]
        rates["bulk"].append(_rate(e5, texts, batch))
    e5.attribute = True   # type: ignore[attr-defined]
    ctx = _rate(e5, texts, batch, with_context=True)
    e5_rate, bulk_rate = statistics.median(rates["e5"]), statistics.median(rates["bulk"])
    load = f"1-min load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    return [
        Row("classifier", f"e5-small texts/s, batch {batch}", f"{e5_rate:.1f}",
            note=f"median of {' '.join(f'{x:.0f}' for x in rates['e5'])}; {n} texts, half non-English; {load}"),
        Row("classifier", f"e5-small texts/s without evidence (--no-evidence), batch {batch}", f"{bulk_rate:.1f}",
            note=f"median of {' '.join(f'{x:.0f}' for x in rates['bulk'])}; same texts, alternated"),
        Row("classifier", f"e5-small with 2-message context, batch {batch}", f"{ctx:.1f} texts/s",
            note="one extra window per text for grooming-in-context"),
        Row("classifier", "e5-small load (converted cache present)", f"{e5_load:.1f} s, +{e5_mem:.0f} MB RSS",
            note="int8 lower layers + fp32 top layers; 250k-row fp32 embedding table dominates"),
    ]
