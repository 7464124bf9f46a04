"""Real-browser fixtures: the app served on a real socket, driven by Debian's Chromium.

- `live_server`: base URL of the test app (same database and Redis as the `app` fixture).
- `browser`: one headless Chromium per test session (Playwright, executable /usr/bin/chromium).
- `page`: a fresh JavaScript-enabled page; `page_nojs`: one with JavaScript disabled.
- `dialogs`: a list that collects any alert/confirm/prompt (an XSS payload that runs shows up here).
- `axe_check(page)`: runs axe-core (from node_modules) and returns serious/critical WCAG A/AA violations.
- `browser_login(page, base, user)`: signs in through the real form (TOTP included).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from models import User
from tests.conftest import PASSWORD, totp_code

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class _QuietHandler(WSGIRequestHandler):
    """The dev server logs client addresses; production (gunicorn) is configured not to,
    and the browser tests must not either (the anonymous channel keeps no address)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _closing(app: Flask) -> Callable[[dict[str, Any], Any], Iterator[bytes]]:
    """Werkzeug's dev server leaves a response unclosed when the browser drops the connection
    mid-answer (a page navigating away from its own stylesheet): the file behind it is then
    closed by the garbage collector, a ResourceWarning the suite treats as an error. Serving
    through a generator closes the response when the server lets go of it."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        inner = app(environ, start_response)
        try:
            yield from inner
        finally:
            close = getattr(inner, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, _closing(app), threaded=True,
                                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    _settle_before_reading()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _settle_before_reading() -> None:
    """`page.content()`, `page.evaluate()` or `locator.is_visible()` right after a click that submits a form can
    land between the old document and the new one (it then reads "" or nothing), on a busy
    machine more often. Reading the page waits for the navigation in flight to load first,
    so no test reads a page half-way."""
    from playwright.sync_api import Locator, Page

    if getattr(Page.content, "_settles", False):
        return
    original = Page.content
    original_visible = Locator.is_visible
    original_evaluate = Page.evaluate

    def content(self: Any) -> str:
        self.wait_for_load_state("load")
        return str(original(self))

    def is_visible(self: Any, timeout: float | None = None) -> bool:
        # `is_visible` answers at once (it never waits for the element); on the page a click
        # just navigated to, wait for that page first.
        self.page.wait_for_load_state("load")
        return bool(original_visible(self, timeout=timeout))

    def evaluate(self: Any, expression: str, arg: Any = None) -> Any:
        self.wait_for_load_state("load")
        return original_evaluate(self, expression, arg)

    content._settles = True  # type: ignore[attr-defined]
    Page.content = content  # type: ignore[method-assign]
    Locator.is_visible = is_visible  # type: ignore[method-assign]
    Page.evaluate = evaluate  # type: ignore[method-assign]


@pytest.fixture
def dialogs() -> list[str]:
    return []


def _page(browser: Any, dialogs: list[str], **context_args: Any) -> Iterator[Any]:
    context = browser.new_context(**context_args)
    page = context.new_page()

    def _on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", _on_dialog)
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Any, dialogs: list[str]) -> Iterator[Any]:
    yield from _page(browser, dialogs)


@pytest.fixture
def page_nojs(browser: Any, dialogs: list[str]) -> Iterator[Any]:
    yield from _page(browser, dialogs, java_script_enabled=False)


@pytest.fixture
def phone_page_nojs(browser: Any, dialogs: list[str]) -> Iterator[Any]:
    yield from _page(browser, dialogs, java_script_enabled=False,
                     viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)


@pytest.fixture
def axe_check(browser: Any) -> Callable[[Any], list[dict[str, Any]]]:
    """Run axe-core on the page's current URL in a CSP-bypassing twin context.

    The app's CSP (rightly) forbids injected scripts, so axe runs in a context with
    `bypass_csp=True` that carries the same cookies.
    """
    source = AXE.read_text()

    def _check(page: Any) -> list[dict[str, Any]]:
        state = page.context.storage_state()
        ctx = browser.new_context(bypass_csp=True, storage_state=state)
        twin = ctx.new_page()
        try:
            twin.goto(page.url)
            twin.add_script_tag(content=source)
            result = twin.evaluate(
                """async () => await axe.run(document, {runOnly: {type: 'tag',
                   values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
            )
        finally:
            ctx.close()
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]

    return _check


def browser_login(page: Any, base: str, user: User, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if page.url.endswith("/login/totp"):
        page.get_by_label("Six-digit code").fill(totp_code(user))
        page.get_by_role("button", name="Continue").click()
    elif page.url.endswith("/login/totp/enrol"):
        secret = page.locator("p.secret code").inner_text()
        page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-factor").click()
        page.get_by_role("link", name="I have saved them: continue").click()
    assert "/login" not in page.url, page.content()[:500]


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1)
