"""Forms of the media pages (CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length


class RevealForm(FlaskForm):
    pass


class RestrictedRevealForm(FlaskForm):
    confirm = BooleanField(_l("I confirm I need to see this image, which matched a list of known child abuse images"))
    reason = TextAreaField(_l("Why you need to see it"), validators=[Length(max=500)])
