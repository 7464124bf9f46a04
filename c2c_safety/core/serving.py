"""How gunicorn serves the desk, written so no log line ever holds a client address.

The anonymous channel promises that no IP address is kept, and gunicorn's own logs would
break that promise without the application doing anything: its access log starts with
`%(h)s` (the peer address) and it writes "Invalid request from ip=... : <error>" for every
malformed request, `/report` included; some parser errors quote a PROXY line or a header
that carries an address. `gunicorn.conf.py` (top level, loaded by `gunicorn -c
gunicorn.conf.py app:app` and by `make demo`) uses what is here:

- ACCESS_LOG_FORMAT: method, path without query string, status, size, duration; no
  address, user agent or referrer.
- NoClientAddress: a logging filter on every handler (gunicorn's, and the root handler the
  application's own loggers reach) that rewrites any IPv4/IPv6 address and any "ip=..."
  in the message, its arguments and a traceback to "[address]".
- LOGCONFIG: gunicorn's logging configuration with that filter on every handler.

docs/deploy.md shows the matching nginx settings (no address in its logs either).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

# %(m)s method, %(U)s path (no query string), %(s)s status, %(B)s bytes, %(M)s milliseconds.
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(B)s %(M)sms"

_IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"
# IPv6 in any written form: with "::", or with a hex letter, or all eight groups. Clock
# times ("10:32:11") have neither letters nor "::" and fewer than seven colons, so they stay.
_IPV6 = (r"(?<![\w:])(?:"
         r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4})*::(?:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4})*)?"
         r"|(?=[0-9A-Fa-f:]*[A-Fa-f])[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){2,7}"
         r"|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}"
         r")(?:%\w+)?(?![\w:])")
_MAPPED = rf"(?<![\w:])(?:[0-9A-Fa-f]{{0,4}}:){{2,6}}{_IPV4}"  # ::ffff:192.0.2.1
_ADDRESS = re.compile(rf"{_MAPPED}|{_IPV4}|{_IPV6}")
_IP_FIELD = re.compile(r"\bip=(?!\[address\])[^\s,;]+")  # whatever gunicorn puts after "ip="
REPLACEMENT = "[address]"


def scrub(text: str) -> str:
    """The text with every client address replaced."""
    return _IP_FIELD.sub(f"ip={REPLACEMENT}", _ADDRESS.sub(REPLACEMENT, text))


class NoClientAddress(logging.Filter):
    """Rewrites a record so that no address survives, whatever the format or handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format: keep the raw text, scrubbed
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FILTERS = ["no_client_address"]

LOGCONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_address": {"()": f"{__name__}.NoClientAddress"}},
    "formatters": {
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
                    "datefmt": "[%Y-%m-%d %H:%M:%S %z]", "class": "logging.Formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stdout",
                    "filters": _FILTERS},
        "error_console": {"class": "logging.StreamHandler", "formatter": "generic",
                          "stream": "ext://sys.stderr", "filters": _FILTERS},
    },
    # The application's loggers (c2c_safety.*, sqlalchemy, rq...) reach the root handler;
    # its level is the app's C2C_LOG_LEVEL (create_app's basicConfig is a no-op once gunicorn
    # has configured logging). gunicorn.error keeps the level of gunicorn's --log-level.
    "root": {"level": os.environ.get("C2C_LOG_LEVEL", "INFO").upper(), "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "propagate": False, "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False,
                            "qualname": "gunicorn.access"},
    },
}
