"""Processes for the audit tests: writers that commit out of id order, sequencers, and a
sequencer that stops just before committing (to be killed there).

    python -m tests.audit.procs writer N SEED | sequencer SECONDS | pause-before-commit
"""

from __future__ import annotations

import random
import sys
import time

from c2c_safety import create_app
from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer
from c2c_safety.core.db import new_session


def writer(n: int, seed: int) -> None:
    rnd = random.Random(seed)
    app = create_app()
    with app.app_context():
        s = new_session(app)
        for i in range(n):
            audit.record(s, "test.concurrent", target_type="writer", target_id=f"{seed}-{i}")
            # Hold the transaction open a little after the INSERT took its id, so entries with
            # lower ids regularly commit after entries with higher ids were sequenced.
            time.sleep(rnd.random() * 0.02)
            s.commit()
        s.close()


def sequencer_loop(seconds: float) -> None:
    app = create_app()
    end = time.monotonic() + seconds
    with app.app_context():
        s = new_session(app)
        while time.monotonic() < end:
            try:
                sequencer.sequence_pending(s, limit=50)
            except sequencer.SequencerConflictError:
                print("conflict", flush=True)
            time.sleep(0.02)
        s.close()


def pause_before_commit() -> None:
    app = create_app()
    with app.app_context():
        s = new_session(app)

        def stop_here() -> None:
            print("READY", flush=True)
            time.sleep(600)

        sequencer.sequence_batch(s, before_commit=stop_here)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "writer":
        writer(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "sequencer":
        sequencer_loop(float(sys.argv[2]))
    elif cmd == "pause-before-commit":
        pause_before_commit()
    else:
        raise SystemExit(f"unknown command {cmd}")
