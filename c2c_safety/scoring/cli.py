"""`flask --app app reconcile` and `flask --app app rescore …` (top-level commands).

Neither loads a model: they change rows and enqueue jobs by dotted path; workers score.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.scoring.jobs import reconcile as reconcile_service
from c2c_safety.scoring.jobs import rescore as rescore_service
from c2c_safety.scoring.jobs import still_pending
from c2c_safety.scoring.pipeline import RescoreSelection, ScoringSettings


@click.command("reconcile")
@with_appcontext
@click.option("--older-than", "older_than", type=click.IntRange(min=0), default=0, show_default=True,
              help="Only subjects pending (and not leased) for at least this many seconds. The "
                   "worker's periodic run uses C2C_RECONCILE_AFTER_SECONDS instead.")
@click.option("--dry-run", is_flag=True, help="Only count; change and enqueue nothing.")
def reconcile(older_than: int, dry_run: bool) -> None:
    """Re-enqueue items and cases committed but never scored (Redis down at ingest, worker
    killed mid-batch once its lease expired). Safe to run any time: claims and
    deterministic job ids keep anything from being scored twice."""
    s = new_session()
    try:
        report = reconcile_service(s, current_app, ScoringSettings.from_env(), older_than,
                                   dry_run=dry_run)
    finally:
        s.close()
    click.echo(f"pending and unleased: items={report.stale.get('item', 0)} "
               f"cases={report.stale.get('case', 0)}")
    if report.failed_exhausted and any(report.failed_exhausted.values()):
        click.echo(f"marked failed (attempts used up): {report.failed_exhausted}")
    if dry_run:
        return
    if report.redis_down:
        raise click.ClickException("Redis is unreachable: nothing enqueued (rows are unchanged)")
    click.echo(f"jobs enqueued: {report.enqueued_jobs or 0}")


def _parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO date or date-time, e.g. 2025-03-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("rescore")
@with_appcontext
@click.option("--all", "all_", is_flag=True, help="Every review item.")
@click.option("--since", callback=_parse_since, help="Items created on/after this date (UTC).")
@click.option("--item", "items", type=int, multiple=True, help="An item id (repeatable).")
@click.option("--category", help="Items whose current top AI category is this.")
@click.option("--failed", is_flag=True, help="Items whose scoring failed (e.g. after a model fix).")
@click.option("--dry-run", is_flag=True, help="Only count the selection.")
@click.option("--wait", is_flag=True,
              help="Stay until the workers have scored the selection (a progress bar with an ETA on a "
                   "terminal); Ctrl-C stops waiting, never the rescoring.")
def rescore(all_: bool, since: datetime | None, items: tuple[int, ...], category: str | None,
            failed: bool, dry_run: bool, wait: bool) -> None:
    """Score a chosen set of review items again (after a model change). Filters combine
    with AND. New scores are stored as new rows for the new model version; old rows stay."""
    from classifiers import CATEGORIES

    if category is not None and category not in CATEGORIES:
        raise click.BadParameter(f"one of {', '.join(CATEGORIES)}", param_hint="--category")
    if not (all_ or since or items or category or failed):
        raise click.UsageError("choose what to rescore: --all, --since, --item, --category or --failed")
    sel = RescoreSelection(all=all_, since=since, item_ids=items, category=category, failed=failed)
    s = new_session()
    try:
        report = rescore_service(s, current_app, sel, ScoringSettings.from_env(), dry_run=dry_run)
        if dry_run:
            click.echo(f"would rescore {report.selected} item(s)")
            return
        click.echo(f"rescoring {report.selected} item(s): {report.enqueued_jobs} job(s) enqueued")
        if report.redis_down:
            click.echo("Redis is unreachable: items are pending; the reconciler will enqueue them", err=True)
        if wait and report.item_ids:
            _wait_for_scores(s, report.item_ids)
    finally:
        s.close()


def _wait_for_scores(session: Session, item_ids: tuple[int, ...], poll_seconds: float = 1.0) -> None:
    """Poll until no item of the selection is pending. The bar shows on a terminal only
    (tqdm's disable=None), so scripts and logs get just the final line."""
    from tqdm import tqdm

    total = len(item_ids)
    with tqdm(total=total, desc="rescored", unit="item", disable=None, dynamic_ncols=True) as bar:
        while True:
            done = total - still_pending(session, item_ids)
            bar.update(done - bar.n)
            if done >= total:
                break
            time.sleep(poll_seconds)
    click.echo(f"rescored {total} item(s) (scored or failed)")


COMMANDS = (reconcile, rescore)
