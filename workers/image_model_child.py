"""The local image model, as a program of its own: `python -m workers.image_model_child [model.onnx]`.

NudeNet 3.4.2 (its 320n detector, an ONNX file inside the wheel) is distributed under the
AGPL-3.0 (the LICENSE in its wheel; its metadata says MIT, we follow the stricter text). The
desk keeps it in this separate, unmodified-library process and talks to it over a pipe, so
the desk and NudeNet stay separate programs (docs/media.md, "The image model's licence").
This file is the only one that imports it. Process separation also means a crash or a
runaway inside ONNX Runtime or OpenCV ends this process, never the worker.

Protocol (binary stdin, text stdout): the child prints one JSON line `{"ready": model_id}`;
then for each request, 4 bytes big-endian length + the image bytes (already re-encoded
without metadata by the upload sandbox), it answers one JSON line: `{"labels": {label:
score}}` (the best detection per label) or `{"error": code}`. End of input ends it.
"""

from __future__ import annotations

import json
import struct
import sys
from typing import Any, BinaryIO, TextIO

MAX_IMAGE_BYTES = 32 * 1024 * 1024


def _answer(out: TextIO, payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload) + "\n")
    out.flush()


def serve(model_path: str, inp: BinaryIO, out: TextIO) -> None:
    from nudenet import NudeDetector  # the AGPL library: imported only in this process

    detector = NudeDetector(model_path=model_path or None)
    _answer(out, {"ready": model_path or "nudenet-3.4.2/320n"})
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        (size,) = struct.unpack(">I", head)
        if size > MAX_IMAGE_BYTES:
            return  # a confused parent: stop rather than read garbage
        data = inp.read(size)
        if len(data) < size:
            return
        try:
            found = detector.detect(data)
        except Exception:  # any decoder or model failure is this one image's "error"
            _answer(out, {"error": "model_failed"})
            continue
        labels: dict[str, float] = {}
        for det in found:
            label, score = str(det["class"]), float(det["score"])
            labels[label] = max(score, labels.get(label, 0.0))
        _answer(out, {"labels": labels})


def main() -> None:
    serve(sys.argv[1] if len(sys.argv) > 1 else "", sys.stdin.buffer, sys.stdout)


if __name__ == "__main__":
    main()
