from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from c2c_safety.review.forms import choices
from c2c_safety.safeguarding.referrals import ACTION_KINDS, OUTCOMES


class ActionForm(FlaskForm):
    kind = RadioField("What did you do?", choices=choices(list(ACTION_KINDS.items())), default=None,
                      validators=[InputRequired(message="Choose what you did.")])
    child = SelectField("About whom (platform pseudonym)", choices=[], validate_choice=False,
                        validators=[InputRequired()])
    detail = TextAreaField("Details (for a referral: name the authority; for a note: the note)",
                           validators=[Optional(), Length(max=5000)])
    outcome = SelectField("Outcome (when closing)", choices=choices([("", "Choose an outcome"), *OUTCOMES.items()]),
                          validators=[Optional()])
