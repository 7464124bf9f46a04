"""WTForms' own messages ("This field is required.") in the page's language.

WTForms ships catalogs for many languages but not Danish, and Flask-WTF reads only those.
So the desk hands Flask-WTF a translations object that looks in our own catalogs, and the
default messages our forms can show are listed below for `make messages` to extract (they
sit in the staff domain; the reporter pages use no WTForms). A validator given its own
`message=` is translated where it is written, as before.
"""

from __future__ import annotations

import flask_wtf.form
from flask_babel import get_translations, ngettext

from c2c_safety.core.locale import N_

DEFAULT_MESSAGES = (
    N_("This field is required."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Not a valid integer value."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Invalid email address."),
    N_("Invalid input."),
    N_("Field must be between %(min)d and %(max)d characters long."),
)


def _plural_messages() -> None:
    """Never called: it only shows `make messages` WTForms' plural messages (Length)."""
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 1)


class FormTranslations:
    """What WTForms asks for: the bare translation, which WTForms fills in itself (Flask-Babel's
    own `ngettext` would format it with `num` at once and break "%(value)s" messages)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


def install() -> None:
    # FlaskForm.Meta.get_translations returns this module attribute of Flask-WTF's when
    # WTF_I18N_ENABLED (the default): replacing it points every form at our catalogs.
    flask_wtf.form.translations = FormTranslations()  # type: ignore[assignment]
