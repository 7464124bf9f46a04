"""Raw throughput of the default classifier (encoder + heads, no worker pipeline).

    python -m bench.bench_classifier_raw [--n 400] [--batch-size 32]

``raw_throughput`` is importable so the worker benchmark can compare its
end-to-end numbers against this ceiling.
"""

from __future__ import annotations

import argparse
import random
import time
from functools import lru_cache

from classifiers import Classifier, load_classifier

_SUBJECTS = ["our class", "my group", "the teacher", "we", "my friend", "the students", "I"]
_VERBS = ["planted", "measured", "painted", "wrote about", "presented", "built", "read about"]
_OBJECTS = ["trees in the park", "the solar system", "a volcano model", "recycled bottles",
            "our town's history", "the water cycle", "a robot made of cardboard", "bees and flowers"]
_TAILS = ["today", "this week", "for the project", "with our pen pals", "and it was fun!",
          "- what did you do?", "and we made a video", "before lunch"]
_EXTRAS = ["How old are you?", "lol that is so cool", "Can you send a picture of your poster?",
           "ugh this homework is killing me", "Hi from Denmark!", "See you tomorrow 👋"]


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    """Classroom-chat-like messages: mostly one or two short sentences."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = [f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} "
                 f"{rng.choice(_OBJECTS)} {rng.choice(_TAILS)}"]
        if rng.random() < 0.4:
            parts.append(rng.choice(_EXTRAS))
        if rng.random() < 0.05:   # the occasional long post
            parts.append(" ".join(parts) * 8)
        texts.append(" ".join(parts))
    return texts


@lru_cache(maxsize=4)
def _model(batch_size: int) -> Classifier:
    return load_classifier(None, batch_size=batch_size)


def raw_throughput(texts: list[str], batch_size: int) -> float:
    """Items per second of ``score_batch`` on ``texts`` (model loaded once
    and warmed up; load time excluded)."""
    if not texts:
        return 0.0
    clf = _model(batch_size)
    clf.score_batch(texts[: min(len(texts), batch_size)])   # warm-up: allocator, lazy langid
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        clf.score_batch(texts[start:start + batch_size])
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[32])
    args = parser.parse_args()
    texts = synthetic_texts(args.n)
    for batch_size in args.batch_size:
        cpu_before = time.process_time()
        wall_before = time.perf_counter()
        rate = raw_throughput(texts, batch_size)
        # CPU seconds per item is less sensitive to other processes on a
        # shared box than wall-clock items/s (it includes model load once).
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        print(f"batch_size={batch_size} items={len(texts)} throughput={rate:.1f} items/s "
              f"(process cpu {cpu:.1f}s / wall {wall:.1f}s incl. load+warm-up)")


if __name__ == "__main__":
    main()
