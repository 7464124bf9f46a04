"""The Flask app a job runs in: created once per worker process, before it forks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy.orm import Session

_app: Flask | None = None


def get_app() -> Flask:
    global _app
    if _app is None:
        from c2c_safety import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session() -> Iterator[Session]:
    """An app context and a session for one job; rolled back on error, always closed."""
    from c2c_safety.core.db import new_session

    app = get_app()
    with app.app_context():
        s = new_session(app)
        try:
            yield s
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
