"""The media tests' local media host (tests/support/media.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.media import MediaHost, media_host


@pytest.fixture
def host(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaHost]:
    yield from media_host(app, monkeypatch)
