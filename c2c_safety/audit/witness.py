"""Reading the whole witness file for `audit verify`: one pass, front to back.

The witness is only ever appended to, by sequencers that hold its lock from before their
commit until after their append (checkpoints.witness_writer), so its checkpoint sizes never
shrink from one line to the next. What this reader reports, and why:

- the **largest** validly signed checkpoint, not the last line: a replayed older line
  appended at the end must not become "the log's length";
- every checkpoint line whose size is smaller than one before it (a replayed or reordered
  line: tampering with the file);
- every line that does not verify (forged, altered, torn), wherever it is;
- every signed incident (the sequencer found the log forked, or could not run), and every
  checkpoint whose batch waited longer than the alarm bound;
- the prune records (verify's fallback when the database's copies were deleted).

Memory is flat: only the findings are kept (bounded), never the lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from c2c_safety.audit import chain, checkpoints
from c2c_safety.audit.checkpoints import Checkpoint, CheckpointError

KEEP = 20  # findings of each kind kept for the report (the counts cover the rest)


@dataclass
class WitnessReport:
    exists: bool
    lines: int = 0
    checkpoints: int = 0
    largest: Checkpoint | None = None
    bad: list[int] = field(default_factory=list)  # line numbers that do not verify
    bad_count: int = 0
    shrinking: list[tuple[int, int, int]] = field(default_factory=list)  # (line, size, largest before)
    shrinking_count: int = 0
    incidents: list[tuple[int, Checkpoint]] = field(default_factory=list)
    incident_count: int = 0
    long_waits: list[tuple[int, Checkpoint]] = field(default_factory=list)
    long_wait_count: int = 0
    prunes: list[Checkpoint] = field(default_factory=list)
    unstored: list[int] = field(default_factory=list)  # checkpoint lines whose database row is gone
    unstored_count: int = 0

    def add_bad(self, n: int) -> None:
        self.bad_count += 1
        if len(self.bad) < KEEP:
            self.bad.append(n)


class _Rows:
    """The database's checkpoint rows, (size, line) in size order, merged against the
    witness's growing sizes: every witnessed checkpoint must still have its row (every batch
    stores it in the transaction that sequences the entries), in flat memory."""

    def __init__(self, rows: Iterator[tuple[int, str]]) -> None:
        self.rows = rows
        self.size = -1
        self.lines: set[str] = set()
        self.next: tuple[int, str] | None = next(rows, None)

    def has(self, size: int, line: str) -> bool:
        if size != self.size:
            while self.next is not None and self.next[0] < size:
                self.next = next(self.rows, None)
            self.size, self.lines = size, set()
            while self.next is not None and self.next[0] == size:
                self.lines.add(self.next[1])
                self.next = next(self.rows, None)
        return line in self.lines


def read(path: Path | None, pub: Ed25519PublicKey,
         stored: Iterator[tuple[int, str]] | None = None) -> WitnessReport:
    """`stored`: the database's checkpoint rows as (size, signed line), by size."""
    if path is None or not path.exists():
        return WitnessReport(False)
    report = WitnessReport(True)
    rows = _Rows(stored) if stored is not None else None
    largest_prune = -1
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            report.lines += 1
            try:
                cp = checkpoints.parse(raw, pub)
            except CheckpointError:
                report.add_bad(n)
                continue
            if cp.kind == checkpoints.INCIDENT:
                report.incident_count += 1
                if len(report.incidents) < KEEP:
                    report.incidents.append((n, cp))
            elif cp.kind == checkpoints.PRUNED:
                if cp.size < largest_prune:
                    _shrinks(report, n, cp.size, largest_prune)
                largest_prune = max(largest_prune, cp.size)
                if len(report.prunes) < 10_000:
                    report.prunes.append(cp)
            else:
                report.checkpoints += 1
                if report.largest is not None and cp.size < report.largest.size:
                    _shrinks(report, n, cp.size, report.largest.size)
                    continue
                report.largest = cp
                if rows is not None and not rows.has(cp.size, cp.line):
                    report.unstored_count += 1
                    if len(report.unstored) < KEEP:
                        report.unstored.append(n)
                if cp.wait > chain.WAIT_ALARM_SECONDS:
                    report.long_wait_count += 1
                    if len(report.long_waits) < KEEP:
                        report.long_waits.append((n, cp))
    return report


def _shrinks(report: WitnessReport, n: int, size: int, before: int) -> None:
    report.shrinking_count += 1
    if len(report.shrinking) < KEEP:
        report.shrinking.append((n, size, before))
