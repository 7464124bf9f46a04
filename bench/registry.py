"""The `make bench` table: a small registry of bench modules and one table of their rows.

To add rows: give your bench module a `run() -> list[Row]` (sizes from environment variables,
so `make bench` needs no arguments) and add it to BENCHES. `python -m bench NAME...` runs
only the named ones; `python -m bench --list` lists them.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    bench: str  # short name of the bench, e.g. "pipeline"
    metric: str  # what was measured
    value: str  # the number with its unit, formatted
    target: str = ""  # the budget, if there is one
    ok: bool | None = None  # None: informational
    note: str = ""  # how it was measured / what to keep in mind


# name -> module exposing run() -> list[Row]
BENCHES: dict[str, str] = {
    "classifier": "bench.bench_classifier",
    "pipeline": "bench.bench_pipeline",
    "ingest": "bench.bench_ingest",
    "retention": "bench.bench_retention",
    "audit": "bench.bench_audit",
    "queue": "bench.bench_queue",
    "media": "bench.bench_media",
}


def render(rows: Sequence[Row]) -> str:
    head = ("bench", "metric", "value", "target", "ok", "note")
    cells = [head, *[(r.bench, r.metric, r.value, r.target,
                      "" if r.ok is None else ("yes" if r.ok else "NO"), r.note) for r in rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head) - 1)]
    lines = []
    for n, c in enumerate(cells):
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(len(widths))) + "  " + c[-1])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--list" in args:
        print("\n".join(f"{k}  ({v})" for k, v in BENCHES.items()))
        return 0
    chosen = [n for n in BENCHES if not args or n in args]
    unknown = [a for a in args if a not in BENCHES]
    if unknown:
        print(f"unknown bench(es) {unknown}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for name in chosen:
        started = time.monotonic()
        print(f"== {name} …", file=sys.stderr, flush=True)
        rows += importlib.import_module(BENCHES[name]).run()
        print(f"== {name} done in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    print(render(rows))
    return 0 if all(r.ok is not False for r in rows) else 1
