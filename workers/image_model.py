"""The local image score (issue 25.4): how likely an image shows exposed intimate body parts.

The model runs in a child process of the worker (workers/image_model_child.py: NudeNet's
320n detector on ONNX Runtime, CPU, weights from its PyPI wheel, nothing fetched). This side
starts that process on the first image and keeps it for the worker's life; it restarts it
once after a crash or a hang, and otherwise gives up for that image: the image is stored and
shown as usual, only without an image score. Scoring never blocks or loses a flag.

The score is the most confident detection among the *exposed* labels below (0..1); covered
body parts, faces and feet never count. It is assistive only: with a minor involved, a score
at or above `THRESHOLD` puts the sexual category in play for the item's priority
(review/priority.py) and shows as evidence on the item page. Nobody is removed, suspended or
escalated on it, and the image never leaves the desk.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_ID = "nudenet-3.4.2/320n"
# NudeNet's own demo draws detections from 0.2; half-way to certain is our "high", the same
# rule of thumb as the text model's review thresholds. Without a labelled public image set we
# could not calibrate it (docs/media.md says what that means).
THRESHOLD = 0.5
EXPOSED = frozenset({
    "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED", "ANUS_EXPOSED",
})
START_SECONDS = 60.0  # importing ONNX Runtime and OpenCV on a busy 2-core machine
IMAGE_SECONDS = 20.0


@dataclass(frozen=True)
class ImageScore:
    score: float  # 0..1, the best exposed-label detection (0.0: none)
    labels: dict[str, float]  # every label the detector saw, best score each
    model: str


def setting() -> str:
    """Which model: C2C_IMAGE_MODEL = "nudenet" (default), "off", or a path to an ONNX file
    with NudeNet's input and output layout (tests build a tiny one whose answer they know)."""
    return os.environ.get("C2C_IMAGE_MODEL", "nudenet").strip() or "nudenet"


class _Child:
    def __init__(self, model: str) -> None:
        path = "" if model == "nudenet" else model
        self.model = MODEL_ID if model == "nudenet" else f"onnx:{Path(model).name}"[:40]
        self.proc = subprocess.Popen(  # our own child program, no shell, fixed argv
            [sys.executable, "-m", "workers.image_model_child", path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "OMP_NUM_THREADS": "1"})
        ready = self._line(START_SECONDS)
        if ready is None or "ready" not in ready:
            self.close()
            raise RuntimeError("image model did not start")

    def _line(self, timeout: float) -> dict[str, object] | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        raw = self.proc.stdout.readline()
        if not raw:
            return None
        value = json.loads(raw)
        return value if isinstance(value, dict) else None

    def ask(self, data: bytes) -> dict[str, float] | None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()
        answer = self._line(IMAGE_SECONDS)
        if answer is None:
            raise RuntimeError("image model gave no answer")
        labels = answer.get("labels")
        if not isinstance(labels, dict):
            return None  # the model failed on this image (recorded as unscored)
        return {str(k): float(v) for k, v in labels.items()}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


_lock = threading.Lock()
_child: _Child | None = None
_child_model = ""


def _get(model: str) -> _Child:
    global _child, _child_model
    if _child is None or _child_model != model or _child.proc.poll() is not None:
        if _child is not None:
            _child.close()
        _child, _child_model = None, model
        _child = _Child(model)
    return _child


def _reset() -> None:
    global _child
    if _child is not None:
        _child.close()
    _child = None


def score(data: bytes) -> ImageScore | None:
    """The image score of a clean (re-encoded) image, or None when the model is off or failed."""
    model = setting()
    if model == "off":
        return None
    with _lock:
        for attempt in (1, 2):  # one restart after a crash or hang, then give up on this image
            try:
                child = _get(model)
                labels = child.ask(data)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("image model: %s (attempt %s)", type(exc).__name__, attempt)
                _reset()
                continue
            if labels is None:
                return None
            best = max((v for k, v in labels.items() if k in EXPOSED), default=0.0)
            return ImageScore(round(best, 4), labels, child.model)
    return None


def close() -> None:
    with _lock:
        _reset()


atexit.register(close)  # end the model's process (and its pipes) with the worker
