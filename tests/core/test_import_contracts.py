"""The import rules of docs/conventions.md, checked on every run.

import-linter's contracts (pyproject.toml) cover the static graph: no cycles, models and
classifiers import nothing of ours, the core imports no feature, the web package imports no
workers/torch module directly. The runtime check covers what a static graph cannot: that
importing every module of the web application (and running its CLI) never loads torch.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def test_every_web_module_imports_without_torch(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import c2c_safety, app\n"
        "for m in pkgutil.walk_packages(c2c_safety.__path__, 'c2c_safety.'):\n"
        "    importlib.import_module(m.name)\n"
        "app.app.test_cli_runner().invoke(args=['--help'])\n"
        "heavy = sorted(n for n in ('torch', 'transformers', 'peft', 'workers') if n in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    env = {"C2C_ENV": "test", "C2C_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin",
           "C2C_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "C2C_REDIS_URL": "redis://127.0.0.1:1/0"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
