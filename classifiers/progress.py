"""Progress bars for long command-line work (training, evaluation, bulk scoring).

A bar with an ETA on a terminal; nothing at all when stderr is not a TTY (workers,
CI logs, pipes), because tqdm's ``disable=None`` checks exactly that. Never shows
text: only counts.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm


def progress(total: int | None, desc: str, unit: str = "text") -> Any:
    """A context-managed bar; call ``.update(n)`` as work completes."""
    return tqdm(total=total, desc=desc, unit=unit, disable=None, dynamic_ncols=True,
                mininterval=0.5, smoothing=0.1)
