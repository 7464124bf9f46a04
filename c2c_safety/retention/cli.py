"""`flask --app app retention|keys|dsar …`: retention sweeps, key rotation, data-subject requests."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from c2c_safety.core.cli_transaction import cli_transaction, parse_now
from c2c_safety.core.db import new_session
from c2c_safety.retention import dsar, keys
from c2c_safety.retention import sweep as retention

retention_group = AppGroup("retention", help="Apply the retention policies.")
keys_group = AppGroup("keys", help="Data-key rotation.")
dsar_group = AppGroup("dsar", help="Data-subject requests for a platform pseudonymous id.")
COMMANDS = (retention_group, keys_group, dsar_group)


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would change and why; change nothing.")
@click.option("--now", "now_s", default=None, help="Measure periods against this instant (ISO).")
@click.option("--batch-size", default=1000, show_default=True)
@click.option("--limit", default=200, show_default=True, help="Dry run: lines to print per category.")
def retention_run(dry_run: bool, now_s: str | None, batch_size: int, limit: int) -> None:
    """Anonymise, prune and delete what the policies say is due (batched, resumable)."""
    now = parse_now(now_s)
    s = new_session()
    try:
        if dry_run:
            planned = retention.plan(s, now, limit=limit)
            s.rollback()  # ensure_policies may have added rows; a dry run changes nothing
            for p in planned:
                click.echo(f"{p.action:9} {p.category:12} {p.record:24} {p.why}")
            click.echo(f"dry run: {sum(p.action != 'skip' for p in planned)} change(s), "
                       f"{sum(p.action == 'skip' for p in planned)} skipped, nothing written")
            return
        from tqdm import tqdm

        # Batches of cases and items due now (audit pruning adds a few more): a bar with an ETA
        # on a terminal, nothing in cron logs (tqdm's disable=None checks for a TTY).
        with tqdm(total=retention.batches_due(s, now, batch_size), desc="retention", unit="batch",
                  disable=None, dynamic_ncols=True) as bar:
            try:
                result = retention.sweep(s, now, batch_size=batch_size, after_batch=lambda _n: bar.update(1))
            except retention.RetentionError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo("retention sweep finished: " + ", ".join(f"{k}={v}" for k, v in result.counts.items()))
    finally:
        s.close()


@keys_group.command("rotate")
@click.option("--batch-size", default=500, show_default=True)
def keys_rotate(batch_size: int) -> None:
    """Re-seal every value sealed under a non-current key (idempotent, resumable)."""
    s = new_session()
    try:
        result = keys.rotate(s, batch_size=batch_size)
    finally:
        s.close()
    for name, n in sorted(result.resealed.items()):
        click.echo(f"  {name}: {n} re-sealed")
    click.echo(f"key rotation done: {result.total} value(s) now sealed under {result.current_key!r}")
    if result.failed:
        for name, n in sorted(result.failed.items()):
            click.echo(f"  {name}: {n} could not be opened with any configured key", err=True)
        raise SystemExit(1)


@keys_group.command("pending")
def keys_pending() -> None:
    """Count values still sealed under a non-current key."""
    s = new_session()
    try:
        counts = keys.pending(s)
    finally:
        s.close()
    for name, n in sorted(counts.items()):
        click.echo(f"  {name}: {n}")
    click.echo(f"{sum(counts.values())} value(s) to rotate")


@dsar_group.command("export")
@click.argument("subject_id")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON here (default: standard output).")
def dsar_export(subject_id: str, out: str | None) -> None:
    """Everything the desk holds about SUBJECT_ID, as JSON (GDPR Art. 15/20)."""
    with cli_transaction(dsar.DsarError) as s:
        data = dsar.export(s, subject_id)
    text = json.dumps(data, indent=1, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"written to {out}", err=True)
    else:
        sys.stdout.write(text + "\n")


@dsar_group.command("erase")
@click.argument("subject_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def dsar_erase(subject_id: str, yes: bool) -> None:
    """Erase what the desk holds about SUBJECT_ID, except what retention or a hold keeps."""
    if not yes:
        click.confirm(f"Erase the data held about {subject_id!r}? This cannot be undone", abort=True)
    with cli_transaction(dsar.DsarError) as s:
        report = dsar.erase(s, subject_id)
    click.echo("erased: " + ", ".join(f"{k}={v}" for k, v in report.erased.items()))
    for what, why in report.kept:
        click.echo(f"kept: {what}: {why}")
    if not report.kept:
        click.echo("kept: nothing")
