"""CLI round trip through a real subprocess, and the light-import guarantee."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import classifiers
from classifiers import CATEGORIES

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("C2C_TORCH_THREADS", "2")
    return env


def test_import_is_light_and_health_check_needs_no_torch() -> None:
    code = (
        "import sys, classifiers\n"
        "heavy = ('torch', 'transformers', 'numpy', 'tokenizers')\n"
        "assert not any(m in sys.modules for m in heavy), [m for m in heavy if m in sys.modules]\n"
        "assert 'en' in classifiers.reliable_languages()\n"
        "assert not any(m in sys.modules for m in heavy)\n"
        "assert classifiers.check_model_files(None) is None\n"
        "assert classifiers.check_model_files(None) is None\n"
        "assert 'torch' not in sys.modules\n"
        "print(sorted(classifiers.REVIEW_THRESHOLDS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_env(), cwd=REPO, timeout=60, check=True)
    assert out.stdout.strip() == str(sorted(CATEGORIES))


def test_cli_score_round_trip_with_bad_lines() -> None:
    lines = [
        json.dumps({"id": 1, "text": "Our class planted trees today and measured how tall they grew."}),
        "this is not json {",
        json.dumps({"id": "two", "text": "I'm going to bring a gun to school and shoot you"}),
        json.dumps({"id": 3}),
        json.dumps([1, 2, 3]),
        "",
        json.dumps({"id": 4, "text": "lone \ud800 surrogate"}),
        json.dumps({"id": 5, "text": "Hej, vi har plantet træer i skolegården i dag."}),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "classifiers", "score", "--batch-size", "2"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, env=_env(), cwd=REPO,
        timeout=120, check=True,
    )
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 7   # blank line skipped, every other line answered in order
    assert out[0]["id"] == 1 and "error" not in out[0]
    assert set(out[0]) == {"id", "scores", "reasons", "language", "language_reliable",
                           "model_name", "model_version", "evidence", "context_used"}
    assert tuple(out[0]["scores"]) == CATEGORIES
    assert "error" in out[1] and out[1]["id"] is None
    assert out[2]["id"] == "two" and "threat" in out[2]["reasons"]
    assert "error" in out[3] and out[3]["id"] == 3
    assert "error" in out[4]
    assert out[5]["id"] == 4 and "scores" in out[5]
    assert out[6]["language"] == "da" and out[6]["language_reliable"] is ("da" in classifiers.reliable_languages())
    assert proc.stderr.strip() == ""   # not a terminal: no progress bar in logs


def test_cli_score_without_evidence() -> None:
    text = "Hi! don't tell your parents, send me a pic and add me on snapchat"
    proc = subprocess.run(
        [sys.executable, "-m", "classifiers", "score", "--no-evidence"],
        input=json.dumps({"id": 1, "text": text}) + "\n", capture_output=True, text=True, env=_env(),
        cwd=REPO, timeout=120, check=True,
    )
    [record] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "evidence" not in record and record["scores"]["grooming"] >= 0.5
    assert proc.stderr.strip() == ""


def test_cli_reports_load_errors(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "classifiers", "score", "--model", f"hf:{tmp_path / 'nope'}"],
        input="", capture_output=True, text=True, env=_env(), cwd=REPO, timeout=60,
    )
    assert proc.returncode == 2 and "not found" in proc.stderr
