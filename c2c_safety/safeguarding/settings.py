"""The safeguarding desk's own settings, kept as DeskSetting rows (issue 19, items 6 and 9):

- the hotlines a lead reports sexual images of a child to (one per line; Red Barnet's
  hotline in Denmark, NCMEC and the IWF elsewhere by default);
- how long after escalating an overdue referral to the deputy it goes on to the CEO.

Changing either is audited (`settings.changed`, review.policy.set_setting).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from c2c_safety.review import policy
from models import User

HOTLINES_KEY = "safeguarding_hotlines"
CEO_AFTER_KEY = "safeguarding_ceo_after_hours"
DEFAULT_HOTLINES: tuple[str, ...] = (
    "Red Barnet – Sletdet (Denmark)",
    "NCMEC CyberTipline (United States)",
    "Internet Watch Foundation (United Kingdom)",
    "INHOPE member hotline (another country)",
)
DEFAULT_CEO_AFTER_HOURS = 24
MAX_CEO_AFTER_HOURS = 24 * 14
MAX_HOTLINES = 12
MAX_HOTLINE_NAME = 120


class SettingsError(ValueError):
    """Safe to show."""


def hotlines(session: Session) -> list[str]:
    raw = policy.get_setting(session, HOTLINES_KEY)
    names = [n.strip() for n in (raw or "").splitlines() if n.strip()]
    return names or list(DEFAULT_HOTLINES)


def set_hotlines(session: Session, text: str, *, actor: User) -> list[str]:
    names = list(dict.fromkeys(n.strip() for n in text.splitlines() if n.strip()))
    if not names:
        raise SettingsError(_("Name at least one hotline."))
    joined = "\n".join(names)
    if len(names) > MAX_HOTLINES or any(len(n) > MAX_HOTLINE_NAME for n in names) or len(joined) > 200:
        raise SettingsError(_("At most %(n)s hotlines, %(chars)s characters each and 200 in all: use short names.",
                              n=MAX_HOTLINES, chars=MAX_HOTLINE_NAME))
    policy.set_setting(session, HOTLINES_KEY, joined, actor=actor)
    return hotlines(session)


def ceo_after_hours(session: Session) -> int:
    raw = policy.get_setting(session, CEO_AFTER_KEY)
    try:
        hours = int(raw) if raw is not None else DEFAULT_CEO_AFTER_HOURS
    except ValueError:
        hours = DEFAULT_CEO_AFTER_HOURS
    return hours if 1 <= hours <= MAX_CEO_AFTER_HOURS else DEFAULT_CEO_AFTER_HOURS


def ceo_after(session: Session) -> timedelta:
    return timedelta(hours=ceo_after_hours(session))


def set_ceo_after_hours(session: Session, hours: int, *, actor: User) -> None:
    if not 1 <= hours <= MAX_CEO_AFTER_HOURS:
        raise SettingsError(_("Give between 1 and %(n)s hours.", n=MAX_CEO_AFTER_HOURS))
    policy.set_setting(session, CEO_AFTER_KEY, str(hours), actor=actor)
