"""Never a 500 (issue 10, item 10): hostile values into every parameter of every route, as
every role, on SQLite and PostgreSQL.

Nothing here is a hand-kept list of routes or parameters, so a page added later is attacked
without editing this file:

- routes: every rule of `app.url_map`;
- concrete paths: the demo data set (`flask demo seed`) is loaded, and each role crawls the
  pages it can open, collecting every link and form action that matches a rule; a rule no
  page links to still gets ids from the table rows (`1`, and hostile path values);
- parameters: the request class is swapped for one whose query-string and form dictionaries
  record every name the application reads (`request.args.get`, WTForms' `name in formdata`,
  `request.values`...), during a discovery request per route, plus every field of every HTML
  form that posts to the route (whose values are the benign defaults of the other fields);
- values: a catalogue of hostile ones (huge and negative ints, 2**70, '²', other scripts'
  digits, empty, 10,000 characters, NUL, 0001-01-01 / 9999-12-31, malformed cursors ...):
  the worst eight into every parameter from the first role that may use the route, one of
  the rest from each other role that may; a role the route turns away is shown to be
  turned away by the discovery request.

Every response must be below 500. Every text/csv response must have no cell that a
spreadsheet would run (core/csv_export.py).
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask, Request, has_request_context, request
from flask.testing import FlaskClient
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from c2c_safety.core.csv_export import FORMULA_STARTS
from c2c_safety.core.db import new_session
from c2c_safety.demo import seed
from tests.conftest import login
from tests.support.intake import make_key, receipt_of, submit_report

# Exhaustive: runs in `make test` on both databases, not in the quick `make check`.
pytestmark = pytest.mark.crawl

ROLES = ["anonymous", "moderator", "safeguarding_lead", "case_handler", "ceo", "independent_reviewer", "admin"]
# To chase one failure: C2C_NEVER500_ROLES=case_handler (the full run covers them all).
ONLY = [r for r in os.environ.get("C2C_NEVER500_ROLES", "").split(",") if r]
# Every parameter of every route gets all of KILLERS from the first role that may use the
# route (these are the values that used to answer 500: past every column's range, digits
# int() refuses, NUL, the calendar's ends, broken cursors, very long), and one value of
# HOSTILE from each other role; the two lists rotate so every value meets many parameters.
KILLERS = [str(2**70), "99999999999999999999_1", "²", "\x00", "9999-12-31", "0001-01-01", "-1", "x" * 10_000]
HOSTILE = [
    *KILLERS, "99999999999999999999", str(2**63), str(2**31), "-99999999999999999999", "0", "٣٤", "１２", "", "1\x00",
    "1_99999999999999999999", "_", "-9223372036854775809_-1", "2026-W99", "0000-W01", "9999-W53", "NaN",
    "1e309", "../../etc/passwd", "<script>alert(1)</script>", "%", "' OR 1=1 --", "\u202e", "a" * 300,
]
PATH_VALUES = ["0", "%C2%B2", "%00"]
MAX_PATHS_PER_ENDPOINT = 1
CRAWL_PAGES = 30
SKIP_ENDPOINTS = {"static", "auth.logout"}  # logout is tested elsewhere; it would end the crawl's session

# --- recording which parameters the application reads -------------------------------------

READ: dict[tuple[str, str], set[str]] = defaultdict(set)  # (endpoint, "query"|"form") -> names


class RecordingDict(ImmutableMultiDict):  # type: ignore[type-arg]
    def _seen(self, key: object) -> None:
        if isinstance(key, str) and has_request_context():
            where = "query" if vars(request._get_current_object()).get("args") is self else "form"
            READ[(request.endpoint or "", where)].add(key)

    def __getitem__(self, key: Any) -> Any:
        self._seen(key)
        return super().__getitem__(key)

    def getlist(self, key: Any, type: Any = None) -> Any:  # werkzeug's signature
        self._seen(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        self._seen(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingDict


# --- reading pages ------------------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            kind = a.get("type", "")
            if kind in ("radio", "checkbox") and "checked" not in a and a["name"] in self._form.fields:
                return
            self._form.fields.setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@dataclass
class Target:
    endpoint: str
    method: str
    path: str
    defaults: dict[str, str] = field(default_factory=dict)


@dataclass
class Crawl:
    app: Flask
    client: FlaskClient
    targets: dict[tuple[str, str, str], Target] = field(default_factory=dict)
    per_endpoint: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def _match(self, url: str, method: str) -> tuple[str, str] | None:
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "localhost":
            return None
        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(parts.path, method=method)
        except (NotFound, MethodNotAllowed):
            return None
        return endpoint, parts.path

    def add(self, url: str, method: str, defaults: dict[str, str] | None = None) -> Target | None:
        found = self._match(url, method)
        if found is None or found[0] in SKIP_ENDPOINTS:
            return None
        endpoint, path = found
        key = (endpoint, method, path)
        if key not in self.targets:
            if self.per_endpoint[(endpoint, method)] >= MAX_PATHS_PER_ENDPOINT:
                return None
            self.per_endpoint[(endpoint, method)] += 1
            self.targets[key] = Target(endpoint, method, path)
        target = self.targets[key]
        for name, value in (defaults or {}).items():
            target.defaults.setdefault(name, value)
        return target

    def visit(self, start: list[str], limit: int = CRAWL_PAGES) -> None:
        queue, seen = list(start), set()
        while queue and len(seen) < limit:
            url = queue.pop(0)
            if url in seen or self._match(url, "GET") is None:
                continue
            seen.add(url)
            resp = self.client.get(url)
            page = resp.get_data(as_text=True) if resp.mimetype == "text/html" else ""
            resp.close()
            if resp.status_code != 200:
                continue
            self.add(url, "GET")
            parser = PageParser()
            parser.feed(page)
            for form in parser.forms:
                action = form.action or url
                target = self.add(action, form.method, form.fields)
                if target is not None and form.method == "GET":
                    queue.append(action)
            queue.extend(link for link in parser.links if link.startswith("/") and link not in seen)


# --- attacking ----------------------------------------------------------------------------

@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    hit: set[tuple[str, str, str]] = field(default_factory=set)  # (role, endpoint, param)

    def check(self, role: str, label: str, resp: Any) -> None:
        self.requests += 1
        if resp.status_code >= 500:
            self.errors.append(f"{role}: {label} -> {resp.status_code}")
        if resp.mimetype == "text/csv":
            cells = [c for row in csv.reader(io.StringIO(resp.get_data(as_text=True))) for c in row]
            if any(c.startswith(FORMULA_STARTS) for c in cells):
                self.errors.append(f"{role}: {label} -> CSV cell a spreadsheet would run")
        resp.close()


def _values(offset: int, count: int, pool: list[str]) -> Iterator[str]:
    for i in range(count):
        yield pool[(offset + i) % len(pool)]


def _send(client: FlaskClient, target: Target, data: dict[str, str]) -> Any:
    if target.method == "GET":
        return client.get(target.path + "?" + urlencode(data))
    return client.post(target.path, data=data)


def _fresh_tokens(client: FlaskClient, target: Target, data: dict[str, str]) -> dict[str, str]:
    """The anonymous forms' single-use token, and the staff CSRF token, from a fresh page."""
    if "form_token" in data:
        source = "/report" if target.endpoint == "report.submit" else "/report/follow-up"
        html = client.get(source).get_data(as_text=True)
        data["form_token"] = re.search(r'name="form_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return data


def attack(client: FlaskClient, role: str, target: Target, first: bool, found: Findings, index: int) -> None:
    """first: this role is the first that may use the route, and sends every killer value
    into every parameter (and all parameters hostile at once); later roles send one each."""
    names = sorted((READ[(target.endpoint, "query" if target.method == "GET" else "form")]
                    | set(target.defaults)) - {""})
    base = dict(target.defaults)
    for n, name in enumerate(names):
        values = KILLERS if first else list(_values(index * 5 + n * 3, 1, HOSTILE))
        for value in values:
            data = _fresh_tokens(client, target, {**base, name: value})
            found.check(role, f"{target.method} {target.path} {name}={value[:40]!r}", _send(client, target, data))
        found.hit.add((role, target.endpoint, name))
    if first and len(names) > 1:
        value = HOSTILE[index % len(HOSTILE)]
        data = _fresh_tokens(client, target, {**base, **{n: value for n in names}})
        found.check(role, f"{target.method} {target.path} all={value[:40]!r}", _send(client, target, data))


def _sign_in(app: Flask, make_user: Any, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        login(client, make_user(role, totp=True))
    return client


def _signed_in(client: FlaskClient) -> bool:
    resp = client.get("/account")
    resp.close()
    return resp.status_code == 200


def test_no_route_answers_5xx_to_hostile_parameters_for_any_role(app, make_user):
    app.request_class = RecordingRequest
    with app.app_context():
        s = new_session(app)
        seed.seed_all(s)
        s.close()
    receipt = receipt_of(submit_report(app.test_client()))
    key = make_key(app, "never-500", ("flags:write", "appeals:write", "items:read"))
    found = Findings()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS]
    paths: dict[str, list[tuple[str, str]]] = {}
    full: set[tuple[str, str]] = set()  # routes some role already sent every hostile value

    started = time.monotonic()
    for role in ONLY or ROLES:
        client = _sign_in(app, make_user, role)
        crawl = Crawl(app, client)
        crawl.visit(["/", "/report", "/report/follow-up", "/account", "/cases/", "/queue", "/safeguarding",
                     "/review/", "/admin/users", "/policy", "/notices", "/cases/exclusions"])
        for rule in rules:  # routes no page links to: ids from the data set's first rows
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if crawl.per_endpoint[(rule.endpoint, method)] == 0:
                    path = re.sub(r"<(?:int:)?(\w+)>", lambda m: "csv" if m.group(1) == "fmt" else "1", rule.rule)
                    crawl.add(re.sub(r"<[^>]+>", "x", path), method)
        allowed: dict[tuple[str, str, str], bool] = {}
        for key, target in crawl.targets.items():
            if target.endpoint == "report.follow_up_post":
                target.defaults.update(receipt=receipt, action="reply", message="more detail")
            if target.method == "POST":
                target.defaults.setdefault("csrf_token", "")
            # Discovery: what does the route read when asked with its defaults, and may this
            # role get past its guard at all?
            resp = _send(client, target, _fresh_tokens(client, target, dict(target.defaults)))
            allowed[key] = resp.status_code not in (401, 403, 404, 405) and "/login" not in resp.headers.get(
                "Location", "")
            found.check(role, f"discover {target.path}", resp)
        for index, (key, target) in enumerate(crawl.targets.items()):
            if not allowed[key]:
                continue  # turned away before any parameter is read (the discovery showed it)
            first = (target.endpoint, target.method) not in full
            full.add((target.endpoint, target.method))
            attack(client, role, target, first, found, index)
            if role != "anonymous" and not _signed_in(client):
                client = _sign_in(app, make_user, role)  # a hostile form signed us out: go on
                crawl.client = client
        paths[role] = [(t.method, t.path) for k, t in crawl.targets.items() if allowed[k]]
        print(f"{role}: {len(crawl.targets)} routes, {found.requests} requests, {time.monotonic() - started:.0f} s")

    # Hostile path values: every rule with arguments, anonymously (the converters answer);
    # and ids at the edges of the column's range on every page each role could open.
    client = app.test_client()
    for rule in rules:
        for arg in rule.arguments:
            for value in PATH_VALUES:
                path = rule.rule
                for other in rule.arguments:
                    path = re.sub(rf"<(?:\w+:)?{other}>", value if other == arg else "1", path)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    resp = client.open(path, method=method, data={"csrf_token": ""} if method == "POST" else None)
                    found.check("anonymous", f"{method} {path[:80]}", resp)
    for role in [r for r in ONLY or ROLES if r != "anonymous"]:
        client = _sign_in(app, make_user, role)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").get_data(as_text=True))
        for method, path in paths[role]:
            for edge in ("0", str(2**31 - 1)):  # the converter lets these through to the view
                hostile = re.sub(r"/\d+(?=/|$)", "/" + edge, path)
                if hostile != path:
                    data = {"csrf_token": token.group(1) if token else ""} if method == "POST" else None
                    found.check(role, f"{method} {hostile}", client.open(hostile, method=method, data=data))

    # The JSON API: every leaf of a valid body replaced by hostile values.
    for route, body in (("/api/v1/appeals", {"decision_id": 1, "appellant": "author", "text": "x"}),):
        for leaf in body:
            for value in [2**70, -(2**70), 2**31, "\x00", "x" * 100_000, None, [], {}, 1e308, True]:
                resp = app.test_client().post(route, json={**body, leaf: value},
                                              headers={"Authorization": f"Bearer {key}"})
                found.check("api", f"POST {route} {leaf}={str(value)[:20]!r}", resp)

    reached = {(e, p) for _, e, p in found.hit}
    if not ONLY:
        assert len({e for e, _ in reached}) > 40 and found.requests > 2_000, (len(reached), found.requests)
    assert not found.errors, f"{len(found.errors)} of {found.requests} requests failed:\n" + "\n".join(
        sorted(set(found.errors))[:80])
