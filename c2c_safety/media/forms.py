"""Forms of the media pages (CSRF on every POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length


class RevealForm(FlaskForm):
    pass


class RestrictedRevealForm(FlaskForm):
    confirm = BooleanField("I confirm I need to see this image, which matched a list of known child abuse images")
    reason = TextAreaField("Why you need to see it", validators=[Length(max=500)])
