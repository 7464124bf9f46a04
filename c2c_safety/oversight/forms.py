from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ReviewNoteForm(FlaskForm):
    case_id = HiddenField()
    text = TextAreaField(_l("Review note"), validators=[DataRequired(), Length(max=10_000)])


class VerdictForm(FlaskForm):
    verdict = RadioField(_l("Your view of this decision"),
                         choices=[SelectChoice("agree", _l("Agree")), SelectChoice("disagree", _l("Disagree"))],
                         validators=[DataRequired(message=_l("Choose agree or disagree."))])
    note = TextAreaField(_l("Note (required when you disagree)"), validators=[Optional(), Length(max=5000)])
