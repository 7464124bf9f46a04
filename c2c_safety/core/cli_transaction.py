"""One transaction per CLI command: commit on success, roll back and report a rule broken."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session


@contextmanager
def cli_transaction(*rule_errors: type[Exception]) -> Iterator[Session]:
    """Yield a session; commit at the end. A `rule_errors` exception becomes a clean
    ClickException (exit 1 with its message) instead of a traceback."""
    s = new_session()
    try:
        yield s
        s.commit()
    except rule_errors as exc:
        s.rollback()
        raise click.ClickException(str(exc)) from exc
    finally:
        s.close()


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use an ISO date-time, e.g. 2031-01-01T00:00:00+00:00") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
