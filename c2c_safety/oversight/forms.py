from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ReviewNoteForm(FlaskForm):
    case_id = HiddenField()
    text = TextAreaField("Review note", validators=[DataRequired(), Length(max=10_000)])


class VerdictForm(FlaskForm):
    verdict = RadioField("Your view of this decision",
                         choices=[SelectChoice("agree", "Agree"), SelectChoice("disagree", "Disagree")],
                         validators=[DataRequired(message="Choose agree or disagree.")])
    note = TextAreaField("Note (required when you disagree)", validators=[Optional(), Length(max=5000)])
