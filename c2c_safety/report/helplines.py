"""Helplines where the child is (issue 21.5), from a data file the operator keeps.

`report/helplines.json` ships with the desk; `C2C_HELPLINES_PATH` in the config points at
the operator's own file of the same shape. A country without an entry gets the file's
`default` (the EU-wide children's helpline 116 111). The page's language suggests a
country; the reporter can choose another with `?country=` — a query parameter read for
that page only: nothing is stored, no cookie is set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)
BUILT_IN = Path(__file__).resolve().parent / "helplines.json"
EU_DEFAULT = {"name": "116 111", "number": "116 111", "hours": "", "web": "https://www.116111.eu/"}


@dataclass(frozen=True)
class Helpline:
    country: str  # ISO 3166 alpha-2, "" for the default
    country_name: str
    name: str
    number: str
    hours: str
    web: str

    @property
    def tel(self) -> str:
        return "".join(ch for ch in self.number if ch.isdigit() or ch == "+")


@dataclass(frozen=True)
class Directory:
    default: Helpline
    by_country: dict[str, Helpline]
    by_language: dict[str, str]


def _entry(code: str, raw: Mapping[str, object]) -> Helpline:
    def text(key: str) -> str:
        value = raw.get(key, "")
        return str(value)[:200] if isinstance(value, str | int) else ""

    return Helpline(code, text("country") or code, text("name"), text("number"), text("hours"), text("web"))


@cache
def _load(path: str, mtime: float) -> Directory:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    countries = data.get("countries", {})
    by_country = {code.upper(): _entry(code.upper(), raw) for code, raw in countries.items()
                  if isinstance(raw, dict) and len(code) == 2}
    languages = {str(k): str(v).upper() for k, v in data.get("languages", {}).items()}
    default = _entry("", data.get("default") or EU_DEFAULT)
    return Directory(default, dict(sorted(by_country.items())), languages)


def directory() -> Directory:
    path = Path(str(current_app.config.get("C2C_HELPLINES_PATH") or BUILT_IN))
    try:
        return _load(str(path), path.stat().st_mtime)
    except (OSError, ValueError, AttributeError) as exc:
        # A broken operator file must not take the reporter's pages down: the EU-wide line.
        log.error("helplines file %s unusable (%s); showing the EU-wide default", path, type(exc).__name__)
        return Directory(_entry("", EU_DEFAULT), {}, {})


def choose(lang: str, requested: str | None) -> Helpline:
    """The helpline to show: the country the reporter chose, else the one their language
    suggests, else the default."""
    d = directory()
    code = (requested or "").strip().upper()[:2]
    if code in d.by_country:
        return d.by_country[code]
    suggested = d.by_language.get(lang, "")
    return d.by_country.get(suggested, d.default)


def all_countries() -> list[Helpline]:
    return list(directory().by_country.values())
